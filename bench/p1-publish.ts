import { randomBytes } from 'node:crypto';
import { createEnvelope, Envelope, JsonValue } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { BenchEnv } from './lib/bench-env';
import { measured } from './lib/cpu';
import { KafkaTools } from './lib/java-tools';
import { log } from './lib/log';
import { BenchOptions, scaled } from './lib/options';
import { ProfileWindow } from './lib/profile';
import { check, MeasureOutput, Rep, series, target } from './lib/results';

/** Whether the optional librdkafka client built on this machine. */
function confluentInstalled(): boolean {
  try {
    // Loading, not just resolving: without CKJS_LINKING=dynamic npm ci leaves the package unbuilt.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@confluentinc/kafka-javascript');
    return true;
  } catch {
    return false;
  }
}

/** Size of every produced value: 1 KB (the Avro-encoded event for Phoenix, raw bytes for the baselines). */
export const VALUE_BYTES = 1024;
const KEYS = 1000;

/**
 * A generic-family payload whose Avro-encoded event is ~1 KB. The payload is JSON text in the
 * envelope, so its length is found by encoding a sample.
 */
export async function calibratedPayload(ctx: AppContext, topic: string): Promise<(i: number) => JsonValue> {
  const filler = randomBytes(600).toString('base64');
  const make = (len: number) => (i: number) => ({ seq: i, account: `acct-${i % 97}`, note: filler.slice(0, len) }) as JsonValue;
  const sample = (len: number) => ctx.bus.codec.encode(topic, createEnvelope({ type: 'bench.event', source: 'bench', key: 'k-000', payload: make(len)(0) }));
  const first = (await sample(400)).length;
  const len = Math.max(0, 400 + (VALUE_BYTES - first));
  return make(Math.min(len, filler.length));
}

/** Publishes `n` events with at most `window` unacknowledged at a time (many concurrent callers). */
async function publishAll(ctx: AppContext, topic: string, n: number, window: number, payload: (i: number) => JsonValue): Promise<void> {
  let inflight = 0;
  let failed: Error | null = null;
  let wake: (() => void) | null = null;
  const release = () => {
    inflight--;
    const w = wake;
    wake = null;
    w?.();
  };
  for (let i = 0; i < n; i++) {
    while (inflight >= window) await new Promise<void>((r) => (wake = r));
    if (failed) break;
    inflight++;
    const e: Envelope<JsonValue> = createEnvelope({ type: 'bench.event', source: 'bench', key: `k-${i % KEYS}`, payload: payload(i) });
    ctx.bus.producer.publish(topic, e).then(release, (err: Error) => {
      failed ??= err;
      release();
    });
  }
  while (inflight > 0) await new Promise<void>((r) => (wake = r));
  if (failed) throw failed;
}

/**
 * P1: `libs/bus` per-event publish() (schema-registry Avro serialization, idempotent acks=all
 * producer with its own linger) against raw kafkajs on the same broker: B1 = awaited sends of
 * 100-message batches, B1a = one awaited send per message; B2 = Kafka's ProducerPerformance.
 */
