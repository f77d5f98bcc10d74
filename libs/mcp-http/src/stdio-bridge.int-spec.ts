import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createLogger } from '@phoenix/observability';
import { McpCallError, McpErrorCode, McpServerConnection, mcpServerSchema } from '@phoenix/mcp';
import { freePort } from '../../../test/support/ports';
import { waitFor } from '../../../test/support/wait';
import { McpStdioBridge, bridgeOptionsSchema } from './stdio-bridge';

const ROOT = path.resolve(__dirname, '../../..');
const EVERYTHING = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const FIXTURE = path.join(ROOT, 'test/fixtures/mcp/fixture-server.js');
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-bridge-'));

type Health = { status: string; state: string; pid: number | null; restarts: number; tools: number; lastError: string | null };

async function startBridge(name: string, command: string, args: string[], extra: { healthPort?: number } = {}): Promise<{ bridge: McpStdioBridge; base: string }> {
  const bridge = new McpStdioBridge(bridgeOptionsSchema.parse({ name, port: 0, command, args, ...extra }), logger, { ...(process.env as Record<string, string>), FIXTURE_STATE_DIR: stateDir });
  const { port } = await bridge.start();
  return { bridge, base: `http://127.0.0.1:${port}` };
}

const health = async (base: string, which: 'live' | 'ready') => {
  const res = await fetch(`${base}/health/${which}`);
  return { status: res.status, body: (await res.json()) as Health };
};

const connect = async (base: string, mode: 'auto' | 'legacy' = 'auto') => {
  const client = new Client({ name: 'bridge-spec', version: '1.0.0' }, { capabilities: {}, versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  return client;
};

/** The bridge with real stdio servers as children and the SDK's HTTP client (and the worker's connection) in front. */
describe('mcp-bridge: a stdio MCP server as Streamable HTTP (real processes)', () => {
  const bridges: McpStdioBridge[] = [];
  afterAll(async () => {
    await Promise.all(bridges.map((b) => b.close()));
  });

  describe('server-everything (npm, SDK 1.x) behind the bridge', () => {
    let bridge: McpStdioBridge;
    let base: string;

    beforeAll(async () => {
      ({ bridge, base } = await startBridge('everything', process.execPath, [EVERYTHING, 'stdio']));
      bridges.push(bridge);
      await bridge.ready(30000);
    });

    it('lists and calls its tools for a 2026-07-28 and a 2025-11-25 client alike', async () => {
      for (const mode of ['auto', 'legacy'] as const) {
        const client = await connect(base, mode);
        expect(client.getNegotiatedProtocolVersion()).toBe(mode === 'auto' ? '2026-07-28' : '2025-11-25');
        // The worker sees the server's own identity, not the bridge's.
        expect(client.getServerVersion()?.name).toMatch(/everything/i);
        const { tools } = await client.listTools(undefined, { cacheMode: 'bypass' });
        expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
        const r = await client.callTool({ name: 'echo', arguments: { message: `via the bridge (${mode})` } });
        expect(JSON.stringify(r.content)).toContain(`via the bridge (${mode})`);
        await client.close();
      }
    });

    it('answers the probes: live and ready while the server runs', async () => {
      const ready = await health(base, 'ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'up', state: 'up', restarts: 0, lastError: null });
      expect(ready.body.tools).toBeGreaterThan(5);
      expect(ready.body.pid).toEqual(expect.any(Number));
      expect((await fetch(`${base}/mcp`)).status).toBe(405);
    });

    it('restarts a server that was killed: not ready meanwhile, then serving again', async () => {
      const { body } = await health(base, 'ready');
      process.kill(body.pid!, 'SIGKILL');
      const down = await waitFor('the bridge to notice', async () => {
        const h = await health(base, 'ready');
        return h.status === 503 ? h : false;
      }, 10000);
      expect(down.body.state).not.toBe('up');
      const back = await waitFor('the server restarted', async () => {
        const h = await health(base, 'ready');
        return h.status === 200 ? h : false;
      }, 30000);
      expect(back.body.restarts).toBe(1);
      expect(back.body.pid).not.toBe(body.pid);
      const client = await connect(base);
      const r = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
      expect(JSON.stringify(r.content)).toContain('5');
      await client.close();
    });
  });

  describe('a fixture server that fails and crashes, through the worker’s own connection', () => {
    let bridge: McpStdioBridge;
    let connection: McpServerConnection;

    beforeAll(async () => {
      const started = await startBridge('counter', process.execPath, [FIXTURE, 'counter']);
      bridge = started.bridge;
      bridges.push(bridge);
      await bridge.ready(30000);
      connection = new McpServerConnection(mcpServerSchema.parse({ name: 'counter', transport: { type: 'http', url: `${started.base}/mcp` } }), logger);
      await connection.ready(10000);
    });
    afterAll(() => connection?.close());

    it('passes the server’s tool errors and protocol errors through unchanged', async () => {
      const failed = await connection.callTool('fail', { reason: 'no such deal' }, { timeoutMs: 5000 });
      expect(failed.isError).toBe(true);
      expect(JSON.stringify(failed.content)).toContain('no such deal');
      const err = await connection.callTool('no_such_tool', {}, { timeoutMs: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpCallError);
      expect((err as McpCallError).code).toBe(McpErrorCode.Protocol);
      expect(ProtocolError.isInstance((err as McpCallError).cause)).toBe(true);
    });

    it('a server dying mid-call is "unavailable" to the worker (retried), not a tool error', async () => {
      const err = await connection.callTool('crash', {}, { timeoutMs: 10000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpCallError);
      expect((err as McpCallError).code).toBe(McpErrorCode.Unavailable);
      // The bridge restarts the server; the worker's next call gets through.
      await bridge.ready(30000);
      const label = `after-crash-${Date.now()}`;
      const r = await waitFor('a call after the restart', () => connection.callTool('count', { label }, { timeoutMs: 5000 }).catch(() => undefined), 30000);
      expect(r.structuredContent).toEqual({ label, count: 1 });
    });
  });

  it('reports a server that cannot start, and keeps trying; probes also answer on the health port', async () => {
    const healthPort = await freePort();
    const { bridge, base } = await startBridge('ghost', path.join(stateDir, 'no-such-binary'), [], { healthPort });
    bridges.push(bridge);
    const h = await waitFor('the failed start', async () => {
      const x = await health(base, 'ready');
      return x.body.lastError ? x : false;
    }, 10000);
    expect(h.status).toBe(503);
    expect(h.body.lastError).toMatch(/cannot start .*no-such-binary/);
    expect((await health(base, 'live')).status).toBe(200);
    // MCP requests get 503 meanwhile, which the worker treats as unavailable (retried).
    const refused = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/ghost: the stdio server is not running \(cannot start/);
    // kubelet probes the pod IP: the health listener (0.0.0.0) answers the probes and nothing else.
    const healthBase = `http://127.0.0.1:${healthPort}`;
    expect((await health(healthBase, 'live')).status).toBe(200);
    expect((await health(healthBase, 'ready')).body).toMatchObject({ status: 'down', server: 'ghost' });
    expect((await fetch(`${healthBase}/mcp`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
