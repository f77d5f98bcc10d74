import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createEnvelope, JsonValue } from '@phoenix/contracts';
import { createMemoryWriter } from '@phoenix/memory-writer';
import { ReplayRunner } from '@phoenix/replay';
import { AppContext } from '@phoenix/runtime';
import { appendRawEvent, DuckDbWarehouse, RawEventRow } from '@phoenix/warehouse';
import { BenchEnv } from './lib/bench-env';
import { measured } from './lib/cpu';
import { KafkaTools } from './lib/java-tools';
import { log, sleep, until } from './lib/log';
import { BenchOptions, scaled } from './lib/options';
import { ProfileWindow } from './lib/profile';
import { check, MeasureOutput, Rep, series, target } from './lib/results';
import { calibratedPayload } from './p1-publish';

const TYPES = ['deal.updated', 'page.viewed', 'ticket.created', 'user.signed_up', 'invoice.paid'];

/** Publishes `n` ~1 KB events to the sink topic; returns the rows the warehouse should hold. */
async function preload(ctx: AppContext, topic: string, n: number): Promise<RawEventRow[]> {
  await ctx.bus.codec.prepare([topic]);
  const payload = await calibratedPayload(ctx, topic);
  const rows: RawEventRow[] = new Array(n);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const e = createEnvelope<JsonValue>({ type: TYPES[i % TYPES.length], source: 'bench', key: `k-${i % 1000}`, payload: payload(i) });
    pending.push(
      ctx.bus.producer.publish(topic, e).then((r) => {
        rows[i] = { eventId: e.id, topic, partition: r.partition, offset: r.offset, type: e.type, source: e.source, key: e.key, occurredAt: e.occurredAt, ingestedAt: e.ingestedAt, correlationId: e.correlationId, causationId: e.causationId, payload: e.payload };
      }),
    );
    if (pending.length >= 5000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return rows;
}

/** B3: kafkajs eachBatch that does nothing, with the memory-writer's fetch settings, until `total` messages. */
async function rawConsume(b: BenchEnv, ctx: AppContext, topic: string, total: number, group: string): Promise<void> {
  const consumer = b.kafka('bench-b3').consumer({
    groupId: b.group(group),
    maxWaitTimeInMs: ctx.config.memoryWriter.waitMs,
    minBytes: 64 * 1024,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: ctx.config.bus.partitionsConcurrency,
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
      if (seen >= total) done();
    },
  });
  await finished;
  await consumer.disconnect();
}

/** B4: DuckDB's appender straight into RAW_EVENTS (the warehouse's own table, created by its driver). */
async function rawLoad(file: string, rows: RawEventRow[]): Promise<void> {
  const db = await DuckDBInstance.create(file);
  const c = await db.connect();
  const a = await c.createAppender('RAW_EVENTS');
  // The same rows and appender calls as the driver, minus its staging, merge and offsets.
  for (const r of rows) appendRawEvent(a, r, r.payload as string);
  a.flushSync();
  a.closeSync();
  c.closeSync();
  db.closeSync();
}

/** P3: the memory-writer from start until every event's next offset is stored with the rows. */
async function runWriter(b: BenchEnv, rep: string, total: number, profile?: ProfileWindow): Promise<{ rows: number; distinct: number; wallS: number }> {
  const ctx = b.context('bench-p3', { PHOENIX_INSTANCE: `${b.instance}-p3-${rep}`, PHOENIX_DATA_DIR: path.join(b.tmp, `p3-${rep}`) });
  const writer = await createMemoryWriter(ctx);
  b.group(writer.group);
  // The writer also reads memory.requests, which other runs on the same broker may have written to: count the bench topic only.
  const stored = async () => (await writer.warehouse.storedOffsets(writer.group)).filter((o) => o.topic === b.topics.sink).reduce((s, o) => s + Number(o.nextOffset), 0);
  const t0 = performance.now();
  profile?.start();
  await writer.start();
  await until('the memory-writer to store every offset', async () => (await stored()) >= total, 600000, 100);
  profile?.end();
  const wallS = (performance.now() - t0) / 1000;
  const r = await writer.warehouse.query(`SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM RAW_EVENTS WHERE topic = '${b.topics.sink}'`);
  await writer.stop();
  await b.closeContext(ctx);
  return { rows: Number(r.rows[0].n), distinct: Number(r.rows[0].ids), wallS };
}

