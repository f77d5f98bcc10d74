import { Consumer, EachBatchPayload, Kafka, KafkaMessage, PartitionAssigner } from 'kafkajs';
import { trace } from '@opentelemetry/api';
import { ContractError, Envelope, retryTopic, dlqTopic, TopicCatalogue, EventCodec } from '@phoenix/contracts';
import { extractTraceContext, HealthStatus, PhoenixLogger, PhoenixMetrics, runWithContext, SpanKind, startSpan } from '@phoenix/observability';
import { BusConfigSlice } from './bus.types';
import { EventProducer } from './event-producer';
import { ConsumerGroupMonitor } from './consumer-group.monitor';
import { HEADERS, headerString, KafkaHeaders } from './headers.constants';
import { PhoenixError } from '@phoenix/errors';
import { KeyedBackoff, backoffDelay } from '@phoenix/concurrency';

/** Where an event came from, handed to its handler next to the decoded event. */
export interface MessageMeta {
  /** The topic the bytes were read from (may be `<topic>.retry`). */
  topic: string;
  /** The catalogue topic the event belongs to. */
  mainTopic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: KafkaHeaders;
  /** 1 on first delivery, then 2, 3 … for retries. */
  attempt: number;
  /** True for replayed events: no side effects beyond memory. */
  replay: boolean;
  /**
   * Hands the consumer an effect that was started, in order, but need not finish before the next
   * message is handled — typically the broker acknowledgement of events this handler published.
   * The offset is committed only once it settles; if it fails, the partition pauses and resumes
   * from this message (so later messages of the batch are handled again: their effects must be
   * idempotent, as every redelivered effect already must be).
   */
  defer(effect: Promise<unknown>): void;
}

export type EventHandlerFn = (event: Envelope<unknown>, meta: MessageMeta) => Promise<void>;

export interface ConsumerOptions {
  groupId: string;
  /** Catalogue topics to consume (their retry companions are consumed too). */
  topics: string[];
  handlerFor: (mainTopic: string) => EventHandlerFn;
  fromBeginning?: boolean;
  /** Partition assignment strategy; co-partitioning for apps that join topics by key. */
  partitionAssigners?: PartitionAssigner[];
  /** Called after every rebalance with this member's partitions per topic. */
  onAssignment?: (assignment: Record<string, number[]>) => void;
}

/** An infrastructure failure (registry or broker) while handling: pause and try the same message again. */
class StallError extends PhoenixError<'STALLED'> {
  constructor(message: string) {
    super('STALLED', message, { kind: 'unavailable' });
  }
}

/** Deferred effects a partition may have outstanding before the consumer waits for them. */
const MAX_DEFERRED = 1000;

/** A handled message whose deferred effects have not all settled yet. */
interface Unsettled {
  message: KafkaMessage;
  effects: Promise<unknown>[];
}

type Outcome = 'ok' | 'retry' | 'dlq' | 'skipped';

