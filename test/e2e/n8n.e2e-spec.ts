import { INestApplication } from '@nestjs/common';
import { v4 as uuidv4 } from 'uuid';
import { createEnvelope, JsonObject, N8nDelivery, N8nResponse } from '@phoenix/contracts';
import { createGatewayApp } from '@phoenix/gateway';
import { loadN8nConfig, N8nAdmin, N8nBridge, n8nWorkflowEnv, readWorkflows } from '@phoenix/n8n';
import { AppContext } from '@phoenix/runtime';
import { StackManager, stackOptions } from '@phoenix/stack';
import * as path from 'node:path';
import { testContext } from '../support/context';
import { ROOT } from '../support/cli';
import { endOffsets, readEvents, testKafka } from '../support/topics';
import { waitFor } from '../support/wait';

/** The acceptance outage is 30 s: N8N_DOWN_SECONDS=30. */
const DOWN_SECONDS = Number(process.env.N8N_DOWN_SECONDS ?? 10);
const BURST = Number(process.env.N8N_BURST ?? 1000);
const GATEWAY_PORT = 18090;
/**
 * The gateway's in-flight bound for this spec: below the bridge's concurrency (8 lanes per
 * partition), so after the outage the gateway sheds some of n8n's callbacks with 429 and the spec
 * covers that path — n8n answers the delivery 503, the bridge delivers again, nothing is lost.
 */
const GATEWAY_MAX_IN_FLIGHT = '4';

/**
 * A real n8n (installed from npm into a cached prefix, started on loopback by the stack library),
 * Phoenix's workflows deployed headless, and the round trip both ways.
 */
