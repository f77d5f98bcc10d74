import { randomBytes } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Consumer, Producer } from 'kafkajs';
import { HEADERS } from '@phoenix/bus';
import { createGatewayApp } from '@phoenix/gateway';
import { McpWorker, McpWorkerModule } from '@phoenix/mcp';
import { Router, RoutingModule } from '@phoenix/routing';
import { AppContext, createConsumerApp } from '@phoenix/runtime';
import { BenchEnv } from './lib/bench-env';
import { measured } from './lib/cpu';
import { HttpClient } from './lib/http';
import { log, sleep, withTimeout } from './lib/log';
import { BenchOptions } from './lib/options';
import { ProfileWindow } from './lib/profile';
import { check, MeasureOutput, Rep, series, target } from './lib/results';
import { summarize } from './lib/stats';
import { TOPICS } from '@phoenix/contracts';

const header = (h: Record<string, unknown> | undefined, name: string) => {
  const v = h?.[name];
  return v === undefined ? undefined : String(Array.isArray(v) ? v[0] : v);
};

/** Arrival times of awaited ids, fed by a consumer; `expect` returns a promise of the arrival. */
class Arrivals {
  private readonly waiting = new Map<string, (at: number) => void>();
  expect(id: string): Promise<number> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }
  arrived(id: string | undefined, at: number): void {
    if (!id) return;
    const w = this.waiting.get(id);
    if (w) {
      this.waiting.delete(id);
      w(at);
    }
  }
  get outstanding(): number {
    return this.waiting.size;
  }
  clear(): void {
    this.waiting.clear();
  }
}

/** A consumer from the end of `topic` that reports each message's header `name` on arrival. */
async function listen(b: BenchEnv, topic: string, group: string, name: string, arrivals: Arrivals): Promise<Consumer> {
  const consumer = b.kafka(`bench-listen`).consumer({ groupId: b.group(group), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      for (const m of batch.messages) arrivals.arrived(header(m.headers, name), at);
    },
  });
  return consumer;
}

interface OpenLoopResult {
  latencies: number[];
  sent: number;
  lost: number;
  ackP99: number | null;
}

/**
 * Open-loop load: request i is due at t0 + i/rate, sent when due whether or not earlier ones have
 * finished; its latency runs from when it was due to when its outcome arrived (no coordinated omission).
 */
async function openLoop(rate: number, seconds: number, fire: (i: number) => Promise<{ arrival: Promise<number>; ackMs?: Promise<number> }>): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  const acks: number[] = [];
  let failed = 0;
  const t0 = performance.now() + 5;
  let sent = 0;
  const settle = (i: number, intended: number) =>
    fire(i).then(
      ({ arrival, ackMs }) => {
        void arrival.then((at) => latencies.push(at - intended));
        ackMs?.then(
          (ms) => acks.push(ms),
          () => failed++,
        );
      },
      () => failed++,
    );
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
    while (sent < due) {
      const i = sent++;
      void settle(i, t0 + (i * 1000) / rate);
    }
    await sleep(1);
  }
  const deadline = Date.now() + 30000;
  while (latencies.length + failed < total && Date.now() < deadline) await sleep(5);
  return { latencies, sent, lost: total - latencies.length, ackP99: acks.length ? summarize(acks).p99 : null };
}

interface Pipeline {
  ctx: AppContext;
  apps: INestApplication[];
  http: HttpClient;
  results: Consumer;
  arrivals: Arrivals;
  request: (i: number, tag: string) => Promise<{ arrival: Promise<number>; ackMs: Promise<number> }>;
  close(): Promise<void>;
}

