import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { loadConfig } from '@phoenix/config';
import { loadN8nConfig, sign } from '@phoenix/n8n';
import { endOffsets, readUntil } from '../../../../test/support/topics';
import { waitFor } from '../../../../test/support/wait';
import { freePort } from '../../../../test/support/ports';

const ROOT = path.resolve(__dirname, '../../../..');
const KEY = 'replicas-key-0123456789';

/**
 * Two gateway processes behind one address, as the README's scaling advice deploys them: a
 * signed webhook or an Idempotency-Key request accepted by one is refused (409) or answered the
 * same by the other, because both decide on `gateway.claims` in Kafka, not in their memory.
 */
describe('gateway replicas share nonces and idempotency answers (two processes, real Kafka)', () => {
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-replicas-'));
  let secret: string;

  const webhook = (port: number, body: string, nonce: string) => {
    const ts = String(Math.floor(Date.now() / 1000));
    return fetch(`http://127.0.0.1:${port}/v1/webhooks/n8n/echo`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-phoenix-timestamp': ts, 'x-phoenix-signature': sign(secret, ts, body), 'x-phoenix-nonce': nonce }, body });
  };
  const publish = (port: number, idempotencyKey: string, payload: unknown) =>
    fetch(`http://127.0.0.1:${port}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'idempotency-key': idempotencyKey }, body: JSON.stringify({ topic: 'events.app', type: 'replica.probe', key: idempotencyKey, payload }) });

  beforeAll(async () => {
    secret = loadN8nConfig(loadConfig(process.env).paths.config, process.env).flows.find((f) => f.name === 'echo')!.inbound!.secret;
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const log = fs.openSync(path.join(dir, `gateway-${i}.log`), 'a');
      procs.push(spawn(process.execPath, [path.join(ROOT, 'dist/apps/gateway/src/main.js')], { cwd: ROOT, env: { ...process.env, GATEWAY_PORT: String(port), PHOENIX_API_KEYS: `${KEY}=*`, PHOENIX_INSTANCE: `replicas-${i}-${Date.now()}`, LOG_LEVEL: 'info' }, stdio: ['ignore', log, log] }));
      fs.closeSync(log);
      ports.push(port);
    }
    for (const port of ports) await waitFor(`gateway on ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null))?.status === 200, 120000);
  }, 180000);

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  });

  it('a signed webhook accepted by one replica is refused (409) when replayed to the other', async () => {
    const body = JSON.stringify({ deliveryId: `d-${uuidv4()}`, attempt: 1 });
    const nonce = uuidv4();
    expect((await webhook(ports[0], body, nonce)).status).toBe(201);
    expect((await webhook(ports[1], body, nonce)).status).toBe(409);
    expect((await webhook(ports[0], body, nonce)).status).toBe(409);
  });

  it('the same webhook sent to both at once is accepted exactly once', async () => {
    for (let round = 0; round < 5; round++) {
      const body = JSON.stringify({ deliveryId: `d-${uuidv4()}`, attempt: 1 });
      const nonce = uuidv4();
      const statuses = (await Promise.all([webhook(ports[0], body, nonce), webhook(ports[1], body, nonce)])).map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409]);
    }
  });

  it('a retried Idempotency-Key gets the first answer from either replica, and publishes once', async () => {
    const from = await endOffsets('events.app');
    const key = `idem-${uuidv4()}`;
    const first = await publish(ports[0], key, { n: 1 });
    expect(first.status).toBe(201);
    const firstBody = await first.json();
    const retry = await publish(ports[1], key, { n: 1 });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(firstBody);
    // The same key with another body is refused on either replica.
    expect((await publish(ports[1], key, { n: 2 })).status).toBe(422);

    // Sent to both at once: one publish, the same answer twice.
    const both = `idem-${uuidv4()}`;
    const answers = await Promise.all([publish(ports[0], both, { n: 3 }), publish(ports[1], both, { n: 3 })]);
    expect(answers.map((a) => a.status)).toEqual([201, 201]);
    const [a, b] = (await Promise.all(answers.map((r) => r.json()))) as { id: string }[];
    expect(a).toEqual(b);

    // Everything published since the start, up to the end offsets now: each key exactly once.
    const to = await endOffsets('events.app');
    const last = [...to].filter(([p, end]) => BigInt(end) > BigInt(from.get(p) ?? '0')).map(([p, end]) => [p, (BigInt(end) - 1n).toString()] as const);
    const read = await readUntil('events.app', (ms) => last.every(([p, o]) => ms.some((m) => m.partition === p && m.message.offset === o)), { from, timeoutMs: 30000 });
    for (const k of [key, both]) expect([k, read.filter((m) => m.message.key?.toString() === k).length]).toEqual([k, 1]);
    expect(a.id).toBeDefined();
  });
});
