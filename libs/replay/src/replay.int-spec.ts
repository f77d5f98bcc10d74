import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createEnvelope, Envelope } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { testKafka } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { ReplayRunner } from './replay-runner';

const ROOT = path.resolve(__dirname, '../../..');
const run = Date.now();
/** The acceptance replays 1M events: REPLAY_EVENTS=1000000. */
const EVENTS = Number(process.env.REPLAY_EVENTS ?? 30000);

/**
 * Replay to Parquet: row count and content checksum match the source topic (read independently);
 * killed half-way and resumed, the output is identical to an uninterrupted run.
 */
describe('replay (real Kafka, DuckDB Parquet)', () => {
  const topic = `events.replay-${run}`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-replay-config-'));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-replay-out-'));
  let ctx: AppContext;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'topics.yaml'), `topics:\n  - name: ${topic}\n    partitions: 3\n`);
    ctx = testContext('replay-test', { PHOENIX_CONFIG_DIR: configDir });
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name.startsWith(topic)));
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const type = i % 3 === 0 ? 'deal.updated' : 'page.viewed';
      sends.push(ctx.bus.producer.publish(topic, createEnvelope({ type, source: i % 2 ? 'web' : 'crm', key: `k-${i % 101}`, occurredAt: 1795000000000 + i, payload: { i, stage: i % 5 === 0 ? 'won' : 'open' } })));
      if (sends.length >= 5000) await Promise.all(sends.splice(0));
    }
    await Promise.all(sends);
  }, 900000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await ctx?.close();
  });

  /** The source's records, read independently, as the canonical lines a replay writes. */
  async function sourceChecksum(): Promise<{ count: number; checksum: string }> {
    const admin = testKafka().admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const byPartition = new Map<number, string[]>();
    const consumer = testKafka().consumer({ groupId: `replay-check-${run}-${Math.random()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const event = await ctx.bus.codec.decode(topic, m.value);
          (byPartition.get(batch.partition) ?? byPartition.set(batch.partition, []).get(batch.partition)!).push(JSON.stringify({ topic, partition: batch.partition, offset: m.offset, event }));
          seen++;
        }
      },
    });
    await waitFor('the whole source', () => seen >= EVENTS, 300000);
    await consumer.disconnect();
    const hash = createHash('sha256');
    for (const p of [...byPartition.keys()].sort((a, b) => a - b)) hash.update(byPartition.get(p)!.join('\n') + '\n');
    expect(ends.reduce((s, e) => s + Number(e.high), 0)).toBe(EVENTS);
    return { count: seen, checksum: hash.digest('hex') };
  }

  async function parquetRows(file: string): Promise<{ n: number; ids: number; digest: string }> {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const r = (await c.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT event_id) AS ids, md5(string_agg(event_id || payload, ',' ORDER BY topic, "partition", "offset")) AS digest FROM read_parquet('${file}')`)).getRowObjects()[0];
    c.closeSync();
    db.closeSync();
    return { n: Number(r.n), ids: Number(r.ids), digest: String(r.digest) };
  }

  it(`${EVENTS} events to Parquet: rows and content checksum match the source; killed half-way and resumed, identical to an uninterrupted run`, async () => {
    const source = await sourceChecksum();
    const full = await new ReplayRunner(ctx, { topics: [topic] }, { kind: 'parquet', path: path.join(out, 'full.parquet') }).run();
    expect(full.records).toBe(EVENTS);
    expect(full.checksum).toBe(source.checksum);
    expect(full.byType).toEqual({ 'deal.updated': Math.ceil(EVENTS / 3), 'page.viewed': EVENTS - Math.ceil(EVENTS / 3) });
    expect(full.firstOccurredAt).toBe(new Date(1795000000000).toISOString());

    // The same replay through the CLI, SIGKILLed once past half-way, then run again.
    const target = path.join(out, 'resumed.parquet');
    const checkpoint = `${target}.replay/checkpoint.json`;
    const env = { ...process.env, PHOENIX_CONFIG_DIR: configDir, LOG_LEVEL: 'error' };
    const cli = () => spawn('node', [path.join(ROOT, 'bin/phoenix.js'), 'replay', '--topics', topic, '--out', target], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = cli();
    const progress = () => {
      try {
        const cp = JSON.parse(fs.readFileSync(checkpoint, 'utf8')) as { ranges: { topic: string; partition: number; start: string }[]; parts: Record<string, { next: string }> };
        return cp.ranges.reduce((s, r) => s + Number(BigInt(cp.parts[`${r.topic}:${r.partition}`].next) - BigInt(r.start)), 0);
      } catch {
        return 0;
      }
    };
    // Polled every few ms and killed from the same tick: the replay can read the second half faster
    // than waitFor's backoff polls.
    await new Promise<void>((resolve) => {
      const deadline = Date.now() + 300000;
      const t = setInterval(() => {
        if (child!.exitCode !== null || Date.now() > deadline) {
          clearInterval(t);
          resolve();
        } else if (progress() >= EVENTS / 2) {
          child!.kill('SIGKILL');
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    expect(child.exitCode).toBeNull();
    await waitFor('the replay to die', () => child!.signalCode !== null || child!.exitCode !== null);
    expect(progress()).toBeLessThan(EVENTS);

    child = cli();
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    await waitFor('the resumed replay to finish', () => child!.exitCode !== null, 300000);
    expect(child.exitCode).toBe(0);
    const resumed = JSON.parse(stdout) as { resumed: boolean; records: number; checksum: string };
    expect(resumed.resumed).toBe(true);
    expect(resumed.records).toBe(EVENTS);
    expect(resumed.checksum).toBe(full.checksum);
    const [a, b] = await Promise.all([parquetRows(path.join(out, 'full.parquet')), parquetRows(target)]);
    expect(b).toEqual(a);
    expect(a.n).toBe(EVENTS);
    expect(a.ids).toBe(EVENTS);
  }, 1200000);

  it('selects by time range, offsets, type and payload predicate', async () => {
    const from = 1795000000000 + 100;
    const to = 1795000000000 + 1000;
    const jsonl = path.join(out, 'selected.jsonl');
    const summary = await new ReplayRunner(
      ctx,
      { topics: [topic], fromTime: from, toTime: to, types: ['deal.*'], where: [{ path: '$.payload.stage', equals: 'won' }] },
      { kind: 'jsonl', path: jsonl },
    ).run();
    const lines = fs.readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: Envelope<{ i: number; stage: string }> });
    // i in [100, 1000) with i % 3 == 0 and i % 5 == 0
    const expected = Array.from({ length: 900 }, (_, k) => k + 100).filter((i) => i % 15 === 0).length;
    expect(summary.records).toBe(expected);
    expect(lines).toHaveLength(expected);
    expect(lines.every((l) => l.event.type === 'deal.updated' && l.event.payload.stage === 'won' && l.event.occurredAt >= from && l.event.occurredAt < to)).toBe(true);
  });
});
