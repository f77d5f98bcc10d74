import { INestApplication } from '@nestjs/common';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../../test/support/context';
import { createGatewayApp } from '../gateway.app';

const KEY = 'test-key-admission-0123456789';

/** GATEWAY_MAX_IN_FLIGHT: past the bound, 429 with Retry-After and a JSON error; nothing queues. */
describe('gateway admission (real Kafka + registry)', () => {
  let ctx: AppContext;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    ctx = testContext('admission-test', { PHOENIX_API_KEYS: `${KEY}=*`, GATEWAY_MAX_IN_FLIGHT: '2' });
    app = await createGatewayApp(ctx, { ownsContext: true });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
  });

  const post = (i: number) =>
    fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ topic: 'events.app', type: 'load.probe', key: `k-${i}`, payload: { i } }),
    });

  it('sheds requests over the in-flight bound with 429 + Retry-After, and accepts again once it drains', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => post(i)));
    const statuses = answers.map((r) => r.status);
    const shed = answers.filter((r) => r.status === 429);
    expect(statuses.every((s) => s === 201 || s === 429)).toBe(true);
    expect(shed.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(0);
    expect(shed[0].headers.get('retry-after')).toBe('1');
    expect(((await shed[0].json()) as { error: { code: string } }).error.code).toBe('OVERLOADED');
    // The bound is released by finished requests: one at a time is always admitted.
    for (let i = 0; i < 5; i++) expect((await post(100 + i)).status).toBe(201);
  });
});
