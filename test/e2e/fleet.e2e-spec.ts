import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { phoenixAsync, ROOT } from '../support/cli';
import { testContext } from '../support/context';
import { waitFor } from '../support/wait';

/** A span as OTLP/HTTP JSON carries it, with the service that sent it. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string>;
}

type OtlpJson = {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: { key: string; value: { stringValue?: string; intValue?: string } }[] }[] }[];
  }[];
};

const KEY = 'fleet-test-key-0123456789';
const PORTS = { gateway: 18481, router: 19481, 'mcp-worker': 19482, 'memory-writer': 19483 } as const;
type AppName = keyof typeof PORTS;

/**
 * Four apps as separate processes (gateway, router, MCP worker, memory-writer), exporting traces
 * over OTLP/HTTP to a collector endpoint in this spec: one event is one trace across all of them;
 * `phoenix validate` reports them healthy, and red once one is stopped.
 */
describe('a fleet of Phoenix processes: traces across apps, phoenix validate', () => {
  const run = Date.now();
  const topic = `events.fleet-${run}`;
  const instance = `fleet-${run}`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-fleet-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-fleet-data-'));
  const spans: ReceivedSpan[] = [];
  const children = new Map<AppName, ChildProcess>();
  const logs = new Map<AppName, string>();
  let collector: http.Server;
  let env: NodeJS.ProcessEnv;

  const deployment = path.join(configDir, 'deployment.yaml');
  const validate = (...args: string[]) => phoenixAsync(['validate', '-f', deployment, '--json', ...args], { PHOENIX_CONFIG_DIR: configDir, PHOENIX_INSTANCE: instance });
  type Report = { healthy: boolean; results: { check: string; target: string; status: string; detail: string }[] };

  beforeAll(async () => {
    collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (req.url === '/v1/traces' && String(req.headers['content-type']).includes('json')) {
          const doc = JSON.parse(body) as OtlpJson;
          for (const rs of doc.resourceSpans ?? []) {
            const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
            for (const ss of rs.scopeSpans ?? [])
              for (const s of ss.spans ?? [])
                spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, kind: s.kind, attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? ''])) });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));

    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.appendFileSync(path.join(configDir, 'topics.yaml'), `  - name: ${topic}\n    partitions: 2\n`);
    fs.writeFileSync(path.join(configDir, 'routes.yaml'), `routes:\n  - name: probe-echo\n    match: { topics: "${topic}", types: fleet.probe }\n    emit:\n      - mcp: { server: everything, tool: echo, arguments: { message: "probe {{ $.key }}" } }\n`);
    fs.writeFileSync(path.join(configDir, 'memory.yaml'), `topics: { include: ["${topic}", "mcp.results"] }\nmemories:\n  - match: { topics: "*" }\n    skip: true\n`);
    fs.writeFileSync(deployment, `apps:\n${(Object.keys(PORTS) as AppName[]).map((a) => `  - { name: ${a}, url: "http://127.0.0.1:${PORTS[a]}" }`).join('\n')}\nmaxLag: 1000\n`);
    env = {
      ...process.env,
      PHOENIX_CONFIG_DIR: configDir,
      PHOENIX_DATA_DIR: dataDir,
      PHOENIX_INSTANCE: instance,
      PHOENIX_API_KEYS: `${KEY}=*`,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      MCP_WORKER_SERVERS: 'everything',
      LOG_LEVEL: 'warn',
    };
    const ctx = testContext('fleet-setup', { PHOENIX_CONFIG_DIR: configDir });
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name.startsWith(topic)));
    await ctx.close();

    for (const app of Object.keys(PORTS) as AppName[]) {
      const appEnv = app === 'gateway' ? { GATEWAY_PORT: String(PORTS[app]) } : { HEALTH_PORT: String(PORTS[app]) };
      const child = spawn('node', [path.join(ROOT, `dist/apps/${app}/src/main.js`)], { cwd: ROOT, env: { ...env, ...appEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      logs.set(app, '');
      child.stdout!.on('data', (d) => logs.set(app, (logs.get(app)! + d).slice(-4000)));
      child.stderr!.on('data', (d) => logs.set(app, (logs.get(app)! + d).slice(-4000)));
      children.set(app, child);
    }
    for (const app of Object.keys(PORTS) as AppName[]) {
      await waitFor(`${app} ready`, async () => {
        if (children.get(app)!.exitCode !== null) throw new Error(`${app} exited: ${logs.get(app)}`);
        return (await fetch(`http://127.0.0.1:${PORTS[app]}/health/ready`)).ok;
      }, 120000);
    }
  }, 300000);

  afterAll(async () => {
    for (const c of children.values()) if (c.exitCode === null) c.kill('SIGKILL');
    await new Promise((r) => collector?.close(r));
  });

  it('phoenix validate: every app ready, its consumer group consuming, exit 0', async () => {
    // Groups join a moment after readiness; until then validate says so.
    const report = await waitFor('a healthy fleet', async () => {
      const r = await validate();
      const rep = JSON.parse(r.stdout) as Report;
      const groups = rep.results.filter((x) => x.check === 'lag').map((x) => x.target);
      return r.status === 0 && ['router', 'mcp-worker.everything', 'memory-writer'].every((g) => groups.includes(`${instance}-${g}`)) ? rep : false;
    }, 120000);
    expect(report.healthy).toBe(true);
    const ready = report.results.filter((r) => r.check === 'ready');
    expect(ready.map((r) => [r.target, r.status]).sort()).toEqual([['gateway', 'ok'], ['mcp-worker', 'ok'], ['memory-writer', 'ok'], ['router', 'ok']]);
    expect(report.results.find((r) => r.check === 'capabilities')).toMatchObject({ target: 'mcp-worker', status: 'ok', detail: expect.stringContaining('everything up') });
    // The table form, as a person reads it.
    const table = await phoenixAsync(['validate', '-f', deployment], { PHOENIX_CONFIG_DIR: configDir, PHOENIX_INSTANCE: instance });
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^CHECK\s+TARGET\s+STATUS\s+DETAIL/m);
    expect(table.stdout).toMatch(/healthy: 0 failing/);
  }, 180000);

  it('one event is one trace: gateway → router → MCP worker → memory-writer, parent to child', async () => {
    const res = await fetch(`http://127.0.0.1:${PORTS.gateway}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ topic, type: 'fleet.probe', key: 'p1', payload: { hello: 'trace' } }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };

    const byService = (trace: string, service: string) => spans.filter((s) => s.traceId === trace && s.service === service);
    const trace = await waitFor('the published span', () => spans.find((s) => s.attributes['phoenix.event_id'] === id && s.service === 'phoenix-gateway')?.traceId, 60000);
    await waitFor('spans from all four apps', () => byService(trace, 'phoenix-memory-writer').filter((s) => s.name === 'memory-writer mcp.results').length > 0 && byService(trace, 'phoenix-mcp-worker').some((s) => s.name.startsWith('tools/call')), 60000);

    const mine = spans.filter((s) => s.traceId === trace);
    const one = (service: string, name: string | RegExp) => {
      const found = mine.filter((s) => s.service === service && (typeof name === 'string' ? s.name === name : name.test(s.name)));
      expect({ service, name: String(name), found: found.length }).toEqual({ service, name: String(name), found: 1 });
      return found[0];
    };
    const parentOf = (child: ReceivedSpan, parent: ReceivedSpan) => expect({ child: `${child.service} ${child.name}`, parent: child.parentSpanId }).toEqual({ child: `${child.service} ${child.name}`, parent: parent.spanId });

    const server = one('phoenix-gateway', 'POST /v1/events');
    const published = one('phoenix-gateway', `publish ${topic}`);
    const routed = one('phoenix-router', `process ${topic}`);
    const command = one('phoenix-router', 'publish mcp.commands.everything');
    const executed = one('phoenix-mcp-worker', 'process mcp.commands.everything');
    const call = one('phoenix-mcp-worker', 'tools/call everything/echo');
    const result = one('phoenix-mcp-worker', 'publish mcp.results');
    const storedEvent = one('phoenix-memory-writer', `memory-writer ${topic}`);
    const storedResult = one('phoenix-memory-writer', 'memory-writer mcp.results');

    expect(server.parentSpanId).toBe('');
    parentOf(published, server);
    parentOf(routed, published);
    parentOf(command, routed);
    parentOf(executed, command);
    parentOf(call, executed);
    parentOf(result, executed);
    parentOf(storedEvent, published);
    parentOf(storedResult, result);
    expect(new Set(mine.map((s) => s.service))).toEqual(new Set(['phoenix-gateway', 'phoenix-router', 'phoenix-mcp-worker', 'phoenix-memory-writer']));
  }, 120000);

  it('stopping one app turns it red with a non-zero exit', async () => {
    const router = children.get('router')!;
    router.kill('SIGTERM');
    await waitFor('the router to stop', () => router.exitCode !== null || router.signalCode !== null, 30000);
    const r = await validate();
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.healthy).toBe(false);
    expect(report.results.find((x) => x.check === 'ready' && x.target === 'router')).toMatchObject({ status: 'fail', detail: expect.stringContaining('unreachable') });
    expect(report.results.filter((x) => x.check === 'ready' && x.target !== 'router').every((x) => x.status === 'ok')).toBe(true);
    const group = await waitFor('the router group to empty', async () => {
      const rep = JSON.parse((await validate()).stdout) as Report;
      return rep.results.find((x) => x.check === 'lag' && x.target === `${instance}-router` && x.status === 'fail');
    }, 30000);
    expect(group.detail).toMatch(/nobody is consuming/);
  }, 120000);
});
