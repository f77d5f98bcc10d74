import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEnvelope, Envelope, McpCommand, McpResult } from '@phoenix/contracts';
import { phoenixAsync, ROOT } from '../support/cli';
import { testContext } from '../support/context';
import { freePort } from '../support/ports';
import { endOffsets, readEvents } from '../support/topics';
import { waitFor } from '../support/wait';

const EVERYTHING = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const FIXTURE = path.join(ROOT, 'test/fixtures/mcp/fixture-server.js');
const TOKEN = 'fleet-external-token-0123456789';

/** The chart's three kinds of fleet entry, as local processes (what each pod would run). */
const SERVERS = ['fleet-sidecar', 'fleet-service', 'fleet-external'] as const;
type Server = (typeof SERVERS)[number];

type Row = { check: string; target: string; status: string; detail: string };
type Report = {
  version: number;
  healthy: boolean;
  results: Row[];
  servers: { server: string; status: string; worker: string; reachable: boolean; tools: number | null; registry: string; calls: { total: number; errorRate: number; p95Ms: number | null } | null; error: string | null }[];
};

/**
 * The MCP fleet of the Helm chart, run locally with real processes: a stdio server
 * (server-everything) behind mcp-bridge as a sidecar would run it, server-everything over
 * Streamable HTTP as a separate server process (a `service`), and a fixture server over HTTP that
 * wants a bearer token (an `external` reached with headers); one real mcp-worker process per
 * server calls it. `phoenix validate` is green, turns red naming the one server that was killed,
 * and green again once it is back.
 */
