import { ServerCapabilities, TOPICS } from '@phoenix/contracts';
import type { CheckResult, CheckStatus } from './fleet-validator';

/** Limits `phoenix validate` holds each MCP server's calls to (`mcp:` in deployment.yaml). */
export interface McpThresholds {
  /** Failed + timed-out calls over all calls made, above which the server fails. */
  maxErrorRate: number;
  /** Estimated 95th percentile of call time, above which the server fails. */
  maxP95Ms: number;
  /** Fewer calls than this are reported but not judged. */
  minCalls: number;
}

/** One server as a worker's `GET /capabilities/probe` reports it. */
export interface ProbedServer {
  server: string;
  transport: string;
  status: 'up' | 'down';
  tools: string[];
  latencyMs: number;
  error: string | null;
}

/** A server's calls from `phoenix_mcp_call_duration_seconds` (since its worker started). */
export interface CallStats {
  /** Calls made to the server: ok, tool_error, failed, timeout (`rejected` never reached it). */
  calls: number;
  byStatus: Record<string, number>;
  /** Cumulative bucket counts over every tool, sorted by bound (the last is +Inf). */
  buckets: { le: number; count: number }[];
}

/** What one worker answered (or why it did not). */
export interface WorkerObservation {
  worker: string;
  probe: ProbedServer[] | null;
  probeError?: string;
  metrics: Map<string, CallStats> | null;
  metricsError?: string;
}

export type RegistryRead = { entries: ServerCapabilities[] } | { error: string } | null;

/** The JSON report's entry per server: stable field names, numbers rather than prose. */
export interface McpServerReport {
  server: string;
  status: CheckStatus;
  worker: string | null;
  transport: string | null;
  reachable: boolean;
  tools: number | null;
  listMs: number | null;
  registry: 'match' | 'mismatch' | 'down' | 'missing' | 'unknown';
  calls: { total: number; ok: number; toolErrors: number; failed: number; timeouts: number; errorRate: number; p50Ms: number | null; p95Ms: number | null } | null;
  error: string | null;
}

const CALL_STATUSES = new Set(['ok', 'tool_error', 'failed', 'timeout']);
const METRIC = 'phoenix_mcp_call_duration_seconds';

/** Reads `phoenix_mcp_call_duration_seconds` out of a Prometheus text exposition, per server. */
export function parseMcpCallMetrics(text: string): Map<string, CallStats> {
  const acc = new Map<string, { byStatus: Record<string, number>; buckets: Map<number, number> }>();
  const line = new RegExp(`^${METRIC}_(bucket|count)\\{([^}]*)\\}\\s+(\\S+)`);
  for (const raw of text.split('\n')) {
    const m = line.exec(raw);
    if (!m) continue;
    const labels = parseLabels(m[2]);
    const server = labels.server;
    const status = labels.status;
    if (!server || !CALL_STATUSES.has(status)) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const s = acc.get(server) ?? { byStatus: {}, buckets: new Map<number, number>() };
    acc.set(server, s);
    if (m[1] === 'count') s.byStatus[status] = (s.byStatus[status] ?? 0) + value;
    else {
      const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
      if (!Number.isNaN(le)) s.buckets.set(le, (s.buckets.get(le) ?? 0) + value);
    }
  }
  const out = new Map<string, CallStats>();
  for (const [server, s] of acc) {
    const calls = Object.values(s.byStatus).reduce((a, b) => a + b, 0);
    out.set(server, { calls, byStatus: s.byStatus, buckets: [...s.buckets].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le) });
  }
  return out;
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return out;
}

/**
 * The q-quantile of a cumulative histogram in ms, interpolated inside its bucket as Prometheus'
 * `histogram_quantile` does; null without observations. In the +Inf bucket: the last finite bound.
 */
export function histogramQuantileMs(buckets: CallStats['buckets'], q: number): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (!total) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return Math.round(prevLe * 1000);
      const inBucket = b.count - prevCount;
      const frac = inBucket > 0 ? (rank - prevCount) / inBucket : 1;
      return Math.round((prevLe + (b.le - prevLe) * frac) * 1000);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return Math.round(prevLe * 1000);
}

