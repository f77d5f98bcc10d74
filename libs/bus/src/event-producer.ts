import { Kafka, RecordMetadata } from 'kafkajs';
import { BusConfigSlice } from './bus.types';
import { PhoenixLogger, PhoenixMetrics, activeTraceContext, injectTraceHeaders, startSpan, SpanKind } from '@phoenix/observability';
import { EventCodec, Envelope } from '@phoenix/contracts';
import { BusError, BusErrorCode } from './bus.exception';
import { HEADERS } from './headers.constants';
import { toBusError } from './kafka-errors';
import { PRODUCER_IDENTITY_ERRORS, ProducerClient, kafkajsProducerClient } from './producer-client';
import { TopicMetadataCache } from './topic-metadata';
import { EventPublisher } from './bus.interfaces';

/** Where the broker stored an event. */
export interface PublishReceipt {
  topic: string;
  partition: number;
  offset: string;
}

export interface RawMessage {
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** Kafka timestamp (epoch ms); the broker's time when absent. */
  timestamp?: number;
}

export interface PublishOptions {
  /** Extra Kafka headers (e.g. the replay marker). */
  headers?: Record<string, string>;
}

interface Pending {
  topic: string;
  partition: number;
  message: RawMessage;
  resolve: (r: PublishReceipt) => void;
  reject: (e: Error) => void;
  settled: boolean;
  timer: NodeJS.Timeout;
}

