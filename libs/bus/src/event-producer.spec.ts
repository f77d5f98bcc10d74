import { MockClient } from '@confluentinc/schemaregistry';
import { Kafka, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, ProducerBatch, RecordMetadata } from 'kafkajs';
import pino from 'pino';
import { CORE_TOPICS, createEnvelope, EventCodec, loadFamilySchemas, TopicCatalogue } from '@phoenix/contracts';
import { PhoenixMetrics } from '@phoenix/observability';
import { BusErrorCode } from './bus.exception';
import { BusConfigSlice } from './bus.types';
import { EventProducer } from './event-producer';

/** A stand-in for kafkajs: records produce requests and assigns offsets like a broker would. */
class FakeKafka {
  batches: ProducerBatch[] = [];
  failNext: Error | null = null;
  private next = new Map<string, number>();
  release: (() => void) | null = null;
  hold = false;
  /** Producer objects created (each would take its own producer id on connect). */
  producersCreated = 0;
  /** Fails every send of the producer with this ordinal (1-based), like a broker that no longer accepts its sequence numbers. */
  poisonedProducer = 0;
  poisonError: Error | null = null;
  /** Leaves these partitions out of the next answer (kafkajs does so when a retried partition's new leader had already answered). */
  dropFromNextAnswer: number[] = [];
  /** Fails the first send of every producer object with this error. */
  failFirstSendOfEach: Error | null = null;

  producer() {
    const ordinal = ++this.producersCreated;
    let sends = 0;
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      sendBatch: async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
        if (this.hold) await new Promise<void>((r) => (this.release = r));
        if (ordinal === this.poisonedProducer && this.poisonError) throw this.poisonError;
        if (sends++ === 0 && this.failFirstSendOfEach) throw this.failFirstSendOfEach;
        if (this.failNext) {
          const e = this.failNext;
          this.failNext = null;
          throw e;
        }
        this.batches.push(batch);
        const drop = this.dropFromNextAnswer;
        this.dropFromNextAnswer = [];
        const out: RecordMetadata[] = [];
        for (const tm of batch.topicMessages!) {
          const counts = new Map<number, number>();
          for (const m of tm.messages) counts.set(m.partition!, (counts.get(m.partition!) ?? 0) + 1);
          for (const [p, n] of counts) {
            const k = `${tm.topic}:${p}`;
            const base = this.next.get(k) ?? 0;
            this.next.set(k, base + n);
            if (!drop.includes(p)) out.push({ topicName: tm.topic, partition: p, errorCode: 0, baseOffset: String(base) });
          }
        }
        return out;
      },
    };
  }

  admin() {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
        topics: topics.map((name) => ({ name, partitions: [0, 1, 2].map((p) => ({ partitionId: p, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 })) })),
      }),
    };
  }
}

const cfg = (over: Partial<BusConfigSlice> = {}): BusConfigSlice => ({
  lingerMs: 5,
  producerClient: 'kafkajs',
  batchMaxMessages: 1000,
  bufferMaxMessages: 10000,
  sendTimeoutMs: 2000,
  maxAttempts: 3,
  retryBackoffMs: 10,
  retryBackoffMaxMs: 100,
  partitionsConcurrency: 1,
  sessionTimeoutMs: 10000,
  lagSampleMs: 5000,
  topicRefreshMs: 0,
  chunkMaxMs: 1000,
  ...over,
});

function setup(over: Partial<BusConfigSlice> = {}) {
  const kafka = new FakeKafka();
  const codec = new EventCodec(new MockClient({ baseURLs: ['mock://'] }), new TopicCatalogue(CORE_TOPICS), loadFamilySchemas(), { autoRegister: true });
  const metrics = new PhoenixMetrics();
  const producer = new EventProducer(kafka as unknown as Kafka, codec, cfg(over), pino({ level: 'silent' }), metrics, 'test');
  return { kafka, producer, codec, metrics };
}

/** The broker's answer when it and the producer disagree on sequence numbers (kafkajs builds it from the error table entry). */
const outOfOrder = () => new KafkaJSProtocolError({ type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45, retriable: false, message: 'The broker received an out of order sequence number' } as unknown as Error);