/** Gateway + router + MCP worker on one context (the standalone shape), and a listener on mcp.results. */
async function startPipeline(b: BenchEnv): Promise<Pipeline> {
  const ctx = b.context('bench-e2e');
  const t = b.topics;
  await ctx.bus.codec.prepare([t.e2e, t.command, TOPICS.mcpResults, TOPICS.mcpLedger, TOPICS.mcpCapabilities]);
  const apps: INestApplication[] = [];
  const worker = McpWorker.fromConfig(ctx, [b.server]);
  await worker.start();
  const workerApp = await createConsumerApp(ctx, { app: 'mcp-worker', module: McpWorkerModule.forWorker(worker), groupId: b.group(worker.groupId(false)), topics: worker.topics, ownsContext: false });
  await workerApp.startAllMicroservices();
  await workerApp.init();
  apps.push(workerApp);
  const router = new Router(ctx);
  const routerApp = await createConsumerApp(ctx, { app: 'router', module: RoutingModule.forRouter(router, { watch: false }), groupId: b.group(`${b.instance}-router`), topics: [t.e2e], ownsContext: false });
  await routerApp.startAllMicroservices();
  await routerApp.init();
  apps.push(routerApp);
  const gateway = await createGatewayApp(ctx, { ownsContext: false });
  await gateway.listen(0, '127.0.0.1');
  apps.push(gateway);
  const base = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
  const http = new HttpClient(base, 512);
  const arrivals = new Arrivals();
  const results = await listen(b, TOPICS.mcpResults, `${b.instance}-results`, HEADERS.correlationId, arrivals);
  const filler = randomBytes(700).toString('base64').slice(0, 860);
  const auth = { authorization: `Bearer ${b.apiKey}` };
  const request = async (i: number, tag: string) => {
    const correlationId = `${tag}-${i}`;
    const arrival = arrivals.expect(correlationId);
    const body = JSON.stringify({ topic: t.e2e, type: 'bench.requested', key: `k-${i % 1000}`, correlationId, payload: { seq: i, note: filler } });
    const s = performance.now();
    const ackMs = http.post('/v1/events', body, auth).then((res) => {
      if (res.status !== 201) throw new Error(`POST /v1/events answered ${res.status}: ${res.body.slice(0, 300)}`);
      return performance.now() - s;
    });
    ackMs.catch(() => undefined);
    return { arrival, ackMs };
  };
  return {
    ctx,
    apps,
    http,
    results,
    arrivals,
    request,
    async close() {
      await results.disconnect();
      http.close();
      for (const app of apps.reverse()) await app.close();
      await b.closeContext(ctx);
    },
  };
}

/**
 * Closed loop: `clients` each start their next item when the previous one arrived (`once`
 * resolves with its arrival time); counts arrivals inside the window after a 1 s ramp, per second.
 */
async function closedLoop(clients: number, seconds: number, what: string, once: (n: number) => Promise<number>): Promise<number> {
  const from = performance.now() + 1000;
  const end = from + seconds * 1000;
  let done = 0;
  let i = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const at = await withTimeout(once(i++), 30000, -1);
        if (at < 0) throw new Error(`${what} did not arrive within 30 s during the max-rate probe`);
        if (at >= from && at <= end) done++;
      }
    }),
  );
  return done / seconds;
}

/** The whole pipeline: each client waits for its result on mcp.results before the next request. */
function maxRate(p: Pipeline, clients: number, seconds: number, tag: string): Promise<number> {
  return closedLoop(clients, seconds, 'a result', async (n) => {
    const r = await p.request(n, tag);
    await r.ackMs;
    return r.arrival;
  });
}

/** Warm-up: until results come back (MCP server connected, groups joined, schemas cached). */
async function warm(p: Pipeline, n: number): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => p.request(i, `warm${round}`)));
    const got = await withTimeout(
      Promise.all(rs.map((r) => r.arrival)).then(() => true),
      60000,
      false,
    );
    if (got) return;
  }
  throw new Error('no MCP results arrived during warm-up');
}

