import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { createEnvelope, Envelope, McpCommand, McpResult, ServerCapabilities } from '@phoenix/contracts';
import { AppContext, createConsumerApp } from '@phoenix/runtime';
import { TopicView } from '@phoenix/bus';
import { portInUse } from '@phoenix/stack';
import { testContext } from '../../../test/support/context';
import { endOffsets, readEvents } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { McpWorker } from './mcp-worker';
import { McpWorkerModule } from './mcp-worker.module';

const ROOT = path.resolve(__dirname, '../../..');
const HTTP_PORT = 3900 + Math.floor(Math.random() * 90);
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-fixture-'));

describe('MCP worker (real Kafka, real MCP servers over stdio and Streamable HTTP)', () => {
  let ctx: AppContext;
  let worker: McpWorker;
  let app: INestApplication;
  let base: string;
  let everythingHttp: ChildProcess;
  let from: Map<number, string>;

  const command = (server: string, tool: string, args: unknown, extra: Partial<McpCommand> = {}) =>
    createEnvelope<McpCommand>({
      type: 'mcp.command',
      source: 'spec',
      key: extra.idempotencyKey ?? `k-${Math.random()}`,
      payload: { server, tool, arguments: args as McpCommand['arguments'], idempotencyKey: `idem-${Math.random()}`, deadline: null, timeoutMs: null, taskId: null, stepId: null, rule: null, ...extra },
    });

  /** Publishes commands and returns the results, by the command's correlation id. */
  const run = async (...commands: Envelope<McpCommand>[]) => {
    for (const c of commands) await ctx.bus.producer.publish(`mcp.commands.${c.payload.server}`, c);
    const ids = commands.map((c) => c.correlationId!);
    const events = await readEvents<McpResult>(ctx.bus.codec, 'mcp.results', (es) => ids.every((id) => es.some((e) => e.event.correlationId === id)), { from, timeoutMs: 60000 });
    return ids.map((id) => events.filter((e) => e.event.correlationId === id).map((e) => e.event));
  };

  beforeAll(async () => {
    everythingHttp = spawn('node', [path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'streamableHttp'], { env: { ...process.env, PORT: String(HTTP_PORT) }, stdio: 'ignore' });
    await waitFor('server-everything (HTTP) to listen', () => portInUse(HTTP_PORT), 30000);
    ctx = testContext('mcp-worker-test', { PHOENIX_CONFIG_DIR: 'test/fixtures/config', EVERYTHING_HTTP_PORT: String(HTTP_PORT), FIXTURE_STATE_DIR: stateDir });
    await ctx.bus.admin.apply();
    from = await endOffsets('mcp.results');
    worker = McpWorker.fromConfig(ctx, ['everything', 'everything-http', 'counter', 'restricted']);
    await worker.start();
    app = await createConsumerApp(ctx, { app: 'mcp-worker', module: McpWorkerModule.forWorker(worker), groupId: `mcp-worker-test-${Date.now()}`, topics: worker.topics, ownsContext: true });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    everythingHttp?.kill();
  });

  it('calls a third-party server over stdio and over Streamable HTTP; results carry the correlation id', async () => {
    const [viaStdio, viaHttp] = await run(
      command('everything', 'echo', { message: 'hello over stdio' }),
      command('everything-http', 'echo', { message: 'hello over http' }),
    );
    expect(viaStdio[0].payload).toMatchObject({ status: 'ok', server: 'everything', tool: 'echo', attempts: 1 });
    expect(JSON.stringify(viaStdio[0].payload.content)).toContain('hello over stdio');
    expect(viaHttp[0].payload.error).toBeNull();
    expect(viaHttp[0].payload.status).toBe('ok');
    expect(JSON.stringify(viaHttp[0].payload.content)).toContain('hello over http');
    expect(viaHttp[0].source).toBe('mcp-worker/everything-http');
  });

  it('speaks MCP 2026-07-28 with a v2 server and falls back to 2025-11-25 with an older one', async () => {
    await waitFor('servers connected', () => [...worker.connections.values()].every((c) => c.isUp), 30000);
    // The fixture server is on the v2 SDK; server-everything is built on the 1.x SDK.
    expect(worker.connections.get('counter')!.serverInfo.protocolVersion).toBe('2026-07-28');
    expect(worker.connections.get('everything')!.serverInfo.protocolVersion).toBe('2025-11-25');
    expect(worker.connections.get('everything-http')!.serverInfo.protocolVersion).toBe('2025-11-25');
  });

  it('publishes capabilities to mcp.capabilities and serves them at GET /capabilities', async () => {
    const res = (await (await fetch(`${base}/capabilities`)).json()) as { servers: ServerCapabilities[] };
    const everything = res.servers.find((s) => s.server === 'everything')!;
    expect(everything.status).toBe('up');
    expect(everything.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    expect(res.servers.find((s) => s.server === 'restricted')!.tools.map((t) => t.name)).toEqual(['sleep']);

    const view = new TopicView<ServerCapabilities>(ctx.bus.kafka, ctx.bus.codec, 'mcp.capabilities', ctx.logger);
    await view.start();
    await view.ready();
    await waitFor('capabilities on the topic', () => view.get('everything-http')?.payload.tools.some((t) => t.name === 'echo'));
    await view.stop();
  });

  it('runs a command with an already-seen idempotency key once (proven by a tool that counts)', async () => {
    const label = `dup-${Date.now()}`;
    const a = command('counter', 'count', { label }, { idempotencyKey: `count-${label}` });
    const b = command('counter', 'count', { label }, { idempotencyKey: `count-${label}` });
    const [ra] = await run(a);
    const [rb] = await run(b);
    expect(ra[0].payload.status).toBe('ok');
    expect(rb[0].payload.status).toBe('rejected');
    expect(rb[0].payload.duplicateOf).toBe(ra[0].id);
    const calls = fs.readFileSync(path.join(stateDir, 'counter.calls'), 'utf8').split('\n').filter((l) => l === label);
    expect(calls).toHaveLength(1);
  });

  it('rejects bad commands with a clear reason and never calls the tool', async () => {
    const label = `rejected-${Date.now()}`;
    const wrongServer = command('counter', 'count', { label });
    wrongServer.payload.server = 'nope';
    await ctx.bus.producer.publish('mcp.commands.counter', wrongServer);
    const [badArgs, unknownTool, expired, notAllowed] = await run(
      command('counter', 'count', { label: 42, extra: true }),
      command('counter', 'no_such_tool', {}),
      command('counter', 'count', { label }, { deadline: Date.now() - 1000 }),
      command('restricted', 'count', { label }),
    );
    expect(badArgs[0].payload.status).toBe('rejected');
    expect(badArgs[0].payload.error).toContain('/arguments/label');
    expect(unknownTool[0].payload.error).toMatch(/unknown tool "no_such_tool"/);
    expect(expired[0].payload.error).toMatch(/deadline .* has passed/);
    expect(notAllowed[0].payload.error).toMatch(/not in the allow-list/);
    const events = await readEvents<McpResult>(ctx.bus.codec, 'mcp.results', (es) => es.some((e) => e.event.correlationId === wrongServer.correlationId), { from });
    expect(events.find((e) => e.event.correlationId === wrongServer.correlationId)!.event.payload.error).toMatch(/unknown MCP server "nope"/);
    const calls = fs.existsSync(path.join(stateDir, 'counter.calls')) ? fs.readFileSync(path.join(stateDir, 'counter.calls'), 'utf8') : '';
    expect(calls).not.toContain(label);
  });

  it('reports tool errors and timeouts', async () => {
    const [toolError, timeout] = await run(command('counter', 'fail', { reason: 'no such deal' }), command('counter', 'sleep', { ms: 3000 }, { timeoutMs: 300 }));
    expect(toolError[0].payload).toMatchObject({ status: 'tool_error', error: 'no such deal' });
    expect(timeout[0].payload.status).toBe('timeout');
  });

  it('restarts a stdio server that died and keeps serving', async () => {
    const [crashed] = await run(command('counter', 'crash', {}));
    expect(crashed[0].payload.status).toBe('failed');
    expect(crashed[0].payload.attempts).toBe(2);
    const [after] = await run(command('counter', 'count', { label: `after-crash-${Date.now()}` }));
    expect(after[0].payload.status).toBe('ok');
  });
});
