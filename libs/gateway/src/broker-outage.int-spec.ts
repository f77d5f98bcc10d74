import { INestApplication } from '@nestjs/common';
import { AppContext } from '@phoenix/runtime';
import { StackManager, stackClientEnv, stackOptions } from '@phoenix/stack';
import { readUntil, testKafka } from '../../../test/support/topics';
import { testContext } from '../../../test/support/context';
import { waitFor } from '../../../test/support/wait';
import { createGatewayApp } from './gateway.app';

/**
 * Acceptance: killing the broker turns readiness and publishing into 503; after a restart both
 * recover without restarting the gateway, and nothing that was acknowledged is lost.
 * Runs on its own stack instance (other ports) so the shared broker is never killed.
 */
describe('broker outage (own Kafka instance, SIGKILL)', () => {
  const options = stackOptions(process.env, { name: 'outage-test', portOffset: 1000, registryStorage: 'mem' });
  const stack = new StackManager(options);
  const env = stackClientEnv(options);
  let ctx: AppContext;
  let app: INestApplication;
  let base: string;
  const acknowledged: { id: string; partition: number; offset: string }[] = [];

  const publish = (n: number) =>
    fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'phoenix-local-dev-key' },
      body: JSON.stringify({ topic: 'events.app', type: 'outage.probe', key: `k-${n % 4}`, payload: { n } }),
    });

  const publishAndRecord = async (n: number) => {
    const res = await publish(n);
    if (res.status === 201) acknowledged.push((await res.json()) as { id: string; partition: number; offset: string });
    return res;
  };

  beforeAll(async () => {
    await stack.wipe();
    await stack.up();
    ctx = testContext('outage-test', { ...env, BUS_SEND_TIMEOUT_MS: '4000' });
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name.startsWith('events.app') || t.name === 'gateway.claims'));
    app = await createGatewayApp(ctx, { ownsContext: true });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 300000);

  afterAll(async () => {
    await app?.close();
    await stack.wipe();
  }, 120000);

  it('503 while the broker is down, recovers after restart, loses nothing acknowledged', async () => {
    for (let i = 0; i < 20; i++) expect((await publishAndRecord(i)).status).toBe(201);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);

    await stack.kill('kafka');

    await waitFor('readiness to turn 503', async () => (await fetch(`${base}/health/ready`)).status === 503, 30000);
    const ready = (await (await fetch(`${base}/health/ready`)).json()) as { checks: { kafka: { status: string } } };
    expect(ready.checks.kafka.status).toBe('down');

    const during = await publishAndRecord(100);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBeTruthy();
    expect(((await during.json()) as { error: { code: string } }).error.code).toMatch(/BROKER_UNAVAILABLE|SEND_TIMEOUT/);

    await stack.up(['kafka']);

    await waitFor('readiness to return', async () => (await fetch(`${base}/health/ready`)).status === 200, 60000);
    let n = 200;
    await waitFor('publishing to recover', async () => (await publishAndRecord(n++)).status === 201, 60000);
    for (let i = 0; i < 20; i++) expect((await publishAndRecord(300 + i)).status).toBe(201);

    const kafka = testKafka(env.KAFKA_BROKERS);
    const wanted = new Set(acknowledged.map((a) => `${a.partition}@${a.offset}`));
    const read = await readUntil('events.app', (ms) => [...wanted].every((w) => ms.some((m) => `${m.partition}@${m.message.offset}` === w)), { kafka, timeoutMs: 30000 });
    const ids = new Set<string>();
    for (const m of read) ids.add(((await ctx.bus.codec.decode('events.app', m.message.value)) as { id: string }).id);
    for (const a of acknowledged) expect(ids.has(a.id)).toBe(true);
    expect(acknowledged.length).toBeGreaterThanOrEqual(41);
  }, 240000);
});