/** B9: three raw kafkajs hops (hop0 → hop1 → hop2 → hop3), each eachBatch consume → one acks=all send per batch → commit. */
async function startRawHops(b: BenchEnv, concurrency: number, arrivals: Arrivals): Promise<{ send: (id: string, key: string) => Promise<void>; close(): Promise<void> }> {
  const kafka = b.kafka('bench-b9');
  const hops = b.topics.rawHops;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumers: Consumer[] = [];
  for (let i = 0; i < 3; i++) {
    const out = hops[i + 1];
    const c = kafka.consumer({ groupId: b.group(`${b.instance}-b9-hop${i}`), maxWaitTimeInMs: 100 });
    await c.connect();
    await c.subscribe({ topics: [hops[i]], fromBeginning: false });
    await c.run({
      autoCommit: false,
      partitionsConsumedConcurrently: concurrency,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        if (!batch.messages.length) return;
        await producer.send({ topic: out, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary();
      },
    });
    consumers.push(c);
  }
  const end = await listen(b, hops[3], `${b.instance}-b9-end`, 'seq', arrivals);
  const client = kafka.producer();
  await client.connect();
  const value = randomBytes(1024);
  return {
    send: async (id, key) => {
      await client.send({ topic: hops[0], acks: -1, messages: [{ key, value, headers: { seq: id } }] });
    },
    async close() {
      await end.disconnect();
      for (const c of consumers) await c.disconnect();
      await client.disconnect();
      await producer.disconnect();
    },
  };
}

/** The raw hops: each client waits for its message at hop3 before the next. */
function rawMaxRate(hops: { send: (id: string, key: string) => Promise<void> }, arrivals: Arrivals, clients: number, seconds: number, tag: string): Promise<number> {
  return closedLoop(clients, seconds, 'a message through the raw hops', async (n) => {
    const id = `${tag}-${n}`;
    const arrival = arrivals.expect(id);
    await hops.send(id, `k-${n % 1000}`);
    return arrival;
  });
}

/**
 * P2: end-to-end latency gateway publish → router → MCP worker → mcp.results, open loop at 50% of
 * the pipeline's max rate; baseline: raw kafkajs produce → consume at the same rate on the same broker.
 */
export async function runP2(b: BenchEnv, o: BenchOptions, profile?: ProfileWindow): Promise<MeasureOutput> {
  const seconds = Math.max(3, Math.round(10 * o.scale));
  const clients = Number(b.env.BENCH_P2_CLIENTS ?? 32);
  const probeSeconds = Math.max(3, Math.round(6 * Math.min(1, o.scale * 2)));
  log('P2: starting gateway, router and MCP worker');
  const p = await startPipeline(b);
  try {
    await warm(p, 20);
    const max = await maxRate(p, clients, probeSeconds, 'probe');
    const rate = Math.max(1, Math.round(max / 2));
    log(`P2: pipeline max rate ≈ ${Math.round(max)} events/s (closed loop, ${clients} clients); open loop at ${rate}/s for ${seconds} s`);
    await sleep(500);
    const phoenix = (tag: string) => openLoop(rate, seconds, (i) => p.request(i, tag));

    if (profile) {
      profile.start();
      await phoenix('prof');
      profile.end();
      return { series: [], targets: [] };
    }

    // Raw baseline: one message per send (acks=all), one consumer, same rate and payload size.
    const kafka = b.kafka('bench-raw-e2e');
    const producer: Producer = kafka.producer();
    await producer.connect();
    const arrivals = new Arrivals();
    const consumer = await listen(b, b.topics.rawE2e, `${b.instance}-raw-e2e`, 'seq', arrivals);
    const value = randomBytes(1024);
    const raw = (tag: string) =>
      openLoop(rate, seconds, async (i) => {
        const id = `${tag}-${i}`;
        const arrival = arrivals.expect(id);
        await producer.send({ topic: b.topics.rawE2e, acks: -1, messages: [{ key: `k-${i % 1000}`, value, headers: { seq: id } }] });
        return { arrival };
      });
    // Warm the raw path too (group join, metadata): until a round of 20 all arrive.
    for (let round = 0; ; round++) {
      const ids = Array.from({ length: 20 }, (_, i) => `rwarm${round}-${i}`);
      const got = Promise.all(ids.map((id) => arrivals.expect(id)));
      await producer.send({ topic: b.topics.rawE2e, acks: -1, messages: ids.map((id) => ({ key: id, value, headers: { seq: id } })) });
      if (await withTimeout(got.then(() => true), 10000, false)) break;
      if (round >= 5) throw new Error('raw produce → consume warm-up: messages did not arrive');
    }
    arrivals.clear();

    const watch = b.watchedPids();
    const reps: Record<'raw' | 'p2', Rep[]> = { raw: [], p2: [] };
    for (let r = 1; r <= o.reps; r++) {
      const br = await measured(watch, () => raw(`raw${r}`));
      const bs = summarize(br.result.latencies);
      reps.raw.push({ value: bs.p99, cpu: br.cpu, detail: { rate, sent: br.result.sent, lost: br.result.lost, p50: bs.p50, p90: bs.p90, p99: bs.p99, max: bs.max } });
      log(`P2 rep ${r}: raw produce→consume p50 ${bs.p50.toFixed(1)} ms, p99 ${bs.p99.toFixed(1)} ms`);
      await sleep(300);
      const pr = await measured(watch, () => phoenix(`p2r${r}`));
      const ps = summarize(pr.result.latencies);
      reps.p2.push({ value: ps.p99, cpu: pr.cpu, detail: { rate, sent: pr.result.sent, lost: pr.result.lost, p50: ps.p50, p90: ps.p90, p99: ps.p99, max: ps.max, gatewayAckP99: pr.result.ackP99 } });
      log(`P2 rep ${r}: Phoenix e2e p50 ${ps.p50.toFixed(1)} ms, p99 ${ps.p99.toFixed(1)} ms (lost ${pr.result.lost})`);
      await sleep(300);
    }
    await consumer.disconnect();
    await producer.disconnect();

    // P9: the pipeline's maximum rate against three raw hops, same clients, interleaved.
    const hopArrivals = new Arrivals();
    const hops = await startRawHops(b, p.ctx.config.bus.partitionsConcurrency, hopArrivals);
    const maxReps: Record<'raw' | 'p9', Rep[]> = { raw: [], p9: [] };
    try {
      for (let round = 0; ; round++) {
        const id = `b9warm-${round}`;
        const got = hopArrivals.expect(id);
        await hops.send(id, id);
        if (await withTimeout(got.then(() => true), 10000, false)) break;
        if (round >= 10) throw new Error('raw three-hop warm-up: messages did not come through');
      }
      for (let r = 1; r <= o.reps; r++) {
        const br = await measured(watch, () => rawMaxRate(hops, hopArrivals, clients, probeSeconds, `b9r${r}`));
        maxReps.raw.push({ value: br.result, cpu: br.cpu, detail: { clients, seconds: probeSeconds } });
        log(`P9 rep ${r}: raw three hops ${Math.round(br.result)} msg/s (closed loop, ${clients} clients)`);
        await sleep(300);
        const pr = await measured(watch, () => maxRate(p, clients, probeSeconds, `p9r${r}`));
        maxReps.p9.push({ value: pr.result, cpu: pr.cpu, detail: { clients, seconds: probeSeconds } });
        log(`P9 rep ${r}: pipeline ${Math.round(pr.result)} events/s (closed loop, ${clients} clients)`);
        await sleep(300);
      }
    } finally {
      await hops.close();
    }
    const s9 = {
      raw: series('B9', `raw kafkajs three-hop pipe (consume → acks=all produce × 3), closed loop, ${clients} clients`, 'msg/s', true, maxReps.raw),
      p9: series('P9', `gateway → router → MCP worker → mcp.results, closed loop, ${clients} clients, no errors`, 'events/s', true, maxReps.p9),
    };
    const t9 = target('P9', 'max sustainable rate gateway → router → MCP worker → mcp.results', 'P9', ['B9'], [check('P9 / B9', s9.p9.median / s9.raw.median, '>=', 0.5, 'x')], [
      `Closed loop: ${clients} clients, each sending its next event when the previous one's result arrived, ${probeSeconds} s per repetition after 1 s; the raw pipe's three hops run in the same process, over the same partitions and concurrency.`,
      'The Phoenix path also carries HTTP, Avro at each hop, the idempotency ledger and one MCP tools/call over stdio per event.',
    ]);

    const s = {
      raw: series('B-e2e', `raw kafkajs produce → consume, open loop at ${rate}/s, p99`, 'ms', false, reps.raw),
      p2: series('P2', `gateway POST /v1/events → router → MCP worker (stdio server) → mcp.results, open loop at ${rate}/s, p99`, 'ms', false, reps.p2),
    };
    const t = target(
      'P2',
      'end-to-end p99, gateway publish → router → worker ack, open loop at 50% of max rate',
      'P2',
      ['B-e2e'],
      [check('P2 p99 / raw p99', s.p2.median / s.raw.median, '<=', 1.5, 'x'), check('P2 p99', s.p2.median, '<=', 25, 'ms')],
      [
        `Max rate ${Math.round(max)} events/s measured closed-loop through the whole pipeline (${clients} clients, ${probeSeconds} s); open loop at ${rate}/s for ${seconds} s per repetition (${rate * seconds} events).`,
        'Latency runs from when each request was due to the arrival of its mcp.results event (matched by correlation id) at a consumer in the same process; the baseline measures one produce → consume hop of a 1 KB message at the same rate.',
        'The Phoenix path has three Kafka hops (events → mcp.commands → mcp.results) plus HTTP, Avro encode/decode at each hop, the idempotency ledger write and one MCP tools/call over stdio.',
      ],
    );
    return { series: [s.raw, s.p2, s9.raw, s9.p9], targets: [t, t9] };
  } finally {
    await p.close();
  }
}
