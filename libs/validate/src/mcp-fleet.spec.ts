import { Histogram, Registry } from 'prom-client';
import type { ServerCapabilities } from '@phoenix/contracts';
import { histogramQuantileMs, judgeMcpFleet, McpThresholds, parseMcpCallMetrics, ProbedServer, WorkerObservation } from './mcp-fleet';

const thresholds: McpThresholds = { maxErrorRate: 0.05, maxP95Ms: 1000, minCalls: 10 };

/** The worker's own histogram (same name, labels and buckets as PhoenixMetrics), exposed as text. */
async function exposition(observe: (h: Histogram<string>) => void): Promise<string> {
  const registry = new Registry();
  const h = new Histogram({ name: 'phoenix_mcp_call_duration_seconds', help: 'x', labelNames: ['app', 'server', 'tool', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry] });
  observe(h);
  return registry.metrics();
}

const up = (server: string, tools: string[], latencyMs = 12): ProbedServer => ({ server, transport: 'http', status: 'up', tools, latencyMs, error: null });
const caps = (server: string, tools: string[], status: 'up' | 'down' = 'up'): ServerCapabilities => ({ server, serverName: null, serverVersion: null, description: null, transport: 'http', status, tools: tools.map((name) => ({ name, description: null, inputSchema: {}, outputSchema: null })) });