const worst = (statuses: CheckStatus[]): CheckStatus => (statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'ok');
const pct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 2 : 1)}%`;

/**
 * Judges the MCP fleet from what the workers and the registry said (no I/O): per server, is it
 * reachable with `tools/list` answering (`mcp-server`), does `mcp.capabilities` list the same tools
 * as up (`mcp-registry`), and are its error rate and latency within limits (`mcp-calls`).
 * `expected` names servers that must be served (the chart's fleet); otherwise those found.
 */
export function judgeMcpFleet(input: { workers: WorkerObservation[]; registry: RegistryRead; expected?: string[]; thresholds: McpThresholds }): { results: CheckResult[]; servers: McpServerReport[] } {
  const { workers, registry, thresholds } = input;
  const results: CheckResult[] = [];
  const served = new Map<string, { worker: string; probe: ProbedServer; metrics: CallStats | undefined; metricsError?: string; metricsRead: boolean }>();
  for (const w of workers) {
    for (const p of w.probe ?? []) if (!served.has(p.server)) served.set(p.server, { worker: w.worker, probe: p, metrics: w.metrics?.get(p.server), metricsError: w.metricsError, metricsRead: w.metrics !== null });
  }
  const names = [...new Set([...(input.expected ?? []), ...served.keys()])].sort();
  const registryByServer = registry && 'entries' in registry ? new Map(registry.entries.map((e) => [e.server, e])) : null;
  if (registry && 'error' in registry) results.push({ check: 'mcp-registry', target: TOPICS.mcpCapabilities, status: 'fail', detail: `cannot read the capability registry: ${registry.error}` });

  const servers: McpServerReport[] = [];
  for (const name of names) {
    const s = served.get(name);
    const statuses: CheckStatus[] = [];
    const push = (r: CheckResult) => {
      results.push(r);
      statuses.push(r.status);
    };
    const report: McpServerReport = { server: name, status: 'ok', worker: s?.worker ?? null, transport: s?.probe.transport ?? null, reachable: false, tools: null, listMs: null, registry: 'unknown', calls: null, error: null };
    if (!s) {
      const silent = workers.filter((w) => w.probe === null && (w.worker === `mcp-worker.${name}` || w.worker.endsWith(`.${name}`)));
      const why = silent.length ? `its worker ${silent[0].worker} did not answer (${silent[0].probeError})` : workers.some((w) => w.probe === null) ? `no worker that answered serves it (unanswered: ${workers.filter((w) => w.probe === null).map((w) => w.worker).join(', ')})` : 'no mcp-worker serves it';
      report.error = why;
      push({ check: 'mcp-server', target: name, status: 'fail', detail: why });
    } else {
      const p = s.probe;
      report.listMs = p.latencyMs;
      if (p.status === 'up') {
        report.reachable = true;
        report.tools = p.tools.length;
        push({ check: 'mcp-server', target: name, status: 'ok', detail: `up via ${s.worker} (${p.transport}): tools/list ${p.tools.length} tool(s) in ${p.latencyMs} ms` });
      } else {
        report.error = p.error;
        push({ check: 'mcp-server', target: name, status: 'fail', detail: `unreachable from ${s.worker} (${p.transport}): ${p.error ?? 'down'}` });
      }
      if (registryByServer && p.status === 'up') {
        const entry = registryByServer.get(name);
        if (!entry) {
          report.registry = 'missing';
          push({ check: 'mcp-registry', target: name, status: 'fail', detail: 'not in mcp.capabilities' });
        } else if (entry.status !== 'up') {
          report.registry = 'down';
          push({ check: 'mcp-registry', target: name, status: 'fail', detail: `mcp.capabilities lists it ${entry.status} while tools/list answers` });
        } else {
          const listed = new Set(p.tools);
          const registered = new Set(entry.tools.map((t) => t.name));
          const missing = [...listed].filter((t) => !registered.has(t)).sort();
          const extra = [...registered].filter((t) => !listed.has(t)).sort();
          report.registry = missing.length || extra.length ? 'mismatch' : 'match';
          push(
            report.registry === 'match'
              ? { check: 'mcp-registry', target: name, status: 'ok', detail: `matches tools/list (${registered.size} tool(s))` }
              : { check: 'mcp-registry', target: name, status: 'fail', detail: [missing.length ? `lacks ${missing.join(', ')}` : '', extra.length ? `lists ${extra.join(', ')} that tools/list does not` : ''].filter(Boolean).join('; ') },
          );
        }
      } else if (registryByServer) {
        const entry = registryByServer.get(name);
        report.registry = !entry ? 'missing' : entry.status === 'up' ? 'mismatch' : 'down';
      }
      if (!s.metricsRead) {
        push({ check: 'mcp-calls', target: name, status: 'warn', detail: `cannot read ${s.worker}'s metrics: ${s.metricsError ?? 'no answer'}` });
      } else {
        const m = s.metrics;
        const by = m?.byStatus ?? {};
        const total = m?.calls ?? 0;
        const failed = by.failed ?? 0;
        const timeouts = by.timeout ?? 0;
        const errorRate = total ? (failed + timeouts) / total : 0;
        const p50Ms = m ? histogramQuantileMs(m.buckets, 0.5) : null;
        const p95Ms = m ? histogramQuantileMs(m.buckets, 0.95) : null;
        report.calls = { total, ok: by.ok ?? 0, toolErrors: by.tool_error ?? 0, failed, timeouts, errorRate: Number(errorRate.toFixed(4)), p50Ms, p95Ms };
        if (!total) push({ check: 'mcp-calls', target: name, status: 'ok', detail: 'no calls yet' });
        else {
          const summary = `${total} call(s), ${failed + timeouts} error(s) (${pct(errorRate)}: ${failed} failed, ${timeouts} timed out), ${by.tool_error ?? 0} tool error(s), p50 ${p50Ms} ms, p95 ${p95Ms} ms`;
          const over: string[] = [];
          if (total >= thresholds.minCalls && errorRate > thresholds.maxErrorRate) over.push(`error rate over ${pct(thresholds.maxErrorRate)}`);
          if (total >= thresholds.minCalls && p95Ms !== null && p95Ms > thresholds.maxP95Ms) over.push(`p95 over ${thresholds.maxP95Ms} ms`);
          const judged = total >= thresholds.minCalls ? '' : ` — under ${thresholds.minCalls} calls, not judged`;
          push({ check: 'mcp-calls', target: name, status: over.length ? 'fail' : 'ok', detail: `${summary}${over.length ? ` — ${over.join(', ')}` : judged}` });
        }
      }
    }
    report.status = worst(statuses);
    servers.push(report);
  }

  // A server the registry advertises as up that no checked worker serves: planners may still pick it.
  if (registryByServer && workers.some((w) => w.probe !== null)) {
    for (const [name, entry] of [...registryByServer].sort(([a], [b]) => a.localeCompare(b))) {
      if (entry.status === 'up' && !names.includes(name)) results.push({ check: 'mcp-registry', target: name, status: 'warn', detail: 'mcp.capabilities lists it up, but no worker checked serves it (a removed server, or a worker not checked)' });
    }
  }
  return { results, servers };
}
