import { BatchEventConsumer, ConsumedEvent, TopicWatcher } from '@phoenix/bus';
import { ChangeEvent, ChatMessage, globToRegExp, JsonValue, MemoryRequest as ForgetRequest, TOPICS } from '@phoenix/contracts';
import { entityOf, MemoryFileConfig, MemoryNamespace, MemoryStore } from '@phoenix/memory';
import { AppContext } from '@phoenix/runtime';
import { EntityDelete, OffsetRow, OutboxRow, RawEventRow, WarehouseDriver } from '@phoenix/warehouse';
import { MemoryOutboxApplier, MemoryRequest } from './memory-outbox.applier';
import { addRequestFor } from './memory-request';
import { ResponseIndex } from './response-index';

import { MEMORY_REQUESTS_TOPIC } from './memory-writer.constants';

export { MEMORY_CHANGES_TOPIC, MEMORY_REQUESTS_TOPIC } from './memory-writer.constants';

/** A warehouse timestamp (epoch ms, ISO text, or "YYYY-MM-DD hh:mm:ss[.fff]" in UTC) as epoch ms. */
export function epochMs(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (v instanceof Date) return v.getTime();
  if (typeof v !== 'string' || !v) return null;
  const iso = v.includes('T') ? v : v.replace(' ', 'T');
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(t) ? null : t;
}

const any = (globs: string[] | undefined, value: string) => !globs || globs.some((g) => globToRegExp(g).test(value));

/**
 * Persists every event to the warehouse and the memory-worthy ones to Mem0, exactly once.
 *
 * Per chunk of events (in partition order): one warehouse transaction merges the rows on
 * event_id, soft-deletes entities deleted at the source, stores the next offset per partition
 * and queues memory changes in an outbox; then the Kafka offsets are committed. The outbox is
 * applied to Mem0 apart from the sink by {@link MemoryOutboxApplier} (memory may lag, visibly,
 * but never holds the warehouse back), under memory ids derived from event ids, and each change
 * is published to `memory.changes`. On assignment the consumer seeks to the offsets stored with
 * the data. When the warehouse is down the partition pauses with backoff (no loss, no busy
 * loop); when the memory store is down the outbox waits.
 */
export class MemoryWriter {
  readonly consumer: BatchEventConsumer;
  readonly group: string;
  readonly producer: AppContext['bus']['producer'];
  readonly applier: MemoryOutboxApplier;
  /** Next offset per topic:partition as stored with the data (loaded at start, kept current). */
  private readonly stored = new Map<string, bigint>();
  /** Recent answers and their questions, so feedback memories say what was rated. */
  private readonly responses = new ResponseIndex();
  /** Forgotten entities: none of their events ingested up to this time becomes memory again. */
  private readonly forgotten = new Map<string, number>();

  constructor(
    private readonly ctx: AppContext,
    readonly warehouse: WarehouseDriver,
    readonly memory: MemoryStore,
    private readonly cfg: MemoryFileConfig,
  ) {
    this.group = `${ctx.config.instance}-memory-writer`;
    this.producer = ctx.bus.producer;
    this.consumer = new BatchEventConsumer(ctx.bus.kafka, ctx.bus.codec, ctx.bus.producer, ctx.config.bus, ctx.logger, ctx.metrics, 'memory-writer', {
      groupId: this.group,
      topics: this.topics(),
      maxBatch: ctx.config.memoryWriter.batch,
      maxWaitMs: ctx.config.memoryWriter.waitMs,
      minBytes: 64 * 1024,
      handle: (events) => this.write(events),
      onAssignment: (a) => this.seekToStored(a),
    });
    this.applier = new MemoryOutboxApplier(ctx, warehouse, memory, { batch: 256, idleMs: 1000, maxBackoffMs: ctx.config.bus.retryBackoffMaxMs, maxBacklog: 10 * ctx.config.memoryWriter.batch });
    this.watcher = new TopicWatcher(this.ctx.bus.kafka, this.ctx.bus.catalogue, this.ctx.logger, {
      intervalMs: this.ctx.config.bus.topicRefreshMs,
      accepts: (t) => this.keeps(t),
      known: () => this.consumer.topics,
      onNew: async (fresh) => {
        await this.ctx.bus.codec.prepare(fresh);
        await this.consumer.addTopics(fresh);
      },
    });
  }

  /** Catalogue topics matching `topics.include` and not `topics.exclude` (never retry/DLQ copies), and always its requests. */
  topics(): string[] {
    return this.ctx.bus.catalogue
      .topics()
      .map((t) => t.name)
      .filter((name) => this.keeps(name));
  }

  private keeps(name: string): boolean {
    if (name === MEMORY_REQUESTS_TOPIC) return true;
    const { include, exclude } = this.cfg.topics;
    return any(include, name) && !exclude.some((g) => globToRegExp(g).test(name));
  }

  /** Topics created while running that `memory.yaml` keeps are consumed within one refresh. */
  private readonly watcher: TopicWatcher;

  async start(): Promise<void> {
    await this.warehouse.init();
    await this.loadForgotten();
    for (const row of await this.warehouse.storedOffsets(this.group)) this.stored.set(`${row.topic}:${row.partition}`, BigInt(row.nextOffset));
    this.ctx.health.register('warehouse', async () => {
      await this.warehouse.ping();
      return { status: 'up', detail: this.warehouse.kind };
    });
    this.ctx.health.register('memory-writer', async () => this.consumer.health());
    this.ctx.health.register('memory-outbox', async () => this.applier.health());
    this.applier.start();
    await this.consumer.start();
    this.watcher.start();
  }