/**
 * Consumes catalogue topics with manual commits. For each message, in partition order:
 * decode → handler → commit only after the handler (or the hand-off to retry/DLQ) is durable.
 * Retriable failures go to `<topic>.retry` (delay honoured by pausing that partition), fatal or
 * exhausted ones to `<topic>.dlq` with reason headers, so a poison message never stalls its
 * partition and is never dropped. When the registry or broker is down, the partition pauses
 * with backoff and the same message is tried again — no busy loop, no loss.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stallBackoff: KeyedBackoff;
  private running = false;
  readonly monitor: ConsumerGroupMonitor;
  /** Every topic subscribed (main topics and the retry companions that exist). */
  private subscribed: string[] = [];

  constructor(
    kafka: Kafka,
    private readonly codec: EventCodec,
    private readonly producer: EventProducer,
    private readonly cfg: BusConfigSlice,
    private readonly logger: PhoenixLogger,
    private readonly metrics: PhoenixMetrics,
    private readonly app: string,
    private readonly opts: ConsumerOptions,
  ) {
    this.stallBackoff = new KeyedBackoff(cfg.retryBackoffMs, cfg.retryBackoffMaxMs);
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: cfg.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(cfg.sessionTimeoutMs / 10)),
      maxWaitTimeInMs: 100,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5000 },
      ...(opts.partitionAssigners ? { partitionAssigners: opts.partitionAssigners } : {}),
    });
    this.monitor = new ConsumerGroupMonitor(kafka, opts.groupId, () => this.subscribed, metrics, logger, app, cfg.lagSampleMs, cfg.sessionTimeoutMs);
    this.monitor.watch(this.consumer);
    if (opts.onAssignment) {
      const notify = opts.onAssignment;
      this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => notify(e.payload.memberAssignment));
    }
  }

  /** Membership and lag of this consumer's group, for readiness. */
  health(): HealthStatus {
    return this.monitor.health.status(Date.now());
  }

  private get catalogue(): TopicCatalogue {
    return this.codec.catalogue;
  }

  async start(): Promise<void> {
    const topics = this.opts.topics.flatMap((t) => [t, retryTopic(t)]);
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: this.opts.fromBeginning ?? true });
    this.subscribed = topics;
    this.running = true;
    this.monitor.start();
    await this.run();
  }

  private run(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.cfg.partitionsConcurrency,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /**
   * Consumes more topics (created while running): the consumer stops after the batch in progress
   * (its effects settled and committed), subscribes to them too and rejoins — one rebalance.
   * `existing` is the broker's topic list, so a retry companion is subscribed only if it exists.
   */
  async addTopics(topics: string[], existing: Set<string>): Promise<void> {
    const fresh = topics.filter((t) => !this.opts.topics.includes(t));
    if (!fresh.length || !this.running) return;
    this.opts.topics.push(...fresh);
    const added = fresh.flatMap((t) => (existing.has(retryTopic(t)) ? [t, retryTopic(t)] : [t]));
    await this.consumer.stop();
    await this.consumer.subscribe({ topics: added, fromBeginning: this.opts.fromBeginning ?? true });
    // The lag monitor reads only what is subscribed: a missing retry companion would fail every sample.
    this.subscribed = [...this.subscribed, ...added];
    await this.run();
  }

  /** The topics consumed (main topics). */
  get topics(): readonly string[] {
    return this.opts.topics;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.monitor.stop();
    // disconnect() waits for the batch in progress; its resolved offsets are committed below.
    await this.consumer.disconnect();
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const resolved = this.catalogue.resolve(batch.topic);
    if (!resolved) return;
    const mainTopic = resolved.spec.name;
    const isRetry = resolved.role === 'retry';
    const handler = this.opts.handlerFor(mainTopic);
    const tp = `${batch.topic}:${batch.partition}`;
    let processed = 0;
    let lastBeat = Date.now();
    /** Handled messages, in order, whose deferred effects are still outstanding. */
    let unsettled: Unsettled[] = [];
    let outstanding = 0;
    /** A dependency is down: pause the partition with backoff; it resumes at `offset`. */
    const stall = (offset: string, err: Error) => {
      const backoff = this.stallBackoff.next(tp);
      this.logger.warn({ topic: batch.topic, partition: batch.partition, offset, backoffMs: backoff, err: err.message }, 'dependency unavailable; pausing partition');
      this.pauseFor(pause, backoff);
    };
    /**
     * Waits for the deferred effects, then resolves offsets in order. A message whose effect
     * failed is handled as if its handler had thrown (retry topic, then DLQ); only when that hand-off
     * cannot be written either does the partition pause there (false: stop this batch).
     */
    const settle = async (): Promise<boolean> => {
      const waiting = unsettled;
      unsettled = [];
      outstanding = 0;
      const results = await Promise.all(waiting.map((u) => Promise.allSettled(u.effects)));
      for (let i = 0; i < waiting.length; i++) {
        const { message } = waiting[i];
        const failed = results[i].find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) {
          // The same as a handler that threw: retry topic, then DLQ; if even that cannot be
          // written, the partition pauses and this message is handled again.
          try {
            const outcome = await this.failed(mainTopic, batch.topic, batch.partition, message, failed.reason);
            this.metrics.consumed.inc({ app: this.app, topic: mainTopic, outcome });
          } catch (err) {
            if (!(err instanceof StallError)) throw err;
            stall(message.offset, err);
            return false;
          }
        } else if (results[i].length) {
          this.metrics.consumed.inc({ app: this.app, topic: mainTopic, outcome: 'ok' });
        }
        resolveOffset(message.offset);
        processed++;
      }
      return true;
    };
    try {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        if (isRetry) {
          if (headerString(message.headers, HEADERS.consumerGroup) !== this.opts.groupId) {
            // Another group's retry: not ours to run.
            unsettled.push({ message, effects: [] });
            continue;
          }
          const due = Number(headerString(message.headers, HEADERS.retryAt) ?? 0);
          const wait = due - Date.now();
          if (wait > 0) {
            this.pauseFor(pause, wait);
            break;
          }
        }
        const effects: Promise<unknown>[] = [];
        try {
          const outcome = await this.process(batch.topic, mainTopic, batch.partition, message, handler, effects);
          // With deferred effects the outcome is known once they settle.
          if (effects.length === 0) this.metrics.consumed.inc({ app: this.app, topic: mainTopic, outcome });
        } catch (err) {
          if (!(err instanceof StallError)) throw err;
          // What came before this message still counts once its effects settle.
          if (await settle()) stall(message.offset, err);
          break;
        }
        unsettled.push({ message, effects });
        outstanding += effects.length;
        if (effects.length === 0 && outstanding === 0) {
          // Nothing outstanding: resolve at once, as before deferral existed.
          unsettled = [];
          this.stallBackoff.reset(tp);
          resolveOffset(message.offset);
          processed++;
        } else if (outstanding >= MAX_DEFERRED) {
          if (!(await settle())) break;
          this.stallBackoff.reset(tp);
        }
        // kafkajs sends a heartbeat only when its interval has passed; asking once per 100 ms
        // instead of per message saves a promise round trip per event.
        if (Date.now() - lastBeat >= 100) {
          await heartbeat();
          lastBeat = Date.now();
        }
      }
      if (unsettled.length && (await settle())) this.stallBackoff.reset(tp);
    } finally {
      // A throw above leaves effects unsettled: their offsets stay unresolved (handled again).
      if (processed > 0) {
        await commitOffsetsIfNecessary(uncommittedOffsets());
      }
    }
  }

  /** The handler-duration histogram bound to a topic once (label lookups per message showed in profiles). */
  private handlerTimer(topic: string): () => void {
    let bound = this.handlerHistograms.get(topic);
    if (!bound) {
      bound = this.metrics.handlerSeconds.labels({ app: this.app, topic });
      this.handlerHistograms.set(topic, bound);
    }
    return bound.startTimer();
  }
  private readonly handlerHistograms = new Map<string, ReturnType<PhoenixMetrics['handlerSeconds']['labels']>>();

  private pauseFor(pause: () => () => void, ms: number): void {
    const resume = pause();
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.running) resume();
    }, ms);
    this.timers.add(t);
  }

  private async process(topic: string, mainTopic: string, partition: number, message: KafkaMessage, handler: EventHandlerFn, effects: Promise<unknown>[]): Promise<Outcome> {
    const headers = (message.headers ?? {}) as KafkaHeaders;
    const attempt = Number(headerString(headers, HEADERS.attempt) ?? 1) || 1;
    let event: Envelope<unknown>;
    try {
      // Synchronous once the writer schema is cached (all but the first value of a schema id).
      event = this.codec.decodeReady(mainTopic, message.value) ?? (await this.codec.decode(mainTopic, message.value));
    } catch (err) {
      if (err instanceof ContractError && err.retriable) throw new StallError(err.message);
      await this.deadLetter(mainTopic, topic, partition, message, attempt, err, 'decode');
      return 'dlq';
    }
    const meta: MessageMeta = {
      topic,
      mainTopic,
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? null,
      headers,
      attempt,
      replay: headerString(headers, HEADERS.replay) !== undefined,
      defer: (effect) => {
        // Observed now, so a rejection before the consumer awaits it is not reported as unhandled.
        effect.catch(() => undefined);
        effects.push(effect);
      },
    };
    const parent = extractTraceContext(headers);
    const span = startSpan(`process ${mainTopic}`, parent, SpanKind.CONSUMER, { 'messaging.source': topic, 'phoenix.event_id': event.id });
    const endTimer = this.handlerTimer(mainTopic);
    try {
      await runWithContext(
        { correlationId: event.correlationId ?? event.id, eventId: event.id, topic: mainTopic, trace: trace.setSpan(parent, span) },
        () => handler(event, meta),
      );
      return 'ok';
    } catch (err) {
      span.recordException(err as Error);
      effects.length = 0;
      return await this.failed(mainTopic, topic, partition, message, err);
    } finally {
      endTimer();
      span.end();
    }
  }

  /** A handler (or one of its deferred effects) failed: retry later, or DLQ when exhausted or fatal. */
  private async failed(mainTopic: string, topic: string, partition: number, message: KafkaMessage, err: unknown): Promise<Outcome> {
    const attempt = Number(headerString((message.headers ?? {}) as KafkaHeaders, HEADERS.attempt) ?? 1) || 1;
    const retriable = (err as { retriable?: boolean }).retriable !== false;
    if (retriable && attempt < this.cfg.maxAttempts) {
      await this.retryLater(mainTopic, topic, partition, message, attempt, err);
      return 'retry';
    }
    await this.deadLetter(mainTopic, topic, partition, message, attempt, err, retriable ? 'exhausted' : 'fatal');
    return 'dlq';
  }

  private failureHeaders(topic: string, partition: number, message: KafkaMessage, err: unknown): Record<string, string | Buffer> {
    const out: Record<string, string | Buffer> = {};
    for (const [k, v] of Object.entries(message.headers ?? {})) {
      if (v !== undefined) out[k] = Array.isArray(v) ? v[0] : v;
    }
    // The first failure's origin is kept across retries.
    out[HEADERS.originalTopic] ??= topic;
    out[HEADERS.originalPartition] ??= String(partition);
    out[HEADERS.originalOffset] ??= message.offset;
    out[HEADERS.consumerGroup] = this.opts.groupId;
    out[HEADERS.errorCode] = String((err as { code?: unknown })?.code ?? (err as Error)?.name ?? 'UNKNOWN');
    out[HEADERS.errorMessage] = String((err as Error)?.message ?? err).slice(0, 1000);
    out[HEADERS.failedAt] = String(Date.now());
    return out;
  }

  private async retryLater(mainTopic: string, topic: string, partition: number, message: KafkaMessage, attempt: number, err: unknown): Promise<void> {
    const delay = backoffDelay(attempt, this.cfg.retryBackoffMs, this.cfg.retryBackoffMaxMs);
    const headers = this.failureHeaders(topic, partition, message, err);
    headers[HEADERS.attempt] = String(attempt + 1);
    headers[HEADERS.retryAt] = String(Date.now() + delay);
    try {
      await this.producer.publishRaw(retryTopic(mainTopic), { key: message.key, value: message.value, headers });
    } catch (publishErr) {
      throw new StallError(`cannot write to ${retryTopic(mainTopic)}: ${(publishErr as Error).message}`);
    }
    this.metrics.retries.inc({ app: this.app, topic: mainTopic });
    this.logger.warn({ topic, partition, offset: message.offset, attempt, delayMs: delay, err: (err as Error)?.message }, 'handler failed; retry scheduled');
  }

  private async deadLetter(mainTopic: string, topic: string, partition: number, message: KafkaMessage, attempt: number, err: unknown, kind: 'decode' | 'fatal' | 'exhausted'): Promise<void> {
    const headers = this.failureHeaders(topic, partition, message, err);
    headers[HEADERS.attempt] = String(attempt);
    headers[HEADERS.errorKind] = kind;
    try {
      await this.producer.publishRaw(dlqTopic(mainTopic), { key: message.key, value: message.value, headers });
    } catch (publishErr) {
      throw new StallError(`cannot write to ${dlqTopic(mainTopic)}: ${(publishErr as Error).message}`);
    }
    const code = String(headers[HEADERS.errorCode]);
    this.metrics.deadLetters.inc({ app: this.app, topic: mainTopic, code });
    this.logger.error({ topic, partition, offset: message.offset, attempt, kind, code, err: (err as Error)?.message }, 'event sent to DLQ');
  }
}
