import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEnvelope } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { ReplayError, ReplayRunner } from './replay-runner';

const ROOT = path.resolve(__dirname, '../../..');
const run = Date.now();

/** A TCP proxy in front of the schema registry that can be taken down (connections reset) and back up. */
function registryProxy(target: URL) {
  let down = false;
  let refused = 0;
  const server = net.createServer((client) => {
    if (down) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    const close = () => (client.destroy(), upstream.destroy());
    client.on('error', close);
    upstream.on('error', close);
  });
  return {
    listen: () => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))),
    setDown: (v: boolean) => (down = v),
    refused: () => refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('replay never skips silently (real Kafka, real registry behind a proxy)', () => {
  const topic = `events.replayerr-${run}`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-replayerr-config-'));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-replayerr-out-'));
  const registry = new URL(process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7');
  const proxy = registryProxy(registry);
  let ctx: AppContext;
  let proxyPort = 0;
  const EVENTS = 300;

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'topics.yaml'), `topics:\n  - name: ${topic}\n    partitions: 2\n`);
    ctx = testContext('replayerr-test', { PHOENIX_CONFIG_DIR: configDir });
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name.startsWith(topic)));
    await Promise.all(Array.from({ length: EVENTS }, (_, i) => ctx.bus.producer.publish(topic, createEnvelope({ type: 'page.viewed', source: 'spec', key: `k-${i % 7}`, payload: { i } }))));
    proxyPort = await proxy.listen();
  }, 120000);

  afterAll(async () => {
    await proxy.close();
    await ctx?.close();
  });

  /** A fresh context (empty schema cache) whose registry is the proxy. */
  const replayContext = () => testContext('replayerr-run', { PHOENIX_CONFIG_DIR: configDir, SCHEMA_REGISTRY_URL: `${registry.protocol}//127.0.0.1:${proxyPort}${registry.pathname}` });

  it('a registry outage during the replay pauses it; nothing is lost', async () => {
    const rctx = replayContext();
    try {
      proxy.setDown(true);
      const back = setTimeout(() => proxy.setDown(false), 4000);
      const summary = await new ReplayRunner(rctx, { topics: [topic] }, { kind: 'jsonl', path: path.join(out, 'outage.jsonl') }, { retryBackoffMs: 250 }).run();
      clearTimeout(back);
      expect(proxy.refused()).toBeGreaterThan(0); // the replay did meet the outage
      expect(summary.records).toBe(EVENTS);
      expect(summary.skipped).toBe(0);
      const lines = fs.readFileSync(path.join(out, 'outage.jsonl'), 'utf8').trim().split('\n');
      expect(new Set(lines.map((l) => (JSON.parse(l) as { event: { payload: { i: number } } }).event.payload.i)).size).toBe(EVENTS);
    } finally {
      proxy.setDown(false);
      await rctx.close();
    }
  }, 120000);

  it('an undecodable record fails the replay with its position; with skipUndecodable it is listed and counted', async () => {
    const garbage = await ctx.bus.producer.publishRaw(topic, { key: 'k-garbage', value: Buffer.from('not avro at all') });
    const at = `${topic}/${garbage.partition}@${garbage.offset}`;
    await expect(new ReplayRunner(ctx, { topics: [topic] }, { kind: 'jsonl', path: path.join(out, 'strict.jsonl') }).run()).rejects.toThrow(ReplayError);
    await expect(new ReplayRunner(ctx, { topics: [topic] }, { kind: 'jsonl', path: path.join(out, 'strict2.jsonl') }).run()).rejects.toThrow(new RegExp(`record ${at.replace(/[.]/g, '\\.')} cannot be decoded`));
    expect(fs.existsSync(path.join(out, 'strict.jsonl'))).toBe(false);

    const summary = await new ReplayRunner(ctx, { topics: [topic] }, { kind: 'jsonl', path: path.join(out, 'lenient.jsonl') }, { skipUndecodable: true }).run();
    expect(summary.records).toBe(EVENTS);
    expect(summary.skipped).toBe(1);
    expect(summary.scanned).toBe(EVENTS + 1);
    expect(summary.skippedFile).toBe(path.join(out, 'lenient.jsonl.skipped.jsonl'));
    const listed = fs.readFileSync(summary.skippedFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { topic: string; partition: number; offset: string; error: string });
    expect(listed).toEqual([{ topic, partition: garbage.partition, offset: garbage.offset, error: expect.any(String) }]);
  }, 120000);

  it('a damaged checkpoint is refused with what is wrong, not trusted', async () => {
    const target = path.join(out, 'damaged.jsonl');
    fs.mkdirSync(`${target}.replay`, { recursive: true });
    fs.writeFileSync(path.join(`${target}.replay`, 'checkpoint.json'), JSON.stringify({ version: 1, replayId: 'r', planKey: 'k', ranges: [{ topic, partition: 0, start: '0', end: 'ten' }], parts: {} }));
    await expect(new ReplayRunner(ctx, { topics: [topic] }, { kind: 'jsonl', path: target }).run()).rejects.toThrow(/is not a version-1 checkpoint \(ranges\.0\.end: .*\); delete .* to start the replay over/);
  });
});
