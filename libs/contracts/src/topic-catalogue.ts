import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ContractError, ContractErrorCode } from './contracts.exception';
import { familyOfTopic, FamilyName } from './families';

/** `compact,delete`: compacted, and whatever is older than the retention goes too. */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

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
  {
    name: 'mcp.results',
    family: 'mcp-result',
    partitions: 6,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: true,
    description: 'Outcomes of MCP tool calls, keyed by task id (or the command key), with the command correlation id.',
  },
  {
    name: 'mcp.capabilities',
    family: 'mcp-capabilities',
    partitions: 3,
    retentionMs: FOREVER,
    cleanupPolicy: 'compact',
    consumed: false,
    description: 'Latest capabilities (tools with JSON schemas) of every MCP server, keyed by server.',
  },
  {
    name: 'mcp.ledger',
    family: 'mcp-ledger',
    partitions: 6,
    retentionMs: FOREVER,
    cleanupPolicy: 'compact',
    consumed: false,
    description: 'Idempotency ledger of the MCP workers, keyed by server:idempotencyKey.',
  },
  {
    name: 'supervisor.tasks',
    family: 'supervisor-task',
    partitions: 6,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: true,
    description: 'High-level tasks for the supervisor, keyed by task id (co-partitioned with mcp.results).',
  },
  {
    name: 'supervisor.progress',
    family: 'supervisor-outcome',
    partitions: 6,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: false,
    description: 'Task progress after every step.',
  },
  {
    name: 'supervisor.outcomes',
    family: 'supervisor-outcome',
    partitions: 6,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: false,
    description: 'Final task outcomes.',
  },
  {
    name: 'supervisor.state',
    family: 'supervisor-state',
    partitions: 6,
    retentionMs: FOREVER,
    cleanupPolicy: 'compact',
    consumed: false,
    description: "The supervisor's durable task state, keyed by task id.",
  },
  {
    name: 'gateway.claims',
    family: 'gateway-claim',
    partitions: 6,
    // Two days: past GATEWAY_IDEMPOTENCY_TTL_MS's default (a day) and any webhook window.
    retentionMs: 2 * 24 * 3600 * 1000,
    cleanupPolicy: 'compact,delete',
    consumed: false,
    description: 'Webhook nonces and Idempotency-Key answers, shared by every gateway replica (first claim in the log wins).',
  },
  {
    name: 'memory.requests',
    family: 'memory-request',
    partitions: 6,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: true,
    description: 'Requests to the memory-writer, keyed by entity (<topic>/<key>): forget an entity (its memories deleted, its warehouse rows soft-deleted). Kept forever: the record of what was forgotten.',
  },
  {
    name: 'router.status',
    family: 'router-status',
    partitions: 1,
    retentionMs: FOREVER,
    cleanupPolicy: 'compact',
    consumed: false,
    description: 'Each router process publishes its active rules, hits and errors per rule and its last rejected routes file here, keyed by process (a tombstone at a clean stop).',
  },
  {
    name: 'audit.access',
    family: 'access-audit',
    partitions: 3,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: false,
    description: 'Every read of memory or the warehouse and every write through MCP: who, what, scope and counts, never payloads.',
  },
  {
    name: 'memory.changes',
    family: 'memory-change',
    partitions: 6,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: false,
    description: 'Every change to semantic memory (memory id, event id, op): the audit trail and rebuild log.',
  },
  {
    name: 'n8n.responses',
    family: 'n8n-response',
    partitions: 3,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: true,
    description: "n8n workflows' answers to deliveries, with the originating correlation id.",
  },
  ...(['chat', 'actions', 'feedback'] as const).map(
    (k): TopicSpec => ({
      name: `interactions.${k}`,
      family: k === 'chat' ? 'interaction-chat' : k === 'actions' ? 'interaction-action' : 'interaction-feedback',
      partitions: 6,
      retentionMs: FOREVER,
      cleanupPolicy: 'delete',
      consumed: true,
      description: { chat: 'Chat messages between users and AI, keyed by conversation.', actions: 'User actions in UIs.', feedback: 'Ratings, thumbs, corrections and labels of AI responses.' }[k],
    }),
  ),
  {
    name: 'ingest.dlq',
    family: 'generic',
    partitions: 3,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    consumed: false,
    description: 'Source documents the CDC ingest could not read (raw bytes, reason headers).',
  },
];

/** Partitions of each `mcp.commands.<server>` topic unless topics.yaml says otherwise. */
const COMMAND_PARTITIONS = 6;

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

  /**
   * Adds a topic at runtime (e.g. a replay's `retrain.<name>`); its family comes from its name.
   * Returns the new spec to create on the cluster.
   */
  declare(name: string, partitions = 6): TopicSpec {
    const existing = this.byName.get(name);
    if (existing) return existing;
    const family = familyOfTopic(name);
    if (!family) throw new ContractError(ContractErrorCode.UnknownTopic, `topic ${name} matches no topic family`, { topic: name });
    const spec: TopicSpec = { name, family, partitions, retentionMs: FOREVER, cleanupPolicy: 'delete', consumed: false, description: 'Declared at runtime.' };
    this.byName.set(name, spec);
    return spec;
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

/** The compacted registry of every MCP server's tools, one entry per server (published by the workers). */
export const MCP_CAPABILITIES_TOPIC = 'mcp.capabilities';

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
  for (const server of readNames(path.join(configDir, 'mcp-servers.yaml'), 'servers')) {
    const name = `mcp.commands.${server}`;
    if (extra.some((t) => t.name === name)) continue;
    extra.push({ name, family: 'mcp-command', partitions: COMMAND_PARTITIONS, retentionMs: FOREVER, cleanupPolicy: 'delete', consumed: true, description: `Tool calls for MCP server ${server}.` });
  }
  for (const flow of readNames(path.join(configDir, 'n8n-flows.yaml'), 'flows')) {
    const name = `n8n.outbound.${flow}`;
    if (extra.some((t) => t.name === name)) continue;
    extra.push({ name, family: 'n8n-delivery', partitions: 3, retentionMs: FOREVER, cleanupPolicy: 'delete', consumed: true, description: `Deliveries to n8n flow ${flow}.` });
  }
  return new TopicCatalogue([...CORE_TOPICS, ...extra]);
}

/**
 * The `name`s listed under `key` in a config file: the catalogue derives per-server and per-flow
 * topics from the same files the workers read, so the two cannot disagree. Full validation of
 * those files belongs to their own libraries.
 */
function readNames(file: string, key: string): string[] {
  if (!fs.existsSync(file)) return [];
  const doc = (parseYaml(fs.readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  const list = doc[key];
  if (!Array.isArray(list)) return [];
  return list.map((e) => (e as { name?: unknown })?.name).filter((n): n is string => typeof n === 'string' && /^[a-z0-9][a-z0-9_-]*$/.test(n));
}
