import { Consumer, EachBatchPayload, Kafka, KafkaJSProtocolError, KafkaMessage } from 'kafkajs';
import { ContractError, dlqTopic, Envelope, EventCodec } from '@phoenix/contracts';
import { sinkFailureOf } from './sink-failure';
import { extractTraceContext, HealthStatus, PhoenixLogger, PhoenixMetrics, SpanKind, startSpan } from '@phoenix/observability';
import { BusConfigSlice } from './bus.types';
import { EventProducer } from './event-producer';
import { ConsumerGroupMonitor } from './consumer-group.monitor';
import { HEADERS, headerString, KafkaHeaders } from './headers.constants';
import { KeyedBackoff } from '@phoenix/concurrency';

/** Heartbeat answers that mean this member's generation is over (a rebalance is under way). */
const FENCED = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

export interface ConsumedEvent {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: KafkaHeaders;
  replay: boolean;
  event: Envelope<unknown>;
}

export interface BatchConsumerOptions {
  groupId: string;
  topics: string[];
  /** Events per handler call (a Kafka fetch is split into chunks of at most this many). */
  maxBatch: number;
  /** How long the broker may wait to fill a fetch (time-based batching). */
  maxWaitMs: number;
  /** Minimum bytes per fetch before maxWaitMs (size-based batching). */
  minBytes: number;
  /** Writes a chunk durably; throwing pauses the partition and retries the same chunk later. */
  handle: (events: ConsumedEvent[]) => Promise<void>;
  /** After each rebalance, with this member's partitions; the sink seeks to its stored offsets. */
  onAssignment?: (assignment: Record<string, number[]>) => void | Promise<void>;
}

/**
 * A consumer for sinks (warehouse, memory): events are handed over in chunks, in partition
 * order, and the offset is committed only after the chunk is durable. A failing sink never
 * skips events — the partition pauses with exponential backoff and the same chunk is retried,
 * which is the backpressure. Undecodable messages go to the DLQ with reason headers.
 */
export class BatchEventConsumer {
  private readonly consumer: Consumer;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly backoff: KeyedBackoff;
  private stalled: { since: number; reason: string; fatal?: boolean } | null = null;
  private running = false;
  /** Bumped on every rebalance: work started in an older generation never commits. */
  private generation = 0;
  private readonly assigned = new Set<string>();
  readonly monitor: ConsumerGroupMonitor;
  private readonly heartbeatMs: number;