async function runReplay(b: BenchEnv, ctx: AppContext, kind: 'jsonl' | 'parquet', rep: string, total: number): Promise<number> {
  const out = path.join(b.tmp, `p4-${rep}.${kind}`);
  const summary = await new ReplayRunner(ctx, { topics: [b.topics.sink] }, { kind, path: out }).run();
  fs.rmSync(out, { force: true });
  fs.rmSync(`${out}.replay`, { recursive: true, force: true });
  if (summary.records !== total) throw new Error(`replay to ${kind} wrote ${summary.records} records, expected ${total}`);
  return summary.records;
}

/**
 * P3 (warehouse sink, exactly-once) and P4 (replay export) over the same preloaded topic, against
 * B3 (kafkajs no-op eachBatch), B4 (DuckDB appender of the same rows) and B5 (Kafka's
 * ConsumerPerformance), interleaved per repetition.
 */
export async function runSink(b: BenchEnv, o: BenchOptions, tools: KafkaTools | null, only: { p3: boolean; p4: boolean }, profile?: ProfileWindow): Promise<MeasureOutput> {
  const total = scaled(o, 100000, 2000);
  const ctx = b.context('bench-sink');
  const topic = b.topics.sink;
  log(`P3/P4: preloading ${total} events into ${topic}`);
  const rows = await preload(ctx, topic, total);
  const rawRows = rows.map((r) => ({ ...r, payload: JSON.stringify(r.payload) }));
  // Rows from the same data the warehouse driver creates its tables with.
  const template = path.join(b.tmp, 'b4-template.duckdb');
  const w = new DuckDbWarehouse(template);
  await w.init();
  await w.close();

  if (profile) {
    if (only.p3) await runWriter(b, 'profile', total, profile);
    else {
      profile.start();
      await runReplay(b, ctx, 'jsonl', 'profile', total);
      await runReplay(b, ctx, 'parquet', 'profile', total);
      profile.end();
    }
    await b.closeContext(ctx);
    return { series: [], targets: [] };
  }

  const watch = b.watchedPids();
  const reps: Record<'B3' | 'B4' | 'B5' | 'P3' | 'P4j' | 'P4p', Rep[]> = { B3: [], B4: [], B5: [], P3: [], P4j: [], P4p: [] };
  for (let r = 1; r <= o.reps; r++) {
    const b3 = await measured(watch, () => rawConsume(b, ctx, topic, total, `${b.instance}-b3-${r}`));
    reps.B3.push({ value: total / b3.cpu.wallS, cpu: b3.cpu, detail: { messages: total } });
    log(`P3/P4 rep ${r}: B3 ${Math.round(total / b3.cpu.wallS)} msg/s`);

    if (only.p3) {
      const meter = await measured(watch, () => runWriter(b, String(r), total));
      const { rows: n, distinct, wallS } = meter.result;
      if (n !== total || distinct !== total) throw new Error(`warehouse holds ${n} rows (${distinct} distinct ids), expected ${total}`);
      reps.P3.push({ value: total / wallS, cpu: meter.cpu, detail: { rows: n, distinctIds: distinct } });
      log(`P3/P4 rep ${r}: P3 ${Math.round(total / wallS)} rows/s (${n} rows, ${distinct} distinct)`);
    }

    const file = path.join(b.tmp, `b4-${r}.duckdb`);
    fs.copyFileSync(template, file);
    const b4 = await measured(watch, () => rawLoad(file, rawRows));
    fs.rmSync(file, { force: true });
    reps.B4.push({ value: total / b4.cpu.wallS, cpu: b4.cpu, detail: { rows: total } });
    log(`P3/P4 rep ${r}: B4 ${Math.round(total / b4.cpu.wallS)} rows/s`);

    if (only.p4) {
      const j = await measured(watch, () => runReplay(b, ctx, 'jsonl', String(r), total));
      reps.P4j.push({ value: total / j.cpu.wallS, cpu: j.cpu, detail: { records: j.result } });
      log(`P3/P4 rep ${r}: P4 jsonl ${Math.round(total / j.cpu.wallS)} records/s`);
    }

    if (tools) {
      const b5 = await measured(watch, () => tools.consumerPerf({ brokers: b.brokers.join(','), topic, messages: total, group: b.group(`${b.instance}-b5-${r}`) }));
      reps.B5.push({ value: b5.result.perSecond, cpu: b5.cpu, detail: { ...b5.result, wallIncludingJvmS: b5.cpu.wallS } });
      log(`P3/P4 rep ${r}: B5 ${Math.round(b5.result.perSecond)} msg/s`);
    }

    if (only.p4) {
      const p = await measured(watch, () => runReplay(b, ctx, 'parquet', String(r), total));
      reps.P4p.push({ value: total / p.cpu.wallS, cpu: p.cpu, detail: { records: p.result } });
      log(`P3/P4 rep ${r}: P4 parquet ${Math.round(total / p.cpu.wallS)} records/s`);
    }
    await sleep(200);
  }
  await b.closeContext(ctx);

  const s = {
    B3: series('B3', 'kafkajs eachBatch no-op consumer (memory-writer fetch settings), from start to last message', 'msg/s', true, reps.B3),
    B4: series('B4', 'DuckDB appender into RAW_EVENTS (same rows, @duckdb/node-api)', 'rows/s', true, reps.B4),
    B5: series('B5', 'kafka-consumer-perf-test (ConsumerPerformance), whole run incl. group join', 'msg/s', true, reps.B5, 'nMsg.sec as reported by the tool (excludes JVM start)'),
    P3: series('P3', 'memory-writer → DuckDB, exactly-once (merge + offsets in one transaction), start → all offsets stored', 'rows/s', true, reps.P3),
    P4j: series('P4-jsonl', 'ReplayRunner → JSONL', 'records/s', true, reps.P4j),
    P4p: series('P4-parquet', 'ReplayRunner → Parquet (JSONL parts, then DuckDB COPY … zstd)', 'records/s', true, reps.P4p),
  };
  const targets = [];
  if (only.p3) {
    const floor = Math.min(s.B3.median, s.B4.median);
    targets.push(
      target('P3', 'memory-writer warehouse sink, exactly-once, rows/s', 'P3', ['B3', 'B4'], [check('P3 / min(B3, B4)', s.P3.median / floor, '>=', 0.6, 'x')], [
        `${total} events of ~1 KB per repetition, memory rules skip every event (warehouse only); each repetition is a fresh consumer group and DuckDB file; row count and distinct ids checked = ${total}.`,
        `min(B3, B4) = ${s.B3.median <= s.B4.median ? 'B3' : 'B4'}; timings include consumer connect and group join for P3 and B3 alike.`,
      ]),
    );
  }
  if (only.p4) {
    targets.push(
      target('P4', 'replay export to Parquet/JSONL', 'P4-jsonl, P4-parquet', ['B3'], [check('P4-jsonl / B3', s.P4j.median / s.B3.median, '>=', 0.85, 'x'), check('P4-parquet / B3', s.P4p.median / s.B3.median, '>=', 0.85, 'x')], [
        `${total} events per repetition, whole topic (6 partitions), output verified to hold every record; timings include planning, consumer join, decoding and writing the file.`,
      ]),
    );
  }
  return { series: Object.values(s).filter((x) => x.reps.length), targets };
}