  /** The forget requests already stored (RAW_EVENTS keeps every event, these too), so a restart forgets the same. */
  private async loadForgotten(): Promise<void> {
    const r = await this.warehouse.query(`SELECT key, ingested_at FROM RAW_EVENTS WHERE topic = '${MEMORY_REQUESTS_TOPIC}' AND key IS NOT NULL`);
    for (const row of r.rows) {
      const entity = String(row.key ?? row.KEY);
      const at = epochMs(row.ingested_at ?? row.INGESTED_AT);
      if (at !== null && at > (this.forgotten.get(entity) ?? -1)) this.forgotten.set(entity, at);
    }
  }

  async stop(): Promise<void> {
    await this.watcher.stop();
    await this.consumer.stop();
    await this.applier.stop();
    await this.memory.close();
    await this.warehouse.close();
  }

  /**
   * Seeks each newly assigned partition to the offset stored with the data. The seek must happen
   * before the first fetch, so it uses the offsets loaded at start (kept current by our own
   * writes), then re-reads the warehouse in case another pod got further (a moved partition).
   */
  private seekToStored(assignment: Record<string, number[]>): Promise<void> {
    const seekTo = (topic: string, partition: number, offset: bigint) => this.consumer.seek(topic, partition, offset.toString());
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) {
        const offset = this.stored.get(`${topic}:${p}`);
        if (offset !== undefined) seekTo(topic, p, offset);
      }
    }
    return this.warehouse.storedOffsets(this.group).then((rows) => {
      for (const row of rows) {
        const key = `${row.topic}:${row.partition}`;
        const offset = BigInt(row.nextOffset);
        if (assignment[row.topic]?.includes(row.partition) && offset > (this.stored.get(key) ?? -1n)) {
          this.stored.set(key, offset);
          seekTo(row.topic, row.partition, offset);
        }
      }
    });
  }

  /** The memory change an event asks for, if any (first matching rule; CDC deletes delete). */
  memoryRequest(c: ConsumedEvent): MemoryRequest | null {
    const namespace: MemoryNamespace = c.replay ? 'shadow' : 'live';
    const event = c.event;
    if (c.topic === MEMORY_REQUESTS_TOPIC) {
      const f = event.payload as ForgetRequest;
      return { op: 'delete', topic: f.topic, entity: entityOf(f.topic, { ...event, key: f.key })!, namespace: 'live' };
    }
    // Ingested before the entity was forgotten (it was still on its way): not remembered.
    if (event.key && this.isForgotten(c.topic, event)) return null;
    const change = c.topic.startsWith('cdc.') ? (event.payload as ChangeEvent) : null;
    if (change?.op === 'delete') {
      const entity = entityOf(c.topic, event);
      return entity ? { op: 'delete', topic: c.topic, entity, namespace } : null;
    }
    return addRequestFor(this.cfg, c, this.responses);
  }

  private isForgotten(topic: string, e: ConsumedEvent['event']): boolean {
    const at = this.forgotten.get(`${topic}/${e.key}`);
    return at !== undefined && e.ingestedAt <= at;
  }

  private async write(events: ConsumedEvent[]): Promise<void> {
    const rows: RawEventRow[] = [];
    const deletes: EntityDelete[] = [];
    const outbox: OutboxRow[] = [];
    const next = new Map<string, OffsetRow>();
    const seen = new Set<string>();
    // Answers first, so feedback in the same batch can name the answer it rates.
    for (const c of events) if (c.topic === TOPICS.interactionsChat) this.responses.note(c.event.payload as ChatMessage);
    for (const c of events) {
      const e = c.event;
      // A producer retry can deliver an event twice; one row, one memory.
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      rows.push({ eventId: e.id, topic: c.topic, partition: c.partition, offset: c.offset, type: e.type, source: e.source, key: e.key, occurredAt: e.occurredAt, ingestedAt: e.ingestedAt, correlationId: e.correlationId, causationId: e.causationId, payload: e.payload as JsonValue, tenant: e.tenant ?? null });
      const req = this.memoryRequest(c);
      // Shadow (replayed) memories are separate changes from the live ones of the same event.
      if (req) outbox.push({ eventId: req.namespace === 'live' ? e.id : `${req.namespace}:${e.id}`, op: req.op, request: { ...req, eventId: e.id } as unknown as JsonValue });
      if (c.topic === MEMORY_REQUESTS_TOPIC) {
        const f = e.payload as ForgetRequest;
        deletes.push({ topic: f.topic, key: f.key, deletedAt: e.ingestedAt });
        this.forgotten.set(`${f.topic}/${f.key}`, Math.max(e.ingestedAt, this.forgotten.get(`${f.topic}/${f.key}`) ?? -1));
      } else if (req?.op === 'delete' && e.key) deletes.push({ topic: c.topic, key: e.key, deletedAt: e.occurredAt });
      // Sent before its entity was forgotten, arrived after: its own row is stored soft-deleted.
      else if (e.key && this.isForgotten(c.topic, e)) deletes.push({ topic: c.topic, key: e.key, deletedAt: this.forgotten.get(`${c.topic}/${e.key}`)!, eventId: e.id });
      next.set(`${c.topic}:${c.partition}`, { consumer: this.group, topic: c.topic, partition: c.partition, nextOffset: (BigInt(c.offset) + 1n).toString() });
    }
    await this.warehouse.writeBatch({ rows, deletes, outbox, offsets: [...next.values()] });
    for (const o of next.values()) this.stored.set(`${o.topic}:${o.partition}`, BigInt(o.nextOffset));
    this.ctx.metrics.sinkBatch.observe({ app: 'memory-writer', sink: 'warehouse' }, rows.length);
    if (outbox.length) this.applier.notify();
  }

  /** Applies pending outbox entries now (specs, tools); the applier does this continuously. */
  drainOutbox(): Promise<number> {
    return this.applier.drain();
  }
}