describe('n8n bridge, both ways, against a real n8n', () => {
  const run = Date.now();
  let ctx: AppContext;
  let stack: StackManager;
  let gateway: INestApplication;
  let bridge: N8nBridge;
  let n8nUrl: string;

  const delivery = (flow: string, data: JsonObject) =>
    createEnvelope<N8nDelivery>({ type: 'n8n.delivery', source: 'spec', key: `k-${uuidv4()}`, payload: { flow, rule: null, sourceTopic: 'events.app', event: { spec: true }, data } });

  beforeAll(async () => {
    const base = testContext('n8n-probe');
    const flowsEnv = n8nWorkflowEnv(loadN8nConfig(base.config.paths.config));
    await base.close();
    stack = new StackManager(stackOptions(process.env, { name: 'n8n-e2e', portOffset: 200, n8nEnv: flowsEnv, phoenixUrl: `http://127.0.0.1:${GATEWAY_PORT}` }), (m) => process.stderr.write(`[n8n] ${m}\n`));
    await stack.up(['n8n']);
    n8nUrl = `http://127.0.0.1:${stack.options.n8n.port}`;
    ctx = testContext('n8n-test', { N8N_BASE_URL: n8nUrl, PHOENIX_INSTANCE: `n8n-test-${run}`, BUS_RETRY_BACKOFF_MS: '300', BUS_RETRY_BACKOFF_MAX_MS: '2000', GATEWAY_MAX_IN_FLIGHT });
    await ctx.bus.admin.apply();
    const cfg = loadN8nConfig(ctx.config.paths.config, ctx.env);
    await new N8nAdmin(cfg).deploy(readWorkflows(path.join(ROOT, cfg.n8n.workflowsDir)));
    gateway = await createGatewayApp(ctx, { ownsContext: false });
    await gateway.listen(GATEWAY_PORT, '127.0.0.1');
    bridge = new N8nBridge(ctx, cfg);
    await bridge.start();
  }, 900000);

  afterAll(async () => {
    await bridge?.stop();
    await gateway?.close();
    await ctx?.close();
    // The spec started n8n; left running it holds its port for the next run on this machine.
    await stack?.down(['n8n']);
  });

  const shedCount = async () => (await ctx.metrics.httpShed.get()).values.reduce((n, v) => n + v.value, 0);

  const responses = (from: Map<number, string>, ids: Set<string>) =>
    readEvents<N8nResponse>(ctx.bus.codec, 'n8n.responses', (es) => [...ids].every((id) => es.some((e) => e.event.payload.deliveryEventId === id)), { from, timeoutMs: 240000 });

  it('round trip: topic → bridge → n8n webhook → n8n HTTP Request → Phoenix inbound webhook (signed) → topic', async () => {
    const [fromResponses, fromApp] = await Promise.all([endOffsets('n8n.responses'), endOffsets('events.app')]);
    const d = delivery('echo', { hello: 'n8n' });
    await ctx.bus.producer.publish('n8n.outbound.echo', d);
    const res = (await responses(fromResponses, new Set([d.id]))).find((e) => e.event.payload.deliveryEventId === d.id)!.event;
    expect(res.payload.status).toBe(200);
    expect(res.correlationId).toBe(d.correlationId);
    expect((res.payload.body as { ok: boolean }).ok).toBe(true);

    const back = await readEvents<{ deliveryId: string; attempt: number; received: unknown }>(ctx.bus.codec, 'events.app', (es) => es.some((e) => e.event.payload?.deliveryId === d.id), { from: fromApp });
    const event = back.find((e) => e.event.payload?.deliveryId === d.id)!.event;
    expect(event).toMatchObject({ type: 'n8n.echo.completed', source: 'n8n/echo', correlationId: d.correlationId });
    expect(event.payload.received).toEqual({ hello: 'n8n' });
  });

  it('commit-on-success: n8n fails the first attempt, the retry succeeds, then the offset moves', async () => {
    const from = await endOffsets('n8n.responses');
    const d = delivery('flaky', { n: 1 });
    const receipt = await ctx.bus.producer.publish('n8n.outbound.flaky', d);
    const committed = async () => {
      const admin = testKafka().admin();
      await admin.connect();
      try {
        const [t] = await admin.fetchOffsets({ groupId: `n8n-test-${run}-n8n-bridge`, topics: ['n8n.outbound.flaky'] });
        return BigInt(t.partitions.find((p) => p.partition === receipt.partition)?.offset ?? '-1');
      } finally {
        await admin.disconnect();
      }
    };
    const res = (await responses(from, new Set([d.id]))).find((e) => e.event.payload.deliveryEventId === d.id)!.event;
    expect(res.payload.attempts).toBe(2);
    expect(res.payload.body).toEqual({ attempt: '2' });
    await waitFor('the offset to move past the delivery', async () => (await committed()) > BigInt(receipt.offset));
  });

  it(`n8n down for ${DOWN_SECONDS} s during a burst of ${BURST}: each delivered exactly once after it returns, nothing left behind`, async () => {
    const [fromResponses, fromApp] = await Promise.all([endOffsets('n8n.responses'), endOffsets('events.app')]);
    const shedBefore = await shedCount();
    await stack.down(['n8n']);
    const ids = new Set<string>();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < BURST; i++) {
      const d = delivery('echo', { i });
      ids.add(d.id);
      sends.push(ctx.bus.producer.publish('n8n.outbound.echo', d));
    }
    await Promise.all(sends);
    await waitFor('the bridge to report the outage', async () => (await ctx.health.evaluate()).checks['n8n-bridge']?.status === 'degraded', 60000);
    await new Promise((r) => setTimeout(r, DOWN_SECONDS * 1000)); // the outage itself, not a wait for a result
    await stack.up(['n8n']);

    await responses(fromResponses, ids);
    const back = await readEvents<{ deliveryId: string }>(ctx.bus.codec, 'events.app', (es) => new Set(es.map((e) => e.event.payload?.deliveryId).filter((x) => ids.has(x))).size === ids.size, { from: fromApp, timeoutMs: 240000 });
    const arrivals = back.filter((e) => ids.has(e.event.payload?.deliveryId));
    expect(new Set(arrivals.map((e) => e.event.payload.deliveryId)).size).toBe(BURST);
    expect(arrivals).toHaveLength(BURST); // n8n ran each delivery exactly once
    // Some callbacks were refused with 429 on the way back and came again through the bridge.
    expect(await shedCount()).toBeGreaterThan(shedBefore);

    const admin = testKafka().admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets('n8n.outbound.echo');
    await waitFor('every offset committed', async () => {
      const [t] = await admin.fetchOffsets({ groupId: `n8n-test-${run}-n8n-bridge`, topics: ['n8n.outbound.echo'] });
      return ends.every((e) => t.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
    });
    await admin.disconnect();
  });
});