describe('MCP fleet checks (pure)', () => {
  it('reads per-server calls and latency from the worker metrics, leaving out rejected commands', async () => {
    const text = await exposition((h) => {
      for (let i = 0; i < 18; i++) h.observe({ app: 'mcp-worker', server: 'hubspot', tool: 'search_deals', status: 'ok' }, 0.02);
      h.observe({ app: 'mcp-worker', server: 'hubspot', tool: 'search_deals', status: 'failed' }, 3);
      h.observe({ app: 'mcp-worker', server: 'hubspot', tool: 'create_note', status: 'tool_error' }, 0.04);
      for (let i = 0; i < 50; i++) h.observe({ app: 'mcp-worker', server: 'hubspot', tool: 'create_note', status: 'rejected' }, 0);
      h.observe({ app: 'mcp-worker', server: 'gong', tool: 'list_calls', status: 'timeout' }, 30);
    });
    const stats = parseMcpCallMetrics(text);
    expect([...stats.keys()].sort()).toEqual(['gong', 'hubspot']);
    const hubspot = stats.get('hubspot')!;
    expect(hubspot.calls).toBe(20);
    expect(hubspot.byStatus).toEqual({ ok: 18, failed: 1, tool_error: 1 });
    expect(hubspot.buckets.at(-1)).toEqual({ le: Infinity, count: 20 });
    // 18 of 20 within 25 ms: the median interpolates inside (10, 25] ms, the p95 is the 19th call
    // (in (25, 50] ms), the p99 falls inside (2.5, 5] s.
    expect(histogramQuantileMs(hubspot.buckets, 0.5)).toBe(18);
    expect(histogramQuantileMs(hubspot.buckets, 0.95)).toBe(50);
    expect(histogramQuantileMs(hubspot.buckets, 0.99)).toBe(4500);
    expect(histogramQuantileMs([], 0.95)).toBeNull();
  });

  it('passes a fleet whose servers answer, match the registry and stay within limits', async () => {
    const metrics = parseMcpCallMetrics(await exposition((h) => {
      for (let i = 0; i < 40; i++) h.observe({ app: 'mcp-worker', server: 'everything', tool: 'echo', status: 'ok' }, 0.004);
    }));
    const workers: WorkerObservation[] = [
      { worker: 'mcp-worker.everything', probe: [up('everything', ['echo', 'get-sum'])], metrics },
      { worker: 'mcp-worker.github', probe: [up('github', ['search_code'])], metrics: new Map() },
    ];
    const { results, servers } = judgeMcpFleet({ workers, registry: { entries: [caps('everything', ['get-sum', 'echo']), caps('github', ['search_code'])] }, expected: ['everything', 'github'], thresholds });
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(results.map((r) => `${r.check} ${r.target}`)).toEqual(['mcp-server everything', 'mcp-registry everything', 'mcp-calls everything', 'mcp-server github', 'mcp-registry github', 'mcp-calls github']);
    expect(servers[0]).toEqual({
      server: 'everything', status: 'ok', worker: 'mcp-worker.everything', transport: 'http', reachable: true, tools: 2, listMs: 12, registry: 'match',
      calls: { total: 40, ok: 40, toolErrors: 0, failed: 0, timeouts: 0, errorRate: 0, p50Ms: 3, p95Ms: 5 }, error: null,
    });
    expect(results.find((r) => r.check === 'mcp-calls' && r.target === 'github')!.detail).toBe('no calls yet');
  });

  it('fails each server by name: unreachable, unserved, registry out of date, too many errors, too slow', async () => {
    const metrics = parseMcpCallMetrics(await exposition((h) => {
      for (let i = 0; i < 9; i++) h.observe({ app: 'mcp-worker', server: 'gong', tool: 'list_calls', status: 'ok' }, 0.01);
      h.observe({ app: 'mcp-worker', server: 'gong', tool: 'list_calls', status: 'failed' }, 0.01);
      for (let i = 0; i < 10; i++) h.observe({ app: 'mcp-worker', server: 'snowflake', tool: 'query', status: 'ok' }, 4);
    }));
    const down: ProbedServer = { server: 'hubspot', transport: 'http', status: 'down', tools: [], latencyMs: 3, error: 'fetch failed: connect ECONNREFUSED 127.0.0.1:8931' };
    const workers: WorkerObservation[] = [
      { worker: 'mcp-worker.hubspot', probe: [down], metrics: new Map() },
      { worker: 'mcp-worker.gong', probe: [up('gong', ['list_calls', 'get_transcript'])], metrics },
      { worker: 'mcp-worker.snowflake', probe: [up('snowflake', ['query'])], metrics },
      { worker: 'mcp-worker.codacy', probe: null, probeError: 'fetch failed', metrics: null, metricsError: 'fetch failed' },
    ];
    const registry = { entries: [caps('hubspot', ['search_deals']), caps('gong', ['list_calls']), caps('snowflake', ['query']), caps('old-crm', ['x'])] };
    const { results, servers } = judgeMcpFleet({ workers, registry, expected: ['codacy', 'gong', 'hubspot', 'snowflake'], thresholds });
    const row = (check: string, target: string) => results.find((r) => r.check === check && r.target === target)!;
    expect(row('mcp-server', 'hubspot')).toMatchObject({ status: 'fail', detail: 'unreachable from mcp-worker.hubspot (http): fetch failed: connect ECONNREFUSED 127.0.0.1:8931' });
    expect(row('mcp-server', 'codacy')).toMatchObject({ status: 'fail', detail: 'its worker mcp-worker.codacy did not answer (fetch failed)' });
    expect(row('mcp-registry', 'gong')).toMatchObject({ status: 'fail', detail: 'lacks get_transcript' });
    // 1 failure in 10 calls is 10% > 5%.
    expect(row('mcp-calls', 'gong')).toMatchObject({ status: 'fail', detail: expect.stringContaining('error rate over 5.0%') });
    expect(row('mcp-calls', 'snowflake')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/p95 \d+ ms — p95 over 1000 ms$/) });
    expect(row('mcp-registry', 'old-crm')).toMatchObject({ status: 'warn' });
    expect(servers.map((s) => [s.server, s.status, s.registry])).toEqual([['codacy', 'fail', 'unknown'], ['gong', 'fail', 'mismatch'], ['hubspot', 'fail', 'mismatch'], ['snowflake', 'fail', 'match']]);
    expect(servers.find((s) => s.server === 'hubspot')!.reachable).toBe(false);
  });

  it('does not judge a handful of calls, and says the registry could not be read', async () => {
    const metrics = parseMcpCallMetrics(await exposition((h) => h.observe({ app: 'mcp-worker', server: 'gong', tool: 'list_calls', status: 'failed' }, 0.01)));
    const { results } = judgeMcpFleet({ workers: [{ worker: 'mcp-worker', probe: [up('gong', ['list_calls'])], metrics }], registry: { error: 'KafkaJSConnectionError' }, thresholds });
    expect(results.find((r) => r.check === 'mcp-calls')).toMatchObject({ status: 'ok', detail: expect.stringContaining('under 10 calls, not judged') });
    expect(results[0]).toMatchObject({ check: 'mcp-registry', target: 'mcp.capabilities', status: 'fail' });
  });
});
