import { INestApplication } from '@nestjs/common';
import { v4 as uuidv4 } from 'uuid';
import { loadN8nConfig, sign } from '@phoenix/n8n';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { readUntil } from '../../../test/support/topics';
import { createGatewayApp } from './gateway.app';

/** n8n → Phoenix inbound webhooks: every bad request gets its exact status and publishes nothing. */
describe('inbound n8n webhooks (real Kafka + registry)', () => {
  let ctx: AppContext;
  let app: INestApplication;
  let base: string;
  let secret: string;

  const post = (flow: string, body: string, headers: Record<string, string>) => fetch(`${base}/v1/webhooks/n8n/${flow}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const signed = (body: string, over: { timestamp?: number; key?: string; nonce?: string } = {}) => {
    const ts = String(over.timestamp ?? Math.floor(Date.now() / 1000));
    return { 'x-phoenix-timestamp': ts, 'x-phoenix-signature': sign(over.key ?? secret, ts, body), 'x-phoenix-nonce': over.nonce ?? uuidv4() };
  };

  beforeAll(async () => {
    ctx = testContext('webhook-test', { GATEWAY_MAX_BODY_BYTES: '2048' });
    secret = loadN8nConfig(ctx.config.paths.config, ctx.env).flows.find((f) => f.name === 'echo')!.inbound!.secret;
    app = await createGatewayApp(ctx, { ownsContext: true });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app?.close());

  it('a signed request becomes an event; its id comes back', async () => {
    const body = JSON.stringify({ deliveryId: 'd-1', attempt: 1, received: { ok: true } });
    const res = await post('echo', body, signed(body));
    expect(res.status).toBe(201);
    const receipt = (await res.json()) as { id: string; topic: string; partition: number; offset: string };
    expect(receipt.topic).toBe('events.app');
    const read = await readUntil('events.app', (ms) => ms.some((m) => m.partition === receipt.partition && m.message.offset === receipt.offset));
    const m = read.find((x) => x.partition === receipt.partition && x.message.offset === receipt.offset)!;
    expect(await ctx.bus.codec.decode('events.app', m.message.value)).toMatchObject({ id: receipt.id, type: 'n8n.echo.completed', source: 'n8n/echo', payload: { deliveryId: 'd-1' } });
  });

  it('forged → 401, stale → 401, unsigned → 401', async () => {
    const body = JSON.stringify({ a: 1 });
    expect((await post('echo', body, signed(body, { key: 'not-the-secret-at-all' }))).status).toBe(401);
    expect((await post('echo', body, signed(body, { timestamp: Math.floor(Date.now() / 1000) - 600 }))).status).toBe(401);
    const tampered = signed(body);
    expect((await post('echo', JSON.stringify({ a: 2 }), tampered)).status).toBe(401);
    const res = await post('echo', body, {});
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/missing X-Phoenix-Timestamp/);
  });

  it('replayed → 409', async () => {
    const body = JSON.stringify({ deliveryId: 'd-2', attempt: 1, received: {} });
    const headers = signed(body);
    expect((await post('echo', body, headers)).status).toBe(201);
    const again = await post('echo', body, headers);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('REPLAYED');
  });

  it('oversized → 413, not valid for the target schema → 400, unknown flow → 404', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(4000) });
    expect((await post('echo', big, signed(big))).status).toBe(413);
    // The sales flow maps the body into a supervisor task; a task needs a goal string.
    const salesSecret = loadN8nConfig(ctx.config.paths.config, ctx.env).flows.find((f) => f.name === 'sales_pipeline_analysis')!.inbound!.secret;
    const bad = JSON.stringify({ goal: 42 });
    const res = await post('sales_pipeline_analysis', bad, signed(bad, { key: salesSecret }));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { violations: { path: string }[] } };
    expect(error.violations.map((v) => v.path)).toContain('/payload/goal');
    const good = JSON.stringify({ goal: "Analyze last week's sales calls", inputs: { since: '2026-11-18' } });
    expect((await post('sales_pipeline_analysis', good, signed(good, { key: salesSecret }))).status).toBe(201);
    expect((await post('nope', good, signed(good))).status).toBe(404);
  });
});
