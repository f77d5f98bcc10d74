import { AvroDeserializer, SchemaRegistryClient, SerdeType, SubjectNameStrategyType } from '@confluentinc/schemaregistry';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { createEnvelope, TOPICS } from '@phoenix/contracts';
import { HEADERS } from '@phoenix/bus';
import { AppContext } from '@phoenix/runtime';
import { normalizeDebezium, normalizeEstuary, TOMBSTONE, UnreadableChange } from './change-normalizer';
import { IngestConfig, IngestStream } from './ingest.config';
import { PhoenixError } from '@phoenix/errors';

export const INGEST_DLQ = TOPICS.ingestDlq;

/** The source could not be read now (registry down); try the same message again later. */
/** A dependency of the ingest (the source registry, the bus) is unavailable: pause and read the same document again. */
class Stall extends PhoenixError<'CDC_STALLED'> {
  constructor(message: string) {
    super('CDC_STALLED', message, { kind: 'unavailable' });
  }
}

/**
 * Reads change streams from an external Kafka-API source (Estuary Flow via Dekaf or a Kafka
 * materialization, Debezium), normalizes each document into a canonical ChangeEvent and publishes
 * it on `cdc.<system>.<entity>`, keyed by the entity's primary key so per-entity order holds.
 * Offsets on the source are committed only after the canonical event is acknowledged.
 * Tombstones after deletes are skipped; unreadable documents go to `ingest.dlq` with the reason.
 */