export async function runP1(b: BenchEnv, o: BenchOptions, tools: KafkaTools | null, profile?: ProfileWindow): Promise<MeasureOutput> {
  const n = scaled(o, 100000, 2000);
  const nSingle = scaled(o, 3000, 300);
  const window = Number(b.env.BENCH_P1_WINDOW ?? 2000);
  const ctx = b.context('bench-p1');
  const topic = b.topics.p1;
  const raw = b.topics.rawProduce;
  await ctx.bus.codec.prepare([topic]);
  const payload = await calibratedPayload(ctx, topic);
  const encodedBytes = (await ctx.bus.codec.encode(topic, createEnvelope({ type: 'bench.event', source: 'bench', key: 'k-1', payload: payload(1) }))).length;
  // Warm-up: connection, metadata, JIT.
  await publishAll(ctx, topic, 2000, window, payload);
  // The same publish() over librdkafka (BUS_PRODUCER_CLIENT=confluent), when the optional client built.
  const ctxC = confluentInstalled() ? b.context('bench-p1c', { BUS_PRODUCER_CLIENT: 'confluent' }) : null;
  if (ctxC) {
    await ctxC.bus.codec.prepare([topic]);
    await publishAll(ctxC, topic, 2000, window, payload);
  }

  if (profile) {
    profile.start();
    await publishAll(ctx, topic, n, window, payload);
    profile.end();
    await b.closeContext(ctx);
    return { series: [], targets: [] };
  }

  const kafka = b.kafka('bench-b1');
  const producer = kafka.producer();
  await producer.connect();
  const value = randomBytes(VALUE_BYTES);
  const batchOf = (from: number, size: number) => Array.from({ length: size }, (_, j) => ({ key: `k-${(from + j) % KEYS}`, value }));
  await producer.send({ topic: raw, acks: -1, messages: batchOf(0, 100) });

  const watch = b.watchedPids();
  const reps: Record<'B1' | 'B1a' | 'P1' | 'P1c' | 'B2', Rep[]> = { B1: [], B1a: [], P1: [], P1c: [], B2: [] };
  for (let r = 1; r <= o.reps; r++) {
    const b1 = await measured(watch, async () => {
      for (let i = 0; i < n; i += 100) await producer.send({ topic: raw, acks: -1, messages: batchOf(i, Math.min(100, n - i)) });
    });
    reps.B1.push({ value: n / b1.cpu.wallS, cpu: b1.cpu, detail: { messages: n } });
    log(`P1 rep ${r}: B1 ${Math.round(n / b1.cpu.wallS)} msg/s`);

    const p1 = await measured(watch, () => publishAll(ctx, topic, n, window, payload));
    reps.P1.push({ value: n / p1.cpu.wallS, cpu: p1.cpu, detail: { messages: n, window, encodedBytes } });
    log(`P1 rep ${r}: P1 ${Math.round(n / p1.cpu.wallS)} msg/s`);

    if (ctxC) {
      const p1c = await measured(watch, () => publishAll(ctxC, topic, n, window, payload));
      reps.P1c.push({ value: n / p1c.cpu.wallS, cpu: p1c.cpu, detail: { messages: n, window, encodedBytes } });
      log(`P1 rep ${r}: P1-confluent ${Math.round(n / p1c.cpu.wallS)} msg/s`);
    }

    const b1a = await measured(watch, async () => {
      for (let i = 0; i < nSingle; i++) await producer.send({ topic: raw, acks: -1, messages: [{ key: `k-${i % KEYS}`, value }] });
    });
    reps.B1a.push({ value: nSingle / b1a.cpu.wallS, cpu: b1a.cpu, detail: { messages: nSingle } });
    log(`P1 rep ${r}: B1a ${Math.round(nSingle / b1a.cpu.wallS)} msg/s`);

    if (tools) {
      const b2 = await measured(watch, () => tools.producerPerf({ brokers: b.brokers.join(','), topic: raw, records: n, recordSize: VALUE_BYTES }));
      reps.B2.push({ value: b2.result.perSecond, cpu: b2.cpu, detail: { ...b2.result, wallIncludingJvmS: b2.cpu.wallS } });
      log(`P1 rep ${r}: B2 ${Math.round(b2.result.perSecond)} msg/s`);
    }
  }
  await producer.disconnect();
  await b.closeContext(ctx);
  if (ctxC) await b.closeContext(ctxC);

  const s = {
    B1: series('B1', 'kafkajs send, 100-message batches (awaited)', 'msg/s', true, reps.B1),
    B1a: series('B1a', 'kafkajs send, one awaited send per message', 'msg/s', true, reps.B1a),
    B2: series('B2', 'kafka-producer-perf-test (ProducerPerformance, Java client defaults)', 'msg/s', true, reps.B2, 'throughput reported by the tool (excludes JVM start); linger/batch at Kafka 3.9 client defaults'),
    P1: series('P1', `libs/bus publish() per event, ≤${window} in flight, Avro via registry`, 'msg/s', true, reps.P1),
    ...(ctxC ? { P1c: series('P1-confluent', `the same publish() with BUS_PRODUCER_CLIENT=confluent (librdkafka via @confluentinc/kafka-javascript)`, 'msg/s', true, reps.P1c) } : {}),
  };
  const c = 'P1c' in s ? s.P1c! : null;
  const t = target(
    'P1',
    'libs/bus per-event publish() incl. schema-registry serialization',
    'P1',
    ['B1', 'B1a'],
    [check('P1 / B1', s.P1.median / s.B1.median, '>=', 0.9, 'x'), check('P1 / B1a', s.P1.median / s.B1a.median, '>=', 10, 'x')],
    [`${n} events per repetition (B1a: ${nSingle}); values ${VALUE_BYTES} B raw, Phoenix events ${encodedBytes} B Avro-encoded plus ~5 Phoenix headers; acks=all, no compression, keys cycle over ${KEYS} values.`, s.B2.reps.length ? `Kafka's own Java producer (B2) on the same broker: P1 is ${(s.P1.median / s.B2.median).toFixed(2)}× B2.` : 'B2 not run.',
      c
        ? `Optional client: with BUS_PRODUCER_CLIENT=confluent the same publish() runs at ${Math.round(c.median).toLocaleString('en-US')} msg/s = ${(c.median / s.B1.median).toFixed(2)}× B1 and ${(c.median / s.B1a.median).toFixed(1)}× B1a (${(c.median / s.P1.median).toFixed(2)}× the kafkajs default).`
        : 'Optional client @confluentinc/kafka-javascript not installed (build it with CKJS_LINKING=dynamic npm ci): P1-confluent not measured.'],
  );
  return { series: Object.values(s), targets: [t] };
}