describe('the MCP fleet: sidecar, service and external servers as processes, workers calling them, phoenix validate', () => {
  const run = Date.now();
  const instance = `mcpfleet-${run}`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-mcp-fleet-'));
  const deployment = path.join(configDir, 'deployment.yaml');
  const procs = new Map<string, ChildProcess>();
  const logs = new Map<string, string>();
  const ports = {} as Record<'bridge' | 'bridgeHealth' | 'service' | 'external' | Server, number>;

  /** Starts a process in its own group (so a kill takes its children too) and keeps its output tail. */
  const start = (name: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    logs.set(name, '');
    const keep = (d: Buffer) => logs.set(name, (logs.get(name)! + d.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    procs.set(name, child);
    return child;
  };
  const kill = async (name: string) => {
    const child = procs.get(name)!;
    process.kill(-child.pid!, 'SIGKILL');
    await waitFor(`${name} to exit`, () => child.exitCode !== null || child.signalCode !== null, 10000);
  };
  const servers = {
    sidecar: () => start('fleet-sidecar', [path.join(ROOT, 'dist/apps/mcp-bridge/src/main.js'), '--name', 'fleet-sidecar', '--port', String(ports.bridge), '--health-port', String(ports.bridgeHealth), '--', process.execPath, EVERYTHING, 'stdio']),
    service: () => start('fleet-service', [EVERYTHING, 'streamableHttp'], { PORT: String(ports.service) }),
    external: () => start('fleet-external', [FIXTURE, 'fleet-external', '--http', String(ports.external)], { FIXTURE_TOKEN: TOKEN, FIXTURE_STATE_DIR: configDir }),
  };
  const validate = async (...args: string[]) => {
    const r = await phoenixAsync(['validate', '-f', deployment, '--json', ...args], { PHOENIX_CONFIG_DIR: configDir, PHOENIX_INSTANCE: instance, LOG_LEVEL: 'error' });
    return { status: r.status, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
  };
  const row = (rep: Report, check: string, target: string) => rep.results.find((r) => r.check === check && r.target === target);

  beforeAll(async () => {
    for (const k of ['bridge', 'bridgeHealth', 'service', 'external', ...SERVERS] as const) ports[k] = await freePort();
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    // What the chart writes into mcp-servers.yaml for each kind of entry.
    fs.writeFileSync(
      path.join(configDir, 'mcp-servers.yaml'),
      [
        'servers:',
        `  - { name: fleet-sidecar, transport: { type: http, url: "http://127.0.0.1:${ports.bridge}/mcp" } }`,
        `  - { name: fleet-service, transport: { type: http, url: "http://127.0.0.1:${ports.service}/mcp" } }`,
        `  - { name: fleet-external, transport: { type: http, url: "http://127.0.0.1:${ports.external}/mcp", headers: { Authorization: "Bearer \${FLEET_EXTERNAL_TOKEN}" } }, timeoutMs: 5000 }`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(deployment, [
      'apps:',
      ...SERVERS.map((s) => `  - { name: mcp-worker.${s}, url: "http://127.0.0.1:${ports[s]}" }`),
      'maxLag: 1000',
      `mcp: { servers: [${SERVERS.join(', ')}], minCalls: 3, maxErrorRate: 0.05, maxP95Ms: 5000 }`,
      '',
    ].join('\n'));
    const ctx = testContext('mcp-fleet-setup', { PHOENIX_CONFIG_DIR: configDir });
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => SERVERS.some((s) => t.name.startsWith(`mcp.commands.${s}`))));
    await ctx.close();

    servers.sidecar();
    servers.service();
    servers.external();
    for (const s of SERVERS) {
      // The token reaches the worker as a chart's secretEnv would; mcp-servers.yaml only names it.
      start(`worker.${s}`, [path.join(ROOT, 'dist/apps/mcp-worker/src/main.js')], { PHOENIX_CONFIG_DIR: configDir, PHOENIX_INSTANCE: instance, MCP_WORKER_SERVERS: s, HEALTH_PORT: String(ports[s]), FLEET_EXTERNAL_TOKEN: TOKEN });
    }
    for (const s of SERVERS) {
      await waitFor(`worker for ${s} ready with its server up`, async () => {
        const w = procs.get(`worker.${s}`)!;
        if (w.exitCode !== null) throw new Error(`worker.${s} exited: ${logs.get(`worker.${s}`)}`);
        const caps = (await (await fetch(`http://127.0.0.1:${ports[s]}/capabilities`)).json()) as { servers: { status: string }[] };
        return caps.servers[0]?.status === 'up';
      }, 120000);
    }
  }, 300000);

  afterAll(() => {
    for (const [, c] of procs) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
  });

  it('the workers call each server: over the bridge, a separate HTTP process, and with the external’s bearer token', async () => {
    const ctx = testContext('mcp-fleet-calls', { PHOENIX_CONFIG_DIR: configDir });
    try {
      const from = await endOffsets('mcp.results');
      const commands: Envelope<McpCommand>[] = [];
      for (let i = 0; i < 4; i++) {
        const calls: [Server, string, Record<string, unknown>][] = [
          ['fleet-sidecar', 'echo', { message: `sidecar ${run} ${i}` }],
          ['fleet-service', 'get-sum', { a: i, b: 40 }],
          ['fleet-external', 'count', { label: `external-${run}` }],
        ];
        for (const [server, tool, args] of calls) {
          const c = createEnvelope<McpCommand>({ type: 'mcp.command', source: 'spec', key: `${server}-${i}`, payload: { server, tool, arguments: args as McpCommand['arguments'], idempotencyKey: `${run}-${server}-${i}`, deadline: null, timeoutMs: null, taskId: null, stepId: null, rule: null } });
          commands.push(c);
          await ctx.bus.producer.publish(`mcp.commands.${server}`, c);
        }
      }
      const ids = commands.map((c) => c.correlationId!);
      const events = await readEvents<McpResult>(ctx.bus.codec, 'mcp.results', (es) => ids.every((id) => es.some((e) => e.event.correlationId === id)), { from, timeoutMs: 60000 });
      const results = commands.map((c) => events.find((e) => e.event.correlationId === c.correlationId)!.event.payload);
      expect(results.map((r) => [r.server, r.status])).toEqual(commands.map((c) => [c.payload.server, 'ok']));
      expect(JSON.stringify(results[0].content)).toContain(`sidecar ${run} 0`);
      expect(JSON.stringify(results[1].content)).toContain('40');
      // The token got through, and the tool ran once per command (commands of different keys may run side by side).
      const counts = results.filter((r) => r.server === 'fleet-external').map((r) => (r.structuredContent as { count: number }).count);
      expect(counts.sort()).toEqual([1, 2, 3, 4]);
    } finally {
      await ctx.close();
    }
  });

  it('phoenix validate is green: every server reachable, tools/list answering, registry matching, calls within limits', async () => {
    const { status, report } = await waitFor('a green fleet', async () => {
      const v = await validate();
      return v.status === 0 ? v : false;
    }, 60000);
    expect(status).toBe(0);
    expect(report.version).toBe(1);
    for (const s of SERVERS) {
      expect(row(report, 'mcp-server', s)).toMatchObject({ status: 'ok', detail: expect.stringMatching(new RegExp(`^up via mcp-worker\\.${s} \\(http\\): tools/list \\d+ tool\\(s\\) in \\d+ ms$`)) });
      expect(row(report, 'mcp-registry', s)).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^matches tools\/list/) });
      expect(row(report, 'mcp-calls', s)).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^4 call\(s\), 0 error\(s\) \(0\.0%/) });
    }
    expect(report.servers.map((s) => [s.server, s.status, s.reachable, s.registry, s.calls?.total, s.calls?.errorRate])).toEqual(
      [...SERVERS].sort().map((s) => [s, 'ok', true, 'match', 4, 0]),
    );
    expect(report.servers.find((s) => s.server === 'fleet-external')!.tools).toBeGreaterThanOrEqual(5);

    // The table, as an operator reads it.
    const table = await phoenixAsync(['validate', '-f', deployment], { PHOENIX_CONFIG_DIR: configDir, PHOENIX_INSTANCE: instance, LOG_LEVEL: 'error' });
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^mcp-server\s+fleet-sidecar\s+ok\s+up via mcp-worker\.fleet-sidecar/m);
    expect(table.stdout).toMatch(/^mcp-calls\s+fleet-service\s+ok\s+4 call\(s\)/m);
    expect(table.stdout).toMatch(/^healthy: 0 failing/m);
  }, 120000);

  for (const [kind, server] of [['sidecar', 'fleet-sidecar'], ['service', 'fleet-service']] as const) {
    it(`a killed ${kind} server turns validate red naming it, and green once it is back`, async () => {
      await kill(server);
      const red = await validate();
      expect(red.status).toBe(1);
      expect(red.report.healthy).toBe(false);
      expect(row(red.report, 'mcp-server', server)).toMatchObject({ status: 'fail', detail: expect.stringContaining(`unreachable from mcp-worker.${server} (http)`) });
      // Only that server (or its worker's view of it) fails: the other servers and their workers stay green.
      const failing = red.report.results.filter((r) => r.status === 'fail');
      expect(failing.filter((r) => r.target !== server && r.target !== `mcp-worker.${server}`)).toEqual([]);
      expect(red.report.servers.filter((s) => s.status !== 'ok').map((s) => [s.server, s.reachable])).toEqual([[server, false]]);
      for (const s of SERVERS.filter((x) => x !== server)) expect(row(red.report, 'mcp-server', s)!.status).toBe('ok');

      servers[kind]();
      const green = await waitFor(`validate green after ${server} restarted`, async () => {
        const v = await validate();
        return v.status === 0 ? v : false;
      }, 60000);
      expect(row(green.report, 'mcp-server', server)!.status).toBe('ok');
      expect(row(green.report, 'mcp-registry', server)!.status).toBe('ok');
    }, 120000);
  }
});