export class Ingestor {
  private readonly consumer: Consumer;
  private readonly sourceKafka: Kafka;
  private readonly streams = new Map<string, IngestStream>();
  private readonly deserializer?: AvroDeserializer;
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly cfg: IngestConfig,
  ) {
    for (const s of cfg.streams) this.streams.set(s.topic, s);
    const src = cfg.source;
    const kafka = new Kafka({
      clientId: `${ctx.config.kafka.clientId}-ingest`,
      brokers: src.brokers,
      ssl: src.ssl,
      sasl: src.sasl as never,
      logLevel: logLevel.WARN,
    });
    this.sourceKafka = kafka;
    this.consumer = kafka.consumer({ groupId: `${ctx.config.instance}-ingest`, sessionTimeout: ctx.config.bus.sessionTimeoutMs, maxWaitTimeInMs: 200 });
    if (src.registry) {
      const client = new SchemaRegistryClient({
        baseURLs: [src.registry.url],
        basicAuthCredentials: src.registry.username ? { credentialsSource: 'USER_INFO', userInfo: `${src.registry.username}:${src.registry.password ?? ''}` } : undefined,
      });
      this.deserializer = new AvroDeserializer(client, SerdeType.VALUE, { subjectNameStrategyType: SubjectNameStrategyType.TOPIC });
      this.keyDeserializer = new AvroDeserializer(client, SerdeType.KEY, { subjectNameStrategyType: SubjectNameStrategyType.TOPIC });
    }
  }

  private readonly keyDeserializer?: AvroDeserializer;

  /** Catalogue topics the streams write to; each must exist. */
  targets(): string[] {
    return [...this.streams.values()].map((s) => `cdc.${s.system}.${s.entity}`);
  }

  /** Source topics not there yet (health: degraded until they appear), or null once consuming. */
  private waitingFor: string[] | null = null;
  private consuming?: Promise<void>;

  /**
   * Starts consuming. Source topics that do not exist yet are named (with the cluster) in the log
   * and in health as `degraded`; the ingestor checks again every `sourcePollMs` and starts as soon
   * as all exist. A target missing from the catalogue is a configuration error and fails here.
   */
  async start(opts: { sourcePollMs?: number } = {}): Promise<void> {
    const missing = this.targets().filter((t) => !this.ctx.bus.catalogue.resolve(t));
    if (missing.length) throw new Error(`ingest targets missing from the topic catalogue (config/topics.yaml): ${missing.join(', ')}`);
    this.ctx.health.register('ingest-sources', async () =>
      this.waitingFor?.length ? { status: 'degraded', detail: `waiting for source topics on ${this.cfg.source.brokers.join(',')}: ${this.waitingFor.join(', ')}` } : { status: 'up' },
    );
    this.running = true;
    this.waitingFor = await this.missingSources();
    if (!this.waitingFor.length) return this.consume();
    this.ctx.logger.warn({ cluster: this.cfg.source.brokers, missing: this.waitingFor }, `source topics do not exist yet on ${this.cfg.source.brokers.join(',')}: ${this.waitingFor.join(', ')}; waiting for them (health: degraded)`);
    this.consuming = this.waitForSources(opts.sourcePollMs ?? 5000).catch((err: Error) => {
      this.ctx.logger.error({ err: err.message }, 'ingest could not start consuming');
      throw err;
    });
  }

  /** Resolves once the ingestor is consuming (immediately when the sources existed at start). */
  async started(): Promise<void> {
    await this.consuming;
  }

  private async waitForSources(pollMs: number): Promise<void> {
    while (this.running) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => (this.timers.delete(t), resolve()), pollMs);
        this.timers.add(t);
      });
      if (!this.running) return;
      const missing = await this.missingSources().catch((err: Error) => {
        this.ctx.logger.warn({ cluster: this.cfg.source.brokers, err: err.message }, 'source cluster unreachable; checking again');
        return this.waitingFor ?? [];
      });
      if (missing.join() !== (this.waitingFor ?? []).join()) this.ctx.logger.info({ missing }, 'source topics still missing');
      this.waitingFor = missing;
      if (!missing.length) {
        this.ctx.logger.info({ streams: [...this.streams.keys()] }, 'all source topics exist; ingest starts');
        return this.consume();
      }
    }
  }

  private async missingSources(): Promise<string[]> {
    const admin = this.sourceKafka.admin();
    await admin.connect();
    try {
      const have = new Set(await admin.listTopics());
      return [...this.streams.keys()].filter((t) => !have.has(t));
    } finally {
      await admin.disconnect();
    }
  }

  private async consume(): Promise<void> {
    this.waitingFor = null;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.streams.keys()], fromBeginning: true });
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: this.ctx.config.bus.partitionsConcurrency, eachBatch: (p) => this.eachBatch(p) });
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    await this.consuming?.catch(() => undefined);
    await this.consumer.disconnect();
  }

  private async eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets, heartbeat, pause, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const stream = this.streams.get(batch.topic)!;
    let done = 0;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      try {
        await this.handle(stream, batch.partition, message);
      } catch (err) {
        if (!(err instanceof Stall)) throw err;
        this.ctx.logger.warn({ topic: batch.topic, partition: batch.partition, err: err.message }, 'ingest paused; retrying');
        const resume = pause();
        const t = setTimeout(() => this.running && resume(), this.ctx.config.bus.retryBackoffMs * 4);
        this.timers.add(t);
        break;
      }
      resolveOffset(message.offset);
      done++;
      await heartbeat();
    }
    if (done) await commitOffsetsIfNecessary(uncommittedOffsets());
  }

  private async decode(stream: IngestStream, bytes: Buffer | null, key: boolean): Promise<unknown> {
    if (!bytes || bytes.length === 0) return null;
    if (stream.encoding === 'avro') {
      const d = key ? this.keyDeserializer : this.deserializer;
      if (!d) throw new UnreadableChange('Avro stream but no source registry is configured');
      try {
        return await d.deserialize(stream.topic, bytes);
      } catch (err) {
        const e = err as { isAxiosError?: boolean; response?: unknown; status?: number };
        if ((e.isAxiosError && !e.response) || (e.status ?? 0) >= 500) throw new Stall(`source registry unavailable: ${(err as Error).message}`);
        throw new UnreadableChange(`not Avro in the source registry's wire format: ${(err as Error).message}`);
      }
    }
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      if (key) return bytes.toString('utf8');
      throw new UnreadableChange('value is not JSON');
    }
  }

  private async handle(stream: IngestStream, partition: number, message: KafkaMessage): Promise<void> {
    const source = { system: stream.system, entity: stream.entity, keyFields: stream.keyFields };
    try {
      const key = await this.decode(stream, message.key, true);
      const value = await this.decode(stream, message.value, false);
      const normalized = stream.format === 'debezium' ? normalizeDebezium(key, value, source) : normalizeEstuary(key, value, source);
      if (normalized === TOMBSTONE) return;
      const { change } = normalized;
      await this.ctx.bus.producer.publish(
        `cdc.${stream.system}.${stream.entity}`,
        createEnvelope({ type: normalized.type, source: stream.system, key: normalized.key, occurredAt: change.sourceTs ?? undefined, payload: change }),
        { headers: { [HEADERS.originalTopic]: stream.topic, [HEADERS.originalPartition]: String(partition), [HEADERS.originalOffset]: message.offset } },
      );
    } catch (err) {
      if (!(err instanceof UnreadableChange)) {
        if ((err as { retriable?: boolean }).retriable) throw new Stall((err as Error).message);
        throw err;
      }
      await this.ctx.bus.producer.publishRaw(INGEST_DLQ, {
        key: message.key,
        value: message.value,
        headers: {
          [HEADERS.errorCode]: err.code,
          [HEADERS.errorMessage]: err.message,
          [HEADERS.errorKind]: 'decode',
          [HEADERS.originalTopic]: stream.topic,
          [HEADERS.originalPartition]: String(partition),
          [HEADERS.originalOffset]: message.offset,
          [HEADERS.failedAt]: String(Date.now()),
          'phoenix-ingest-format': `${stream.format}/${stream.encoding}`,
        },
      });
      this.ctx.metrics.deadLetters.inc({ app: 'ingest', topic: stream.topic, code: err.code });
      this.ctx.logger.warn({ topic: stream.topic, partition, offset: message.offset, err: err.message }, 'unreadable change document sent to ingest.dlq');
    }
  }
}
