import { randomBytes } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import { createEnvelope, JsonValue } from '@phoenix/contracts';
import { Router, RoutingModule } from '@phoenix/routing';
import { AppContext, createConsumerApp } from '@phoenix/runtime';
import { BenchEnv } from './lib/bench-env';
import { measured } from './lib/cpu';
import { log, sleep } from './lib/log';
import { BenchOptions, scaled } from './lib/options';
import { ProfileWindow } from './lib/profile';
import { check, MeasureOutput, Rep, series, target } from './lib/results';
import { calibratedPayload } from './p1-publish';

/** Sum of a topic's log-end offsets. */
async function logEnd(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((s, p) => s + Number(p.high), 0);
}

/** Resolves when `topic` has grown by `n` messages since `from`; polls every 50 ms. */
async function grownBy(admin: Admin, topic: string, from: number, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await logEnd(admin, topic)) - from < n) {
    if (Date.now() > deadline) throw new Error(`${topic} did not receive ${n} messages within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** P8 input: `n` ~1 KB Phoenix events (Avro, registry wire format) on the router's topic. */
async function preloadEvents(ctx: AppContext, topic: string, n: number): Promise<void> {
  await ctx.bus.codec.prepare([topic]);
  const payload = await calibratedPayload(ctx, topic);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    pending.push(ctx.bus.producer.publish(topic, createEnvelope<JsonValue>({ type: 'bench.routed', source: 'bench', key: `k-${i % 1000}`, payload: payload(i) })));
    if (pending.length >= 5000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

/** B8 input: `n` raw 1 KB values with the same keys. */
async function preloadRaw(kafka: Kafka, topic: string, n: number): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const value = randomBytes(1024);
  for (let i = 0; i < n; i += 1000) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ key: `k-${(i + j) % 1000}`, value })) });
  }
  await producer.disconnect();
}

/**
 * B8: the least a router can do in kafkajs — eachBatch consume, one acks=all send of the whole
 * batch to the output topic, resolve and commit — over the same partitions and concurrency.
 */
async function rawPipe(b: BenchEnv, ctx: AppContext, admin: Admin, n: number, rep: number): Promise<void> {
  const kafka = b.kafka('bench-b8');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: b.group(`${b.instance}-b8-${rep}`), maxWaitTimeInMs: 100 });
  await producer.connect();
  const from = await logEnd(admin, b.topics.rawPipeOut);
  await consumer.connect();
  await consumer.subscribe({ topics: [b.topics.rawPipeIn], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: ctx.config.bus.partitionsConcurrency,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      if (!batch.messages.length) return;
      await producer.send({ topic: b.topics.rawPipeOut, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary();
    },
  });
  try {
    await grownBy(admin, b.topics.rawPipeOut, from, n, 300_000);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

/** P8: the router app (default settings) on the preloaded topic, from start to every event routed. */
async function routerRun(b: BenchEnv, ctx: AppContext, admin: Admin, n: number, tag: string): Promise<void> {
  const from = await logEnd(admin, b.topics.p8Out);
  const router = new Router(ctx);
  let app: INestApplication | undefined;
  try {
    app = await createConsumerApp(ctx, { app: 'router', module: RoutingModule.forRouter(router, { watch: false }), groupId: b.group(`${b.instance}-router-p8-${tag}`), topics: [b.topics.p8In], ownsContext: false });
    await app.startAllMicroservices();
    await app.init();
    await grownBy(admin, b.topics.p8Out, from, n, 300_000);
  } finally {
    await app?.close();
  }
}

/**
 * P8: router alone, events/s routed from an `events.*` topic to a target topic (one rule, 1 KB
 * events, 6 partitions), each repetition a new consumer group reading from the start; baseline
 * B8 a raw kafkajs consume → produce pipe over the same partitions.
 */
export async function runP8(b: BenchEnv, o: BenchOptions, profile?: ProfileWindow): Promise<MeasureOutput> {
  const n = scaled(o, 50_000, 2_000);
  const ctx = b.context('bench-p8');
  const admin = b.kafka('bench-p8-admin').admin();
  await admin.connect();
  try {
    log(`P8: preloading ${n} events for the router and ${n} raw messages for the pipe`);
    await preloadEvents(ctx, b.topics.p8In, n);
    await ctx.bus.codec.prepare([b.topics.p8Out]);
    if (profile) {
      profile.start();
      await routerRun(b, ctx, admin, n, 'prof');
      profile.end();
      return { series: [], targets: [] };
    }
    await preloadRaw(b.kafka('bench-b8-load'), b.topics.rawPipeIn, n);
    const watch = b.watchedPids();
    const reps: Record<'raw' | 'p8', Rep[]> = { raw: [], p8: [] };
    for (let r = 1; r <= o.reps; r++) {
      const t0 = performance.now();
      const br = await measured(watch, () => rawPipe(b, ctx, admin, n, r));
      const rawRate = n / ((performance.now() - t0) / 1000);
      reps.raw.push({ value: rawRate, cpu: br.cpu, detail: { events: n } });
      log(`P8 rep ${r}: raw pipe ${Math.round(rawRate)} msg/s`);
      const t1 = performance.now();
      const pr = await measured(watch, () => routerRun(b, ctx, admin, n, String(r)));
      const rate = n / ((performance.now() - t1) / 1000);
      reps.p8.push({ value: rate, cpu: pr.cpu, detail: { events: n } });
      log(`P8 rep ${r}: router ${Math.round(rate)} events/s`);
    }
    const s = {
      raw: series('B8', 'raw kafkajs pipe: eachBatch consume → one acks=all send per batch → commit, same partitions and concurrency', 'msg/s', true, reps.raw),
      p8: series('P8', 'router app: events.* → one topic rule → target topic (decode, match, Avro encode, acks=all, commit)', 'events/s', true, reps.p8),
    };
    const t = target('P8', 'router alone, events/s routed to a target topic', 'P8', ['B8'], [check('P8 / B8', s.p8.median / s.raw.median, '>=', 0.7, 'x')], [
      `${n} events of ~1 KB per repetition on 6 partitions, each repetition a new consumer group from the start (connect and group join included, for both); BUS_PARTITIONS_CONCURRENCY ${ctx.config.bus.partitionsConcurrency} for both.`,
      'Done when the output topic has grown by every event (log-end offsets, polled every 50 ms).',
    ]);
    return { series: [s.raw, s.p8], targets: [t] };
  } finally {
    await admin.disconnect();
    await b.closeContext(ctx);
  }
}
