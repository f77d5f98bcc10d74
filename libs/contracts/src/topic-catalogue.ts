import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ContractError, ContractErrorCode } from './contracts.exception';
import { familyOfTopic, FamilyName } from './families';

export type CleanupPolicy = 'delete' | 'compact';

export interface TopicSpec {
  name: string;
  family: FamilyName;
  partitions: number;
  /** -1 keeps messages forever (replayable topics). */
  retentionMs: number;
  cleanupPolicy: CleanupPolicy;
  /** Phoenix apps consume it, so it gets `.retry` and `.dlq` companions. */
  consumed: boolean;
  description: string;
}

const FOREVER = -1;
const WEEK = 7 * 24 * 3600 * 1000;

/** Topics every Phoenix deployment has. Deployment-specific ones come from config/topics.yaml. */
export const CORE_TOPICS: readonly TopicSpec[] = [
  {
    name: 'events.app',
    family: 'generic',
    partitions: 6,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: true,
    description: 'Application events published through the HTTP API, CLI, SDK or MCP.',
  },
  {
    name: 'events.agent',
    family: 'generic',
    partitions: 6,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: true,
    description: 'Events produced by AI agents and coders acting through Phoenix.',
  },
];

const topicName = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, dot, dash, underscore').max(200);
const topicsFileSchema = z.object({
  topics: z
    .array(
      z.object({
        name: topicName,
        partitions: z.number().int().min(1).max(10000).optional(),
        retentionMs: z.number().int().min(-1).optional(),
        cleanupPolicy: z.enum(['delete', 'compact']).optional(),
        consumed: z.boolean().optional(),
        description: z.string().optional(),
      }),
    )
    .default([]),
});

export type TopicRole = 'main' | 'retry' | 'dlq';

export interface ResolvedTopic {
  spec: TopicSpec;
  role: TopicRole;
}

/** Every topic Phoenix knows, with the family (and so the schema) each one carries. */
export class TopicCatalogue {
  private readonly byName = new Map<string, TopicSpec>();

  constructor(specs: readonly TopicSpec[]) {
    for (const spec of specs) {
      if (this.byName.has(spec.name)) {
        throw new ContractError(ContractErrorCode.SchemaFileInvalid, `topic ${spec.name} is declared twice`);
      }
      this.byName.set(spec.name, spec);
    }
  }

  /** Main topics, in declaration order. */
  topics(): TopicSpec[] {
    return [...this.byName.values()];
  }

  /** Main topics plus their retry and DLQ companions — what `topics apply` creates. */
  allTopics(): TopicSpec[] {
    const out: TopicSpec[] = [];
    for (const t of this.byName.values()) {
      out.push(t);
      if (t.consumed && t.cleanupPolicy === 'delete') {
        out.push({ ...t, name: retryTopic(t.name), retentionMs: WEEK, consumed: true, description: `Delayed retries of ${t.name}.` });
        out.push({ ...t, name: dlqTopic(t.name), retentionMs: FOREVER, consumed: false, description: `Dead letters of ${t.name}, with reason headers.` });
      }
    }
    return out;
  }

  /** A main, retry or DLQ topic; undefined when Phoenix does not know it. */
  resolve(name: string): ResolvedTopic | undefined {
    const main = this.byName.get(name);
    if (main) return { spec: main, role: 'main' };
    for (const role of ['retry', 'dlq'] as const) {
      const suffix = `.${role}`;
      if (name.endsWith(suffix)) {
        const base = this.byName.get(name.slice(0, -suffix.length));
        if (base?.consumed) return { spec: base, role };
      }
    }
    return undefined;
  }

  /** Like {@link resolve} but throws a typed UNKNOWN_TOPIC error. */
  require(name: string): ResolvedTopic {
    const t = this.resolve(name);
    if (!t) throw new ContractError(ContractErrorCode.UnknownTopic, `unknown topic "${name}"`, { topic: name });
    return t;
  }

  /** Topics whose name matches a glob (`cdc.*`, `events.app`, `*`). */
  match(glob: string): TopicSpec[] {
    const re = globToRegExp(glob);
    return this.topics().filter((t) => re.test(t.name));
  }
}

export const retryTopic = (topic: string) => `${topic}.retry`;
export const dlqTopic = (topic: string) => `${topic}.dlq`;

/** `*` matches within one dot-separated segment run; `**` is not needed: `*` also spans dots. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * The catalogue for a deployment: {@link CORE_TOPICS} plus `config/topics.yaml`, whose entries
 * must resolve to a family by name (e.g. `cdc.<system>.<entity>`).
 */
export function loadTopicCatalogue(configDir: string, defaultPartitions = 3): TopicCatalogue {
  const file = path.join(configDir, 'topics.yaml');
  const extra: TopicSpec[] = [];
  if (fs.existsSync(file)) {
    const parsed = topicsFileSchema.safeParse(parseYaml(fs.readFileSync(file, 'utf8')) ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new ContractError(ContractErrorCode.SchemaFileInvalid, `${file}: ${problems}`);
    }
    for (const t of parsed.data.topics) {
      const family = familyOfTopic(t.name);
      if (!family) {
        throw new ContractError(ContractErrorCode.SchemaFileInvalid, `${file}: topic ${t.name} matches no topic family (see libs/contracts/src/families.ts)`);
      }
      extra.push({
        name: t.name,
        family,
        partitions: t.partitions ?? defaultPartitions,
        retentionMs: t.retentionMs ?? FOREVER,
        cleanupPolicy: t.cleanupPolicy ?? 'delete',
        consumed: t.consumed ?? true,
        description: t.description ?? '',
      });
    }
  }
  return new TopicCatalogue([...CORE_TOPICS, ...extra]);
}