  constructor(
    kafka: Kafka,
    private readonly codec: EventCodec,
    private readonly producer: EventProducer,
    private readonly cfg: BusConfigSlice,
    private readonly logger: PhoenixLogger,
    private readonly metrics: PhoenixMetrics,
    private readonly app: string,
    private readonly opts: BatchConsumerOptions,
  ) {
    this.heartbeatMs = Math.max(500, Math.floor(cfg.sessionTimeoutMs / 10));
    this.backoff = new KeyedBackoff(cfg.retryBackoffMs, cfg.retryBackoffMaxMs);
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: cfg.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatMs,
      maxWaitTimeInMs: opts.maxWaitMs,
      minBytes: opts.minBytes,
      maxBytesPerPartition: 4 * 1024 * 1024,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5000 },
    });
    this.monitor = new ConsumerGroupMonitor(kafka, opts.groupId, () => opts.topics, metrics, logger, app, cfg.lagSampleMs, cfg.sessionTimeoutMs);
    this.monitor.watch(this.consumer);
    this.consumer.on(this.consumer.events.REBALANCING, () => this.generation++);
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.generation++;
      this.assigned.clear();
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) for (const p of partitions) this.assigned.add(`${topic}:${p}`);
    });
    if (opts.onAssignment) {
      const notify = opts.onAssignment;
      // Called synchronously, before the first fetch of the new assignment, so seeks take effect.
      this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
        try {
          void Promise.resolve(notify(e.payload.memberAssignment)).catch((err) => this.logger.error({ err: (err as Error).message }, 'assignment handling failed'));
        } catch (err) {
          this.logger.error({ err: (err as Error).message }, 'assignment handling failed');
        }
      });
    }
  }

  /** When the sink has been failing since (for health: degraded). */
  get stall(): { since: number; reason: string } | null {
    return this.stalled;
  }

  /** Sink stalls first, then membership and lag (see {@link ConsumerGroupMonitor}). */
  health(): HealthStatus {
    const stall = this.stalled;
    if (stall?.fatal) return { status: 'down', detail: stall.reason };
    if (stall) return { status: 'degraded', detail: `paused since ${new Date(stall.since).toISOString()}: ${stall.reason}` };
    return this.monitor.health.status(Date.now());
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: true });
    this.running = true;
    this.monitor.start();
    await this.run();
  }

  private run(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.cfg.partitionsConcurrency,
      eachBatch: (p) => this.eachBatch(p),
    });
  }

  /** Consumes more topics (created while running): stop after the chunk in progress, subscribe, rejoin. */
  async addTopics(topics: string[]): Promise<void> {
    const fresh = topics.filter((t) => !this.opts.topics.includes(t));
    if (!fresh.length || !this.running) return;
    this.opts.topics.push(...fresh);
    await this.consumer.stop();
    await this.consumer.subscribe({ topics: fresh, fromBeginning: true });
    await this.run();
  }

  /** The topics consumed. */
  get topics(): readonly string[] {
    return this.opts.topics;
  }

  /** Moves a partition's position (e.g. to the offset stored with the sink's data). */
  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    await this.monitor.stop();
    await this.consumer.disconnect();
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const resolved = this.codec.catalogue.resolve(batch.topic);
    const mainTopic = resolved?.spec.name ?? batch.topic;
    const tp = `${batch.topic}:${batch.partition}`;
    let chunk: { message: KafkaMessage; consumed: ConsumedEvent | null }[] = [];

    let chunkStarted = Date.now();

    const flush = async (): Promise<boolean> => {
      if (chunk.length === 0) return true;
      const events = chunk.map((c) => c.consumed).filter((c): c is ConsumedEvent => c !== null);
      const startedAt = Date.now();
      const generation = this.generation;
      // Nothing heartbeats while a chunk is written unless we do: keep the membership alive.
      let rebalancing = false;
      const beat = setInterval(() => {
        heartbeat().catch((err: Error) => {
          // The coordinator says our membership is over or changing: the partition may already be
          // someone else's. Other failures (a broker blip) leave ownership as it was.
          if (err instanceof KafkaJSProtocolError && FENCED.has(err.type)) rebalancing = true;
          this.logger.debug({ topic: batch.topic, partition: batch.partition, err: err.message }, 'heartbeat during a chunk failed');
        });
      }, this.heartbeatMs);
      try {
        if (events.length) await this.writeIsolating(events, chunk, mainTopic, batch.topic, batch.partition);
        this.traceWritten(mainTopic, events, startedAt);
      } catch (err) {
        if (sinkFailureOf(err) === 'app') {
          // No event can succeed until someone fixes the sink: stop this partition, say why.
          this.stalled = { since: this.stalled?.since ?? Date.now(), reason: `sink misconfigured: ${(err as Error).message}`, fatal: true };
          this.logger.fatal({ topic: batch.topic, partition: batch.partition, err: (err as Error).message }, 'sink misconfigured; partition stopped until the app restarts');
          pause();
          return false;
        }
        const wait = this.backoff.next(tp);
        this.stalled ??= { since: Date.now(), reason: (err as Error).message };
        this.logger.warn({ topic: batch.topic, partition: batch.partition, events: events.length, backoffMs: wait, err: (err as Error).message }, 'sink unavailable; pausing partition');
        const resume = pause();
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (this.running) resume();
        }, wait);
        this.timers.add(t);
        return false;
      } finally {
        clearInterval(beat);
      }
      this.backoff.reset(tp);
      if (this.backoff.size === 0 && !this.stalled?.fatal) this.stalled = null;
      this.metrics.consumed.inc({ app: this.app, topic: mainTopic, outcome: 'ok' }, events.length);
      // Fencing: the partition moved (or is moving) while we wrote. The write itself is idempotent,
      // so the new owner re-reading this chunk is harmless; committing from here is not.
      if (rebalancing || generation !== this.generation || !this.assigned.has(tp) || isStale() || !isRunning()) {
        this.logger.info({ topic: batch.topic, partition: batch.partition, events: events.length }, 'partition revoked while writing; leaving the commit to its new owner');
        chunk = [];
        return false;
      }
      resolveOffset(chunk[chunk.length - 1].message.offset);
      await commitOffsetsIfNecessary(uncommittedOffsets());
      chunk = [];
      chunkStarted = Date.now();
      await heartbeat();
      return true;
    };

    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      let consumed: ConsumedEvent | null = null;
      try {
        const event = await this.codec.decode(mainTopic, message.value);
        const headers = (message.headers ?? {}) as KafkaHeaders;
        consumed = { topic: mainTopic, partition: batch.partition, offset: message.offset, key: message.key?.toString() ?? null, headers, replay: headerString(headers, HEADERS.replay) !== undefined, event };
      } catch (err) {
        if (err instanceof ContractError && err.retriable) {
          // Registry down: stop here; what is in `chunk` is still written below.
          if (!(await flush())) return;
          const resume = pause();
          const t = setTimeout(() => this.running && resume(), this.cfg.retryBackoffMs);
          this.timers.add(t);
          return;
        }
        await this.deadLetter(mainTopic, batch.topic, batch.partition, message, err);
      }
      if (chunk.length === 0) chunkStarted = Date.now();
      chunk.push({ message, consumed });
      if ((chunk.length >= this.opts.maxBatch || Date.now() - chunkStarted >= this.cfg.chunkMaxMs) && !(await flush())) return;
    }
    await flush();
  }

  /** One span per traced event, child of its producer span, covering the sink write that stored it. */
  private traceWritten(topic: string, events: ConsumedEvent[], startedAt: number): void {
    for (const e of events) {
      if (e.headers.traceparent === undefined) continue;
      const span = startSpan(`${this.app} ${topic}`, extractTraceContext(e.headers), SpanKind.CONSUMER, { 'messaging.source': topic, 'phoenix.event_id': e.event.id, 'phoenix.batch_size': events.length }, startedAt);
      span.end();
    }
  }

  /**
   * Writes a chunk; when the sink refuses something in it for good (`record`), halves it until the
   * refused events are found, dead-letters each with the sink's reason and writes the others, in
   * order. Sink writes are idempotent, so halves written before a later failure are harmless.
   */
  private async writeIsolating(events: ConsumedEvent[], chunk: { message: KafkaMessage; consumed: ConsumedEvent | null }[], mainTopic: string, topic: string, partition: number): Promise<void> {
    try {
      await this.opts.handle(events);
    } catch (err) {
      if (sinkFailureOf(err) !== 'record') throw err;
      if (events.length === 1) {
        const message = chunk.find((c) => c.consumed === events[0])!.message;
        this.logger.warn({ topic, partition, offset: message.offset, err: (err as Error).message }, 'sink refused an event; dead-lettered');
        await this.deadLetter(mainTopic, topic, partition, message, err, 'fatal');
        return;
      }
      const mid = events.length >> 1;
      await this.writeIsolating(events.slice(0, mid), chunk, mainTopic, topic, partition);
      await this.writeIsolating(events.slice(mid), chunk, mainTopic, topic, partition);
    }
  }

  private async deadLetter(mainTopic: string, topic: string, partition: number, message: KafkaMessage, err: unknown, kind: 'decode' | 'fatal' = 'decode'): Promise<void> {
    const headers: Record<string, string | Buffer> = {};
    for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v[0] : v;
    Object.assign(headers, {
      [HEADERS.originalTopic]: topic,
      [HEADERS.originalPartition]: String(partition),
      [HEADERS.originalOffset]: message.offset,
      [HEADERS.consumerGroup]: this.opts.groupId,
      [HEADERS.errorCode]: String((err as { code?: string }).code ?? 'DECODE_FAILED'),
      [HEADERS.errorMessage]: String((err as Error).message).slice(0, 1000),
      [HEADERS.errorKind]: kind,
      [HEADERS.failedAt]: String(Date.now()),
      [HEADERS.attempt]: '1',
    });
    await this.producer.publishRaw(dlqTopic(mainTopic), { key: message.key, value: message.value, headers });
    this.metrics.deadLetters.inc({ app: this.app, topic: mainTopic, code: String(headers[HEADERS.errorCode]) });
  }
}
