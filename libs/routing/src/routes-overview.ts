import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '@phoenix/config';
import { Envelope, RouterStatus, TopicCatalogue } from '@phoenix/contracts';
import { compileRoute, CompiledRoute } from './route-matcher';
import { planEmits, PlannedEmit } from './route-plan';
import { STATUS_INTERVAL_MS } from './route-stats';
import { parseRoutes, targetTopic } from './route-table';
import { RouteConfig, routeSchema } from './routes.config';

/** A router whose status is older than this is stale: listed, not counted. */
export const STALE_AFTER_MS = 3 * STATUS_INTERVAL_MS;

export interface RuleOverview {
  name: string;
  description: string | null;
  enabled: boolean;
  topics: string[];
  targets: string[];
  hits: number;
  emitted: number;
  skipped: number;
  errors: number;
  lastHitAt: number | null;
  lastErrorAt: number | null;
  lastErrorMessage: string | null;
  config: RouteConfig;
}

export interface RoutesOverview {
  routers: { process: string; file: string; loadedAt: number; startedAt: number; updatedAt: number; stale: boolean; rejectedNow: boolean }[];
  rules: RuleOverview[];
  lastRejected: { process: string; at: number; error: string; rejectedNow: boolean } | null;
}

/**
 * Every router's status as one view: the rules of the router that loaded most recently, with
 * hits, emits and errors summed over the routers that are alive (reported within STALE_AFTER_MS).
 */
export function routesOverview(statuses: RouterStatus[], now = Date.now()): RoutesOverview {
  const live = statuses.filter((s) => now - s.updatedAt <= STALE_AFTER_MS);
  const newest = [...(live.length ? live : statuses)].sort((a, b) => b.loadedAt - a.loadedAt)[0];
  const rules: RuleOverview[] = (newest?.rules ?? []).map((r) => {
    const config = routeSchema.parse(r.config);
    const o: RuleOverview = {
      name: r.name,
      description: config.description ?? null,
      enabled: config.enabled,
      topics: config.match.topics,
      targets: config.emit.map(targetTopic),
      hits: 0,
      emitted: 0,
      skipped: 0,
      errors: 0,
      lastHitAt: null,
      lastErrorAt: null,
      lastErrorMessage: null,
      config,
    };
    for (const s of live) {
      const c = s.rules.find((x) => x.name === r.name);
      if (!c) continue;
      o.hits += c.hits;
      o.emitted += c.emitted;
      o.skipped += c.skipped;
      o.errors += c.errors;
      if (c.lastHitAt !== null && c.lastHitAt > (o.lastHitAt ?? 0)) o.lastHitAt = c.lastHitAt;
      if (c.lastErrorAt !== null && c.lastErrorAt > (o.lastErrorAt ?? 0)) Object.assign(o, { lastErrorAt: c.lastErrorAt, lastErrorMessage: c.lastErrorMessage });
    }
    return o;
  });
  const rejected = statuses.filter((s) => s.lastRejectedAt !== null).sort((a, b) => b.lastRejectedAt! - a.lastRejectedAt!)[0];
  return {
    routers: statuses.map((s) => ({
      process: s.process,
      file: s.file,
      loadedAt: s.loadedAt,
      startedAt: s.startedAt,
      updatedAt: s.updatedAt,
      stale: now - s.updatedAt > STALE_AFTER_MS,
      rejectedNow: s.lastRejectedAt !== null && s.lastRejectedAt > s.loadedAt,
    })),
    rules,
    lastRejected: rejected ? { process: rejected.process, at: rejected.lastRejectedAt!, error: rejected.lastRejectedError ?? '', rejectedNow: rejected.lastRejectedAt! > rejected.loadedAt } : null,
  };
}

/** A dry-run request (POST /v1/routes/dry-run). */
export const dryRunRequestSchema = z
  .object({
    event: z.unknown().refine((v) => v !== undefined, 'is required').describe('The event as POST /v1/events takes it (topic, type, payload, key …); checked against the topic schema'),
    rule: z.string().min(1).max(100_000).optional().describe('A rule, a list of rules or a whole routes file (YAML or JSON) to try instead of the active rules'),
    replay: z.boolean().optional().describe('Treat the event as replayed (replays emit only to topics)'),
  })
  .strict();

export interface DryRunResult {
  rule: string;
  matched: boolean;
  /** Why it did not match. */
  reason: string | null;
  emits: Omit<PlannedEmit, 'route'>[];
}

/**
 * Rules to dry-run from pasted text: a whole routes file (`routes: [...]`), a list of rules or one
 * rule, in YAML or JSON, checked exactly as the router checks its file (targets must exist).
 */
export function parseRuleText(text: string, catalogue: TopicCatalogue): CompiledRoute[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`rule: not valid YAML or JSON: ${(err as Error).message}`]);
  }
  if (raw === null || typeof raw !== 'object') throw new ConfigError(['rule: expected a rule (name, match, emit), a list of rules or a routes file']);
  const file = Array.isArray(raw) ? { routes: raw } : 'routes' in raw ? raw : { routes: [raw] };
  return parseRoutes(JSON.stringify(file), 'rule', catalogue);
}

/** What each rule would do with one event, publishing nothing. */
export function dryRun(rules: CompiledRoute[], topic: string, event: Envelope<unknown>, replay = false): DryRunResult[] {
  return rules.map((route) => {
    const reason = route.explain(topic, event);
    const emits = reason === null ? planEmits(route, topic, event, { hops: 0, replay }).map(({ route: _r, ...e }) => e) : [];
    return { rule: route.config.name, matched: reason === null, reason, emits };
  });
}

/** The rules of an overview, compiled for a dry run. */
export function compileOverview(o: RoutesOverview): CompiledRoute[] {
  return o.rules.map((r) => compileRoute(r.config));
}
