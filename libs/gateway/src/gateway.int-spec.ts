import { INestApplication } from '@nestjs/common';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { AppContext } from '@phoenix/runtime';
import { readUntil } from '../../../test/support/topics';
import { testContext } from '../../../test/support/context';
import { createGatewayApp } from './gateway.app';

const ALL = 'test-key-all-0123456789';
const CDC_ONLY = 'test-key-cdc-0123456789';

describe('gateway (real Kafka + registry)', () => {
  let ctx: AppContext;
  let app: INestApplication;
  let base: string;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ALL}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    ctx = testContext('gateway-test', { PHOENIX_API_KEYS: `${ALL}=*;${CDC_ONLY}=cdc.*`, GATEWAY_MAX_BODY_BYTES: '4096', GATEWAY_BATCH_MAX_EVENTS: '5' });
    app = await createGatewayApp(ctx, { ownsContext: true });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
  });

  it('publishes a valid event and answers with where the broker stored it', async () => {
    const res = await post('/v1/events', { topic: 'events.app', type: 'deal.updated', key: 'deal-7', payload: { stage: 'won', amount: 10 } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; partition: number; offset: string; correlationId: string };
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.correlationId).toBe(body.id);

    const read = await readUntil('events.app', (ms) => ms.some((m) => m.partition === body.partition && m.message.offset === body.offset));
    const stored = read.find((m) => m.partition === body.partition && m.message.offset === body.offset)!;
    const event = await ctx.bus.codec.decode('events.app', stored.message.value);
    expect(event).toMatchObject({ id: body.id, type: 'deal.updated', key: 'deal-7', source: 'gateway', payload: { stage: 'won', amount: 10 } });
    expect(stored.message.key?.toString()).toBe('deal-7');
    // Correlation and W3C trace context travel in Kafka headers.
    expect(stored.message.headers?.['phoenix-correlation-id']?.toString()).toBe(body.id);
    expect(stored.message.headers?.traceparent?.toString()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('400: body is not JSON', async () => {
    const res = await post('/v1/events', '{"topic": ');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
  });

  it('400: lists every schema violation with a JSON pointer', async () => {
    const res = await post('/v1/events', {
      topic: 'cdc.hubspot.deals',
      type: 'deal.updated',
      payload: { system: 'hubspot', op: 'upsert', primaryKey: { id: 1 }, position: {}, extra: true, changedFields: ['a', 3] },
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { violations: { path: string; message: string }[] } };
    const paths = error.violations.map((v) => v.path).sort();
    expect(paths).toEqual(['/payload/changedFields/1', '/payload/extra', '/payload/op', '/payload/table']);
    expect(error.violations.find((v) => v.path === '/payload/op')!.message).toContain('"create"');
  });

  it('400: request fields are validated before the schema (missing type, unknown field)', async () => {
    const res = await post('/v1/events', { topic: 'events.app', payload: {}, colour: 'red' });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { violations: { path: string }[] } };
    expect(error.violations.map((v) => v.path).sort()).toEqual(['/colour', '/type']);
  });

  it('404: unknown topic (and retry/DLQ topics are not publishable)', async () => {
    for (const topic of ['events.nope', 'events.app.dlq']) {
      const res = await post('/v1/events', { topic, type: 'x.y', payload: {} });
      expect(res.status).toBe(404);
    }
  });

  it('413: body over GATEWAY_MAX_BODY_BYTES', async () => {
    const res = await post('/v1/events', { topic: 'events.app', type: 'big.blob', payload: { blob: 'x'.repeat(5000) } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('401: no key or a wrong key', async () => {
    const none = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    const wrong = await post('/v1/events', { topic: 'events.app', type: 'a.b', payload: {} }, { authorization: 'Bearer not-a-real-key-000000' });
    expect(wrong.status).toBe(401);
  });

  it("403: the key's scopes do not cover the topic; X-API-Key works too", async () => {
    const denied = await post('/v1/events', { topic: 'events.app', type: 'a.b', payload: {} }, { authorization: '', 'x-api-key': CDC_ONLY });
    expect(denied.status).toBe(403);
  });

  it('Idempotency-Key: a retry gets the first answer; the same key with another body is 422', async () => {
    const body = { topic: 'events.app', type: 'order.placed', key: 'o-1', payload: { n: 1 } };
    const first = await post('/v1/events', body, { 'idempotency-key': 'idem-1' });
    const again = await post('/v1/events', body, { 'idempotency-key': 'idem-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    const other = await post('/v1/events', { ...body, payload: { n: 2 } }, { 'idempotency-key': 'idem-1' });
    expect(other.status).toBe(422);
  });

  it('batch: one result per event, 207 when some fail, 413 when too many', async () => {
    const res = await post('/v1/events/batch', {
      events: [
        { topic: 'events.app', type: 'a.one', payload: { i: 1 } },
        { topic: 'events.app', type: 'a.two' },
        { topic: 'events.none', type: 'a.three', payload: {} },
      ],
    });
    expect(res.status).toBe(207);
    const body = (await res.json()) as { accepted: number; failed: number; results: { index: number; status: number; error?: { violations?: { path: string }[] } }[] };
    expect(body.results.map((r) => r.status)).toEqual([201, 400, 404]);
    expect(body.results[1].error!.violations!.map((v) => v.path)).toEqual(['/events/1/payload']);
    expect([body.accepted, body.failed]).toEqual([1, 2]);

    const tooMany = await post('/v1/events/batch', { events: Array.from({ length: 6 }, () => ({ topic: 'events.app', type: 'a.b', payload: {} })) });
    expect(tooMany.status).toBe(413);
  });

  it.each([
    ['2026-07-28', { pin: '2026-07-28' }],
    ['2025-11-25', 'legacy'],
  ] as const)('is an MCP server at /mcp on %s: an official SDK client lists the tools and publishes an event', async (revision, mode) => {
    const client = new Client({ name: 'spec-client', version: '1.0.0' }, { versionNegotiation: { mode } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${ALL}` } } }));
    expect(client.getNegotiatedProtocolVersion()).toBe(revision);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['publish_event', 'start_task', 'get_task', 'list_capabilities', 'list_topics']));
    const res = (await client.callTool({ name: 'publish_event', arguments: { topic: 'events.agent', type: 'coder.note', key: 'mcp-1', payload: { text: 'from an AI coder' } } })) as { isError?: boolean; structuredContent?: { id: string; partition: number; offset: string } };
    expect(res.isError).toBeFalsy();
    const receipt = res.structuredContent!;
    const read = await readUntil('events.agent', (ms) => ms.some((m) => m.partition === receipt.partition && m.message.offset === receipt.offset));
    const stored = read.find((m) => m.partition === receipt.partition && m.message.offset === receipt.offset)!;
    expect(await ctx.bus.codec.decode('events.agent', stored.message.value)).toMatchObject({ id: receipt.id, type: 'coder.note', payload: { text: 'from an AI coder' } });
    const invalid = (await client.callTool({ name: 'publish_event', arguments: { topic: 'cdc.hubspot.deals', type: 'x.y', payload: { op: 'nope' } } })) as { isError?: boolean; content: { text: string }[] };
    expect(invalid.isError).toBe(true);
    expect(invalid.content[0].text).toContain('/payload/op');
    await client.close();

    const denied = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(denied.status).toBe(401);
  });

  it('serves OpenAPI, readiness and metrics', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/events/batch']));
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/phoenix_events_published_total\{app="gateway-test",topic="events.app"\} \d+/);
  });
});
