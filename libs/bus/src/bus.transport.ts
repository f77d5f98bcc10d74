import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { EventCodec, Envelope, globToRegExp } from '@phoenix/contracts';
import { HealthRegistry, PhoenixLogger, PhoenixMetrics } from '@phoenix/observability';
import { BusContext } from './bus.context';
import { BusConfigSlice } from './bus.types';
import { ConsumerOptions, EventConsumer, MessageMeta } from './event-consumer';
import { EventProducer } from './event-producer';
import { bindHandlers } from './handler-registry';
import { TopicWatcher } from './topic-watcher';

export interface BusTransportOptions {
  /** Kafka consumer group; one per app (pods of an app share it and split partitions). */
  groupId: string;
  /** Topics this app must consume; each must have a handler. Defaults to every topic the handlers match. */
  topics?: string[];
  fromBeginning?: boolean;
  /**
   * Topic globs to keep watching: a topic created later that matches one (and exactly one handler
   * pattern) is consumed too, within BUS_TOPIC_REFRESH_MS. Default: none (a fixed topic list).
   */
  discover?: string[];
  partitionAssigners?: ConsumerOptions['partitionAssigners'];
  onAssignment?: ConsumerOptions['onAssignment'];
}

export interface BusTransportDeps {
  kafka: Kafka;
  codec: EventCodec;
  producer: EventProducer;
  bus: BusConfigSlice;
  logger: PhoenixLogger;
  metrics: PhoenixMetrics;
  app: string;
  /** Where the consumer's group check (membership, lag) is registered, as `group:<groupId>`. */
  health?: HealthRegistry;
}

/**
 * A Nest microservice transport over `libs/bus`: handlers are `@OnEvent` (= `@EventPattern`)
 * methods, events arrive decoded and typed, and the offset is committed only after the handler's
 * promise resolves. Unlike Nest's built-in Kafka transport, failures go to retry/DLQ topics
 * instead of being logged and committed past.
 */
export class BusTransport extends Server implements CustomTransportStrategy {
  private consumer?: EventConsumer;
  private watcher?: TopicWatcher;

  constructor(
    private readonly deps: BusTransportDeps,
    private readonly options: BusTransportOptions,
  ) {
    super();
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const registrations = [...this.messageHandlers].map(([pattern, handler]) => ({
        pattern,
        handler,
        duplicates: chainLength(handler),
      }));
      const bindings = bindHandlers(this.deps.codec.catalogue, registrations, this.options.topics ?? []);
      const topics = this.options.topics ?? [...bindings.keys()];
      // Fail at boot, not on the first message, when a schema is missing or incompatible.
      await this.deps.codec.prepare(topics);
      this.consumer = new EventConsumer(
        this.deps.kafka,
        this.deps.codec,
        this.deps.producer,
        this.deps.bus,
        this.deps.logger,
        this.deps.metrics,
        this.deps.app,
        {
          groupId: this.options.groupId,
          topics,
          fromBeginning: this.options.fromBeginning,
          partitionAssigners: this.options.partitionAssigners,
          onAssignment: this.options.onAssignment,
          handlerFor: (topic) => {
            const binding = bindings.get(topic)!;
            return (event, meta) => this.invoke(binding.handler, event, meta);
          },
        },
      );
      const consumer = this.consumer;
      this.deps.health?.register(`group:${this.options.groupId}`, async () => consumer.health());
      await this.consumer.start();
      this.deps.logger.info({ groupId: this.options.groupId, topics }, 'bus consumer started');
      if (this.options.discover?.length) {
        // Topics created later that match a watched glob (and one handler pattern) are consumed too.
        const patterns = registrations.map((r) => ({ pattern: r.pattern, handler: r.handler, re: globToRegExp(r.pattern) }));
        const watched = this.options.discover.map((g) => globToRegExp(g));
        this.watcher = new TopicWatcher(this.deps.kafka, this.deps.codec.catalogue, this.deps.logger, {
          intervalMs: this.deps.bus.topicRefreshMs,
          accepts: (t) => watched.some((re) => re.test(t)) && patterns.filter((p) => p.re.test(t)).length === 1,
          known: () => consumer.topics,
          onNew: async (fresh, existing) => {
            for (const t of fresh) {
              const p = patterns.find((x) => x.re.test(t))!;
              bindings.set(t, { pattern: p.pattern, handler: p.handler });
            }
            await this.deps.codec.prepare(fresh);
            await consumer.addTopics(fresh, existing);
          },
        });
        this.watcher.start();
      }
      callback();
    } catch (err) {
      callback(err);
    }
  }

  async close(): Promise<void> {
    await this.watcher?.stop();
    await this.consumer?.stop();
  }

  on(): never {
    throw new Error('BusTransport does not emit transport events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private async invoke(handler: MessageHandler, event: Envelope<unknown>, meta: MessageMeta): Promise<void> {
    const result = await handler(event, new BusContext(meta));
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }
}

/** Nest chains a second handler for the same event pattern via `.next`; we refuse that. */
function chainLength(handler: MessageHandler): number {
  let n = 0;
  for (let h: MessageHandler | undefined = handler; h; h = h.next) n++;
  return n;
}