/** The Kafka protocol error type under a (possibly retry-wrapped) kafkajs error. */
function protocolErrorType(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    e = (e as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/** Broker default `message.max.bytes` minus room for the record batch header. */
const MAX_MESSAGE_BYTES = 1_000_000;

/** Per-record framing in a record batch (length, attributes, deltas, header counts): an upper bound. */
const RECORD_OVERHEAD_BYTES = 32;

/** A message's size in a record batch, near enough to keep a partition's batch under `message.max.bytes`. */
function recordBytes(m: RawMessage): number {
  let n = RECORD_OVERHEAD_BYTES + (m.value?.length ?? 0) + (m.key?.length ?? 0);
  if (m.headers) for (const [k, v] of Object.entries(m.headers)) n += k.length + v.length + 8;
  return n;
}

/**
 * An idempotent, acks=all producer that batches across calls: each `publish()` resolves only
 * when the broker acknowledged that event, but events from concurrent callers share produce
 * requests. kafkajs has no linger, so this class supplies one (BUS_LINGER_MS), with a bounded
 * buffer (BUS_BUFFER_MAX_MESSAGES) that applies backpressure to callers when full.
 * One request is in flight at a time, which keeps per-partition order without relying on retries.
 */
export class EventProducer implements EventPublisher {
  private readonly producer: ProducerClient;
  private readonly metadata: TopicMetadataCache;
  private queue: Pending[] = [];
  private inFlight: Promise<void> | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private spaceWaiters: (() => void)[] = [];
  private connecting: Promise<void> | null = null;
  private admission: Promise<void> = Promise.resolve();
  /** Publishes between entering enqueue and joining the queue; 0 lets a ready event skip the chain. */
  private admitting = 0;
  private closed = false;
  /** A request failed after it may have reached the broker: take a new producer id before the next one. */
  private identityUnsure = false;
  private closing: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly codec: EventCodec,
    private readonly cfg: BusConfigSlice,
    private readonly logger: PhoenixLogger,
    private readonly metrics: PhoenixMetrics,
    private readonly app: string,
    client?: ProducerClient,
  ) {
    this.producer = client ?? kafkajsProducerClient(kafka, cfg);
    this.metadata = new TopicMetadataCache(kafka);
    this.buffered = metrics.producerBuffered.labels({ app });
  }

  /** The buffer gauge bound to this app once (label hashing per publish showed in profiles). */
  private readonly buffered: { set(value: number): void };

  /** Encodes an event with its topic's registered schema and publishes it. */
  async publish<P>(topic: string, event: Envelope<P>, opts: PublishOptions = {}): Promise<PublishReceipt> {
    const span = startSpan(`publish ${topic}`, activeTraceContext(), SpanKind.PRODUCER, { 'messaging.destination': topic, 'phoenix.event_id': event.id });
    try {
      const headers: Record<string, string> = {
        [HEADERS.eventId]: event.id,
        [HEADERS.eventType]: event.type,
        [HEADERS.source]: event.source,
        ...(event.correlationId ? { [HEADERS.correlationId]: event.correlationId } : {}),
        ...(event.causationId ? { [HEADERS.causationId]: event.causationId } : {}),
        ...opts.headers,
      };
      injectTraceHeaders(span, headers);
      // Fast path: schema id and partition known, nobody ahead in admission, room in the buffer —
      // join the queue synchronously (same order guarantees, no promise round trips).
      if (this.admitting === 0 && !this.closed && this.queue.length < this.cfg.bufferMaxMessages) {
        const partition = this.metadata.partitionForCached(topic, event.key);
        const bytes = partition === undefined ? undefined : this.codec.encodeReady(topic, event);
        if (bytes !== undefined) {
          const size = bytes.length + (event.key?.length ?? 0);
          if (size > MAX_MESSAGE_BYTES) throw new BusError(BusErrorCode.MessageTooLarge, `message of ${size} bytes exceeds ${MAX_MESSAGE_BYTES}`);
          return await this.push(topic, partition!, { key: event.key, value: bytes, headers, timestamp: event.occurredAt }, Date.now() + this.cfg.sendTimeoutMs);
        }
      }
      // The Kafka timestamp is the event's time, so replays by time range select by when things happened.
      return await this.enqueue(topic, event.key, this.codec.encode(topic, event), headers, event.occurredAt);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'UNKNOWN';
      this.metrics.publishFailures.inc({ app: this.app, topic, code });
      throw err;
    } finally {
      span.end();
    }
  }

  /** Publishes already-encoded bytes (retry and DLQ copies keep the original value). */
  publishRaw(topic: string, message: RawMessage): Promise<PublishReceipt> {
    return this.enqueue(topic, message.key, Promise.resolve(message.value), message.headers, message.timestamp);
  }

  /**
   * Encoding and partition lookup run concurrently, but messages enter the queue strictly in
   * call order (the admission chain), so two publishes of the same key are never reordered.
   */
  private async enqueue(topic: string, key: Buffer | string | null, value: Promise<Buffer | null>, headers?: Record<string, string | Buffer>, timestamp?: number): Promise<PublishReceipt> {
    const previous = this.admission;
    let admitted!: () => void;
    this.admission = new Promise<void>((resolve) => (admitted = resolve));
    this.admitting++;
    try {
      if (this.closed) throw new BusError(BusErrorCode.Closed, 'producer is closed');
      const deadline = Date.now() + this.cfg.sendTimeoutMs;
      const partitionP = this.metadata.partitionFor(topic, key);
      // Settle both before deciding, so a failure of one never leaves the other unhandled.
      const [bytes, partition] = await Promise.allSettled([value, partitionP]);
      await previous;
      if (bytes.status === 'rejected') throw bytes.reason;
      if (partition.status === 'rejected') throw partition.reason;
      const size = (bytes.value?.length ?? 0) + (key?.length ?? 0);
      if (size > MAX_MESSAGE_BYTES) {
        throw new BusError(BusErrorCode.MessageTooLarge, `message of ${size} bytes exceeds ${MAX_MESSAGE_BYTES}`);
      }
      await this.waitForSpace(deadline);
      return this.push(topic, partition.value, { key, value: bytes.value, headers, timestamp }, deadline);
    } finally {
      this.admitting--;
      admitted();
    }
  }

  private push(topic: string, partition: number, message: RawMessage, deadline: number): Promise<PublishReceipt> {
    return new Promise<PublishReceipt>((resolve, reject) => {
      const pending: Pending = {
        topic,
        partition,
        message,
        resolve,
        reject,
        settled: false,
        timer: setTimeout(() => {
          this.settle(pending, new BusError(BusErrorCode.SendTimeout, `no acknowledgement for ${topic} within ${this.cfg.sendTimeoutMs} ms`));
          const i = this.queue.indexOf(pending);
          if (i >= 0) this.queue.splice(i, 1);
        }, Math.max(1, deadline - Date.now())),
      };
      this.queue.push(pending);
      this.buffered.set(this.queue.length);
      this.schedule();
    });
  }

  /** Resolves when everything queued so far was acknowledged or failed. */
  async flush(): Promise<void> {
    while (this.queue.length || this.inFlight) {
      if (!this.inFlight) this.sendNow();
      await this.inFlight;
    }
  }

  /** Stops accepting publishes, waits for those already accepted to be acknowledged, disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await this.admission;
      await this.flush().catch(() => undefined);
      await this.metadata.close();
      await this.producer.disconnect().catch(() => undefined);
    })();
    return this.closing;
  }

  /** The partition a key maps to (Java-compatible murmur2), from cached metadata. */
  partitionFor(topic: string, key: string): Promise<number> {
    return this.metadata.partitionFor(topic, key);
  }

  /** Number of partitions of a topic, from cached metadata. */
  partitionCount(topic: string): Promise<number> {
    return this.metadata.partitionCount(topic);
  }

  private schedule(): void {
    if (this.inFlight) return;
    if (this.queue.length >= this.cfg.batchMaxMessages || this.cfg.lingerMs === 0) {
      this.sendNow();
    } else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => this.sendNow(), this.cfg.lingerMs);
    }
  }

  private sendNow(): void {
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.takeCount()).filter((p) => !p.settled);
    this.buffered.set(this.queue.length);
    this.releaseSpace();
    if (batch.length === 0) return this.schedule();
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = null;
      // Whatever queued while this request was on the wire has already waited long enough.
      if (this.queue.length) this.sendNow();
    });
  }

  /**
   * How many queued messages the next request takes: up to BUS_BATCH_MAX_MESSAGES, and never so
   * many that one partition's record batch would pass `message.max.bytes` — the broker refuses
   * such a batch whole (MESSAGE_TOO_LARGE), failing every event in it. The request stops before
   * the first message that would not fit (so call order is kept); the rest go in the next one.
   */
  private takeCount(): number {
    const max = Math.min(this.cfg.batchMaxMessages, this.queue.length);
    const bytes = new Map<string, number>();
    for (let i = 0; i < max; i++) {
      const p = this.queue[i];
      if (p.settled) continue;
      const k = `${p.topic}:${p.partition}`;
      const next = (bytes.get(k) ?? 0) + recordBytes(p.message);
      if (next > MAX_MESSAGE_BYTES && i > 0) return i;
      bytes.set(k, next);
    }
    return max;
  }

  private async send(batch: Pending[]): Promise<void> {
    this.metrics.producerBatchSize.observe({ app: this.app }, batch.length);
    const byTopic = new Map<string, Pending[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic);
      if (list) list.push(p);
      else byTopic.set(p.topic, [p]);
    }
    const request = [...byTopic].map(([topic, items]) => ({
      topic,
      messages: items.map((p) => ({ key: p.message.key, value: p.message.value, headers: p.message.headers, partition: p.partition, ...(p.message.timestamp !== undefined ? { timestamp: String(p.message.timestamp) } : {}) })),
    }));
    try {
      await this.renewIdentityIfUnsure();
      await this.connect();
      let result: RecordMetadata[];
      try {
        result = await this.producer.sendBatch(request);
      } catch (err) {
        // The broker and the producer disagree on sequence numbers (a leader died mid-request):
        // this producer id would fail every further send, so take a new one and send the batch
        // again. The first attempt may have been stored; a second copy carries the same event
        // ids, which every consumer deduplicates.
        const type = protocolErrorType(err);
        if (!type || !PRODUCER_IDENTITY_ERRORS.has(type) || !this.producer.resetIdentity) throw err;
        this.logger.warn({ err: (err as Error).message, type }, 'producer sequence out of step with the broker: new producer id, batch sent again');
        await this.renewIdentity(type);
        result = await this.producer.sendBatch(request);
      }
      this.acknowledge(byTopic, result);
    } catch (err) {
      // A failed request may still have been stored. kafkajs hands its sequence numbers back on
      // failure, so the next batch would reuse them, and the broker would take that batch for a
      // duplicate of the stored one: acknowledged, never written. The next send therefore runs
      // under a new producer id.
      this.identityUnsure = true;
      const busError = toBusError(err, 'produce');
      if (busError.code === BusErrorCode.TopicNotFound) for (const t of byTopic.keys()) this.metadata.invalidate(t);
      if (busError.code === BusErrorCode.BrokerUnavailable) this.logger.warn({ code: busError.code, err: busError.message }, 'produce failed');
      for (const p of batch) this.settle(p, busError);
    }
  }

  /** After a failed request: a new producer id before anything else is sent (see send). */
  private async renewIdentityIfUnsure(): Promise<void> {
    if (this.identityUnsure && this.producer.resetIdentity) await this.renewIdentity('after-failed-request');
  }

  private async renewIdentity(reason: string): Promise<void> {
    this.metrics.producerResets.inc({ app: this.app, reason });
    await this.producer.resetIdentity!();
    this.connecting = null;
    this.identityUnsure = false;
    await this.connect();
  }

  /**
   * Settles each message from the broker's base offset for its partition. A partition the answer
   * does not mention was not acknowledged — kafkajs can drop one from a retried request when its
   * leader moved to a broker that had already answered — so its messages fail, retriably.
   */
  private acknowledge(byTopic: Map<string, Pending[]>, result: RecordMetadata[]): void {
    const base = new Map<string, bigint>();
    for (const r of result) base.set(`${r.topicName}:${r.partition}`, BigInt(r.baseOffset ?? '-1'));
    const nextIndex = new Map<string, bigint>();
    for (const [topic, items] of byTopic) {
      let ok = 0;
      for (const p of items) {
        const k = `${topic}:${p.partition}`;
        const b = base.get(k);
        if (b === undefined) {
          this.identityUnsure = true;
          this.settle(p, new BusError(BusErrorCode.BrokerUnavailable, `produce: the broker's answer has no acknowledgement for ${k}`));
          continue;
        }
        const i = nextIndex.get(k) ?? 0n;
        nextIndex.set(k, i + 1n);
        ok++;
        this.settle(p, undefined, { topic, partition: p.partition, offset: b < 0n ? '-1' : (b + i).toString() });
      }
      if (ok) this.metrics.published.inc({ app: this.app, topic }, ok);
      if (ok < items.length) this.logger.warn({ topic, unacknowledged: items.length - ok }, 'produce answer left partitions unacknowledged; those publishes failed');
    }
  }

  private settle(p: Pending, err?: Error, receipt?: PublishReceipt): void {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(receipt!);
  }

  private async connect(): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.producer.connect();
      this.connecting.catch(() => (this.connecting = null));
    }
    await this.connecting;
  }

  private async waitForSpace(deadline: number): Promise<void> {
    while (this.queue.length >= this.cfg.bufferMaxMessages) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new BusError(BusErrorCode.SendTimeout, 'producer buffer stayed full until the send timeout');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, remaining);
        this.spaceWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private releaseSpace(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }
}