const event = (i: number, key = 'k') => createEnvelope({ type: 'test.event', source: 'spec', key, payload: { i } });

describe('EventProducer', () => {
  it('batches concurrent publish() calls into shared produce requests and reports each offset', async () => {
    const { kafka, producer } = setup();
    const receipts = await Promise.all(Array.from({ length: 50 }, (_, i) => producer.publish('events.app', event(i))));
    expect(kafka.batches.length).toBeLessThanOrEqual(2);
    const partition = receipts[0].partition;
    expect(receipts.every((r) => r.partition === partition)).toBe(true);
    expect(receipts.map((r) => Number(r.offset))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await producer.close();
  });

  it('splits a burst so that no partition gets a record batch over message.max.bytes', async () => {
    const { kafka, producer, codec } = setup({ bufferMaxMessages: 5000 });
    // 1,500 events of ~2 KB on one key: 3 MB for one partition if sent as one request.
    const big = (i: number) => createEnvelope({ type: 'test.event', source: 'spec', key: 'one-key', payload: { i, pad: 'x'.repeat(2000) } });
    const receipts = await Promise.all(Array.from({ length: 1500 }, (_, i) => producer.publish('events.app', big(i))));
    expect(kafka.batches.length).toBeGreaterThanOrEqual(4);
    for (const b of kafka.batches) {
      const perPartition = new Map<number, number>();
      for (const tm of b.topicMessages!) for (const m of tm.messages) perPartition.set(m.partition!, (perPartition.get(m.partition!) ?? 0) + (m.value as Buffer).length);
      for (const n of perPartition.values()) expect(n).toBeLessThan(1_000_000);
    }
    // Still in call order, each acknowledged once.
    expect(receipts.map((r) => Number(r.offset))).toEqual(Array.from({ length: 1500 }, (_, i) => i));
    const sent = kafka.batches.flatMap((b) => b.topicMessages!.flatMap((t) => t.messages));
    const first = await codec.decode('events.app', sent[0].value as Buffer);
    expect((first.payload as { i: number }).i).toBe(0);
    await producer.close();
  });

  it('keeps call order for one key even when publishes overlap', async () => {
    const { kafka, producer, codec } = setup({ lingerMs: 0 });
    kafka.hold = true;
    const first = producer.publish('events.app', event(0));
    const rest = Array.from({ length: 20 }, (_, i) => producer.publish('events.app', event(i + 1)));
    while (!kafka.release) await new Promise((r) => setImmediate(r));
    kafka.hold = false;
    kafka.release();
    await Promise.all([first, ...rest]);
    const sent = kafka.batches.flatMap((b) => b.topicMessages!.flatMap((t) => t.messages));
    const order = await Promise.all(sent.map(async (m) => ((await codec.decode('events.app', m.value as Buffer)).payload as { i: number }).i));
    expect(order).toEqual(Array.from({ length: 21 }, (_, i) => i));
    await producer.close();
  });

  it('rejects every publish of a failed request with a typed, retriable error', async () => {
    const { kafka, producer } = setup();
    kafka.failNext = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('connect ECONNREFUSED'), { retryCount: 5, retryTime: 1000 });
    const results = await Promise.allSettled([producer.publish('events.app', event(1)), producer.publish('events.app', event(2))]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: BusErrorCode.BrokerUnavailable, retriable: true });
    }
    // The next publish goes through once the broker answers again.
    await expect(producer.publish('events.app', event(3))).resolves.toMatchObject({ topic: 'events.app' });
    await producer.close();
  });

  it('takes a new producer id and sends the batch again when the broker rejects its sequence numbers', async () => {
    const { kafka, producer } = setup();
    await producer.publish('events.app', event(0));
    kafka.poisonedProducer = 1;
    kafka.poisonError = outOfOrder();
    const receipts = await Promise.all([1, 2, 3].map((i) => producer.publish('events.app', event(i))));
    expect(kafka.producersCreated).toBe(2);
    expect(receipts.map((r) => Number(r.offset))).toEqual([1, 2, 3]);
    // Later publishes go through the new producer.
    await expect(producer.publish('events.app', event(4))).resolves.toMatchObject({ offset: '4' });
    await producer.close();
  });

  it('answers a retriable error when the new producer id is refused too, and recovers on the next send', async () => {
    const { kafka, producer } = setup();
    kafka.failFirstSendOfEach = outOfOrder();
    await expect(producer.publish('events.app', event(0))).rejects.toMatchObject({ code: BusErrorCode.BrokerUnavailable });
    expect(kafka.producersCreated).toBe(2);
    kafka.failFirstSendOfEach = null;
    // The next send runs under yet another producer id (the failed one may have been stored).
    await expect(producer.publish('events.app', event(1))).resolves.toMatchObject({ offset: '0' });
    expect(kafka.producersCreated).toBe(3);
    await producer.close();
  });

  it('sends the request after a failed one under a new producer id, so reused sequence numbers cannot be taken for duplicates', async () => {
    const { kafka, producer } = setup();
    await producer.publish('events.app', event(0));
    kafka.failNext = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('read ECONNRESET'), { retryCount: 5, retryTime: 1000 });
    await expect(producer.publish('events.app', event(1))).rejects.toMatchObject({ code: BusErrorCode.BrokerUnavailable });
    expect(kafka.producersCreated).toBe(1);
    await producer.publish('events.app', event(2));
    expect(kafka.producersCreated).toBe(2);
    // Only once: a healthy send does not renew it again.
    await producer.publish('events.app', event(3));
    expect(kafka.producersCreated).toBe(2);
    await producer.close();
  });

  it('fails, retriably, the publishes of a partition the broker answer left out', async () => {
    const { kafka, producer } = setup({ lingerMs: 20 });
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const partitions = await Promise.all(keys.map((k) => producer.partitionFor('events.app', k)));
    const dropped = partitions[0];
    kafka.dropFromNextAnswer = [dropped];
    const results = await Promise.allSettled(keys.map((k, i) => producer.publish('events.app', event(i, k))));
    results.forEach((r, i) => {
      if (partitions[i] === dropped) expect(r).toMatchObject({ status: 'rejected', reason: { code: BusErrorCode.BrokerUnavailable } });
      else expect(r.status).toBe('fulfilled');
    });
    expect(new Set(partitions).size).toBeGreaterThan(1);
    await producer.close();
  });

  it('times out a publish the broker never acknowledges', async () => {
    const { kafka, producer } = setup({ sendTimeoutMs: 100 });
    kafka.hold = true;
    await expect(producer.publish('events.app', event(1))).rejects.toMatchObject({ code: BusErrorCode.SendTimeout });
    kafka.release?.();
    kafka.hold = false;
  });

  it('applies backpressure when the buffer is full instead of growing without bound', async () => {
    const { kafka, producer, metrics } = setup({ bufferMaxMessages: 5, batchMaxMessages: 5, lingerMs: 0 });
    kafka.hold = true;
    const settled = new Set<number>();
    const all = Array.from({ length: 12 }, (_, i) => producer.publish('events.app', event(i, `k${i}`)).then(() => settled.add(i)));
    while (!kafka.release) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    // One request in flight (5) + a full buffer (5); the other two wait for room, outside the buffer.
    const buffered = (await metrics.producerBuffered.get()).values.find((v) => v.labels.app === 'test')?.value;
    expect(buffered).toBe(5);
    expect(settled.size).toBe(0);
    kafka.hold = false;
    kafka.release();
    await Promise.all(all);
    expect(kafka.batches.every((b) => b.topicMessages!.reduce((n, t) => n + t.messages.length, 0) <= 5)).toBe(true);
    await producer.close();
  });

  it('refuses publishes after close()', async () => {
    const { producer } = setup();
    await producer.close();
    await expect(producer.publish('events.app', event(1))).rejects.toMatchObject({ code: BusErrorCode.Closed });
  });
});
