import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { v4 as uuidv4 } from 'uuid';
import { HEADERS } from '@phoenix/bus';
import { ChangeEvent, createEnvelope, Envelope, McpCommand, McpResult, RouterStatus } from '@phoenix/contracts';
import { McpWorker, McpWorkerModule } from '@phoenix/mcp';
import { AppContext, createConsumerApp } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { endOffsets, readEvents, readUntil } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { ROUTER_TOPIC_PATTERNS } from './router.controller';
import { Router, RoutingModule } from './routing.module';

const ROOT = path.resolve(__dirname, '../../..');

describe('router → MCP worker → mcp.results (real Kafka, real MCP server)', () => {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-config-'));
  let ctx: AppContext;
  let router: Router;
  let apps: INestApplication[] = [];
  let fromResults: Map<number, string>;
  let fromCommands: Map<number, string>;
  let fromAgent: Map<number, string>;
  let fromStatus: Map<number, string>;

  /** The newest status this router published to router.status that satisfies `ok`. */
  const statusWhere = async (ok: (s: RouterStatus) => boolean) =>
    (await readEvents<RouterStatus>(ctx.bus.codec, 'router.status', (es) => es.some((e) => e.event.key === router.status.process && ok(e.event.payload)), { from: fromStatus, timeoutMs: 30000 }))
      .filter((e) => e.event.key === router.status.process && ok(e.event.payload))
      .pop()!.event.payload;

  const change = (over: Partial<ChangeEvent> = {}, correlationId = `corr-${uuidv4()}`): Envelope<ChangeEvent> =>
    createEnvelope<ChangeEvent>({
      type: 'deal.changed',
      source: 'estuary',
      key: 'deal-42',
      correlationId,
      payload: {
        system: 'hubspot',
        schema: 'crm',
        table: 'deals',
        primaryKey: { id: 42 },
        op: 'update',
        before: { id: 42, stage: 'proposal' },
        after: { id: 42, stage: 'closed-won' },
        changedFields: ['stage'],
        position: { lsn: null, txId: '1', uuid: null, binlog: null },
        sourceTs: null,
        snapshot: false,
        ...over,
      },
    });

  const resultFor = async (correlationId: string) =>
    (await readEvents<McpResult>(ctx.bus.codec, 'mcp.results', (es) => es.some((e) => e.event.correlationId === correlationId), { from: fromResults, timeoutMs: 60000 })).find(
      (e) => e.event.correlationId === correlationId,
    )!.event;

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    ctx = testContext('router-test', { PHOENIX_CONFIG_DIR: configDir, BUS_TOPIC_REFRESH_MS: '1000' });
    await ctx.bus.admin.apply();
    [fromResults, fromCommands, fromAgent, fromStatus] = await Promise.all([endOffsets('mcp.results'), endOffsets('mcp.commands.everything'), endOffsets('events.agent'), endOffsets('router.status')]);
    const worker = McpWorker.fromConfig(ctx, ['everything']);
    await worker.start();
    router = new Router(ctx);
    const run = Date.now();
    apps = [
      await createConsumerApp(ctx, { app: 'mcp-worker', module: McpWorkerModule.forWorker(worker), groupId: `router-test-worker-${run}`, topics: worker.topics, ownsContext: false }),
      await createConsumerApp(ctx, { app: 'router', module: RoutingModule.forRouter(router, { watch: true }), groupId: `router-test-router-${run}`, topics: router.topics(ctx), transport: { discover: ROUTER_TOPIC_PATTERNS }, ownsContext: false }),
    ];
    for (const app of apps) {
      await app.startAllMicroservices();
      await app.init();
    }
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await ctx?.close();
  });

  it('routes a CDC change to a real MCP tool; the result carries the source correlation id', async () => {
    const event = change();
    await ctx.bus.producer.publish('cdc.hubspot.deals', event);
    const result = await resultFor(event.correlationId!);
    expect(result.payload.status).toBe('ok');
    expect(JSON.stringify(result.payload.content)).toContain('deal 42 moved to closed-won');

    // One event may match several rules: the closed-won copy went to events.agent too.
    const copies = await readEvents(ctx.bus.codec, 'events.agent', (es) => es.some((e) => e.event.correlationId === event.correlationId), { from: fromAgent });
    const copy = copies.find((e) => e.event.correlationId === event.correlationId)!.event;
    expect(copy).toMatchObject({ type: 'deal.won', causationId: event.id, source: 'router/won-deals-copy', key: 'deal-42' });

    // The command was keyed like its source (per-entity order) and traces back to it.
    const commands = await readEvents<McpCommand>(ctx.bus.codec, 'mcp.commands.everything', (es) => es.some((e) => e.event.correlationId === event.correlationId), { from: fromCommands });
    const cmd = commands.find((e) => e.event.correlationId === event.correlationId)!.event;
    expect(cmd).toMatchObject({ key: 'deal-42', causationId: event.id });
    expect(cmd.payload.idempotencyKey).toBe(`${event.id}:deal-stage-echo:0`);
  });

  it('a matching topic created while the router runs is routed within a refresh, without a restart', async () => {
    const name = `cdc.hubspot.live${Date.now()}`;
    // Created from outside, as `phoenix topics apply` would, and published to by another process.
    const other = testContext('router-test-publisher');
    try {
      await other.bus.admin.apply([other.bus.catalogue.declare(name, 2)]);
      const event = change();
      await other.bus.producer.publish(name, event);
      const result = await resultFor(event.correlationId!);
      expect(result.payload.status).toBe('ok');
      expect(JSON.stringify(result.payload.content)).toContain('deal 42 moved to closed-won');
    } finally {
      await other.close();
    }
  });

  it('snapshot and replayed events reach no worker', async () => {
    const snapshot = change({ op: 'snapshot', snapshot: true });
    const backfill = change({ op: 'update', snapshot: true });
    const replayed = change();
    const marker = change();
    await ctx.bus.producer.publish('cdc.hubspot.deals', snapshot);
    await ctx.bus.producer.publish('cdc.hubspot.deals', backfill);
    await ctx.bus.producer.publish('cdc.hubspot.deals', replayed, { headers: { [HEADERS.replay]: 'true' } });
    await ctx.bus.producer.publish('cdc.hubspot.deals', marker);
    // Same key, same partition: once the marker's result exists, the three before it were routed.
    await resultFor(marker.correlationId!);
    const commands = await readEvents<McpCommand>(ctx.bus.codec, 'mcp.commands.everything', (es) => es.some((e) => e.event.correlationId === marker.correlationId), { from: fromCommands });
    const routed = new Set(commands.map((c) => c.event.correlationId));
    expect(routed.has(snapshot.correlationId)).toBe(false);
    expect(routed.has(backfill.correlationId)).toBe(false);
    expect(routed.has(replayed.correlationId)).toBe(false);
  });

  it('a bad routes file is rejected with a clear error and the previous rules stay active; a good one is picked up', async () => {
    const file = path.join(configDir, 'routes.yaml');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, good.replace('server: everything', 'server: nowhere'));
    await waitFor('the reload to be rejected', () => router.table.status().lastError);
    expect(router.table.status().lastError).toMatch(/MCP server "nowhere" is not configured/);
    const health = await ctx.health.evaluate();
    expect(health.checks.routes.status).toBe('degraded');
    // Published for the console: why the file was rejected, and the rules that stay active with their hits.
    const rejected = await statusWhere((s) => s.lastRejectedAt !== null && s.lastRejectedAt > s.loadedAt);
    expect(rejected.lastRejectedError).toMatch(/MCP server "nowhere" is not configured/);
    const echo = rejected.rules.find((r) => r.name === 'deal-stage-echo')!;
    expect(echo.hits).toBeGreaterThanOrEqual(1);
    expect(echo.emitted).toBeGreaterThanOrEqual(1);

    const event = change();
    await ctx.bus.producer.publish('cdc.hubspot.deals', event);
    expect((await resultFor(event.correlationId!)).payload.status).toBe('ok');

    fs.writeFileSync(file, good.replace('name: deal-stage-echo', 'name: deal-stage-echo-v2'));
    await waitFor('the new rules', () => router.table.active().some((r) => r.config.name === 'deal-stage-echo-v2'));
    expect(router.table.status().lastError).toBeNull();
    const accepted = await statusWhere((s) => s.rules.some((r) => r.name === 'deal-stage-echo-v2'));
    expect(accepted.lastRejectedError).toMatch(/nowhere/);
    expect(accepted.lastRejectedAt! < accepted.loadedAt).toBe(true);
  });

  it('a stopped router removes its status (a tombstone on router.status)', async () => {
    const process = router.status.process;
    await router.status.stop();
    const read = await readUntil('router.status', (ms) => ms.some((m) => m.message.key?.toString() === process && m.message.value === null), { from: fromStatus });
    expect(read.filter((m) => m.message.key?.toString() === process).pop()!.message.value).toBeNull();
  });
});
