import { BatchEventConsumer, ConsumedEvent } from '@phoenix/bus';
import { ChangeEvent, ChatMessage, createEnvelope, Envelope, globToRegExp, JsonValue, MemoryChange, render } from '@phoenix/contracts';
import { entityOf, MemoryFileConfig, MemoryNamespace, MemoryScope, MemoryStore, renderEvent } from '@phoenix/memory';
import { AppContext } from '@phoenix/runtime';
import { EntityDelete, OffsetRow, OutboxRow, RawEventRow, WarehouseDriver } from '@phoenix/warehouse';

export const MEMORY_CHANGES_TOPIC = 'memory.changes';

/** A memory change waiting in the warehouse outbox. */
type MemoryRequest = { eventId?: string } & (
  | { op: 'add'; topic: string; text: string; scope: MemoryScope; entity: string | null; namespace: MemoryNamespace; metadata: Record<string, JsonValue> }
  | { op: 'delete'; topic: string; entity: string; namespace: MemoryNamespace }
);

const any = (globs: string[] | undefined, value: string) => !globs || globs.some((g) => globToRegExp(g).test(value));

/**
 * Persists every event to the warehouse and the memory-worthy ones to Mem0, exactly once.
 *
 * Per chunk of events (in partition order): one warehouse transaction merges the rows on
 * event_id, soft-deletes entities deleted at the source, stores the next offset per partition
 * and queues memory changes in an outbox. Then the outbox is applied to Mem0 — idempotent by
 * event id — each change is published to `memory.changes` and marked done. Kafka offsets are
 * committed after that. On assignment the consumer seeks to the offsets stored with the data;
 * at start, outbox entries left by a crash are finished, asking Mem0 whether they already landed.
 * When either store is down the partition pauses with backoff (no loss, no busy loop).
 */
export class MemoryWriter {
  readonly consumer: BatchEventConsumer;
  readonly group: string;
  readonly producer: AppContext['bus']['producer'];
  private sweep?: NodeJS.Timeout;
  /** Next offset per topic:partition as stored with the data (loaded at start, kept current). */
  private readonly stored = new Map<string, bigint>();
  /** Recent assistant answers by responseId, so feedback memories say what was rated. */
  private readonly responses = new Map<string, string>();

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
  }

  /** Catalogue topics matching `topics.include` and not `topics.exclude` (never retry/DLQ copies). */
  topics(): string[] {
    const { include, exclude } = this.cfg.topics;
    return this.ctx.bus.catalogue
      .topics()
      .map((t) => t.name)
      .filter((name) => any(include, name) && !exclude.some((g) => globToRegExp(g).test(name)));
  }

  async start(): Promise<void> {
    await this.warehouse.init();
    for (const row of await this.warehouse.storedOffsets(this.group)) this.stored.set(`${row.topic}:${row.partition}`, BigInt(row.nextOffset));
    // Finish what a crash interrupted before new events arrive.
    await this.drainOutbox(true);
    this.sweep = setInterval(() => void this.drainOutbox(true).catch(() => undefined), 30000);
    this.ctx.health.register('warehouse', async () => {
      await this.warehouse.ping();
      return { status: 'up', detail: this.warehouse.kind };
    });
    this.ctx.health.register('memory-writer', async () => {
      const stall = this.consumer.stall;
      return stall ? { status: 'degraded', detail: `paused since ${new Date(stall.since).toISOString()}: ${stall.reason}` } : { status: 'up' };
    });
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweep);
    await this.consumer.stop();
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
    if (c.topic === 'interactions.chat') this.remember(event.payload as ChatMessage);
    const change = c.topic.startsWith('cdc.') ? (event.payload as ChangeEvent) : null;
    if (change?.op === 'delete') {
      const entity = entityOf(c.topic, event);
      return entity ? { op: 'delete', topic: c.topic, entity, namespace } : null;
    }
    const rule = this.cfg.memories.find((r) => any(r.match.topics, c.topic) && any(r.match.types, event.type));
    if (!rule || rule.skip) return null;
    const text = rule.text ? String(render(rule.text, event)) : renderEvent(c.topic, event, { ratedResponse: (id) => this.responses.get(id) });
    const scope: MemoryScope = {};
    for (const [k, tpl] of Object.entries(rule.scope ?? {})) {
      const v = render(tpl, event);
      if (v !== null && v !== undefined && v !== '') scope[k as keyof MemoryScope] = String(v);
    }
    return {
      op: 'add',
      topic: c.topic,
      text,
      scope,
      entity: entityOf(c.topic, event),
      namespace,
      metadata: { topic: c.topic, type: event.type, source: event.source, key: event.key, occurred_at: new Date(event.occurredAt).toISOString(), correlation_id: event.correlationId },
    };
  }

  private remember(m: ChatMessage): void {
    if (!m.responseId || m.role !== 'assistant') return;
    this.responses.set(m.responseId, m.text);
    if (this.responses.size > 10_000) this.responses.delete(this.responses.keys().next().value!);
  }

  private async write(events: ConsumedEvent[]): Promise<void> {
    const rows: RawEventRow[] = [];
    const deletes: EntityDelete[] = [];
    const outbox: OutboxRow[] = [];
    const next = new Map<string, OffsetRow>();
    const seen = new Set<string>();
    // Answers first, so feedback in the same batch can name the answer it rates.
    for (const c of events) if (c.topic === 'interactions.chat') this.remember(c.event.payload as ChatMessage);
    for (const c of events) {
      const e = c.event;
      // A producer retry can deliver an event twice; one row, one memory.
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      rows.push({ eventId: e.id, topic: c.topic, partition: c.partition, offset: c.offset, type: e.type, source: e.source, key: e.key, occurredAt: e.occurredAt, ingestedAt: e.ingestedAt, correlationId: e.correlationId, causationId: e.causationId, payload: e.payload as JsonValue });
      const req = this.memoryRequest(c);
      // Shadow (replayed) memories are separate changes from the live ones of the same event.
      if (req) outbox.push({ eventId: req.namespace === 'live' ? e.id : `${req.namespace}:${e.id}`, op: req.op, request: { ...req, eventId: e.id } as unknown as JsonValue });
      if (req?.op === 'delete' && e.key) deletes.push({ topic: c.topic, key: e.key, deletedAt: e.occurredAt });
      next.set(`${c.topic}:${c.partition}`, { consumer: this.group, topic: c.topic, partition: c.partition, nextOffset: (BigInt(c.offset) + 1n).toString() });
    }
    await this.warehouse.writeBatch({ rows, deletes, outbox, offsets: [...next.values()] });
    for (const o of next.values()) this.stored.set(`${o.topic}:${o.partition}`, BigInt(o.nextOffset));
    this.ctx.metrics.sinkBatch.observe({ app: 'memory-writer', sink: 'warehouse' }, rows.length);
    if (outbox.length) {
      await this.apply(outbox, false);
      this.ctx.metrics.sinkBatch.observe({ app: 'memory-writer', sink: 'memory' }, outbox.length);
    }
  }

  /** Applies outbox entries to Mem0, publishes the changes, marks them done. */
  private async apply(entries: OutboxRow[], mayExist: boolean): Promise<void> {
    const changes: Envelope<MemoryChange>[] = [];
    const applyOne = async (entry: OutboxRow) => {
      const req = entry.request as unknown as MemoryRequest;
      const eventId = req.eventId ?? entry.eventId;
      const result =
        req.op === 'add'
          ? await this.memory.add({ eventId, text: req.text, scope: req.scope, metadata: req.metadata, entity: req.entity, namespace: req.namespace }, { mayExist })
          : await this.memory.deleteEntity(req.entity, req.namespace, eventId);
      if (!result.applied) return;
      for (const memoryId of result.memoryIds) {
        this.ctx.metrics.memoryChanges.inc({ app: 'memory-writer', op: req.op, namespace: req.namespace });
        const scope = req.op === 'add' ? req.scope : {};
        changes.push(
          createEnvelope<MemoryChange>({
            type: `memory.${req.op === 'add' ? 'added' : 'deleted'}`,
            source: 'memory-writer',
            key: memoryId,
            causationId: eventId,
            payload: { memoryId, eventId, sourceTopic: req.topic, op: req.op, text: req.op === 'add' ? req.text : null, entity: req.entity, userId: scope.userId ?? null, agentId: scope.agentId ?? null, runId: scope.runId ?? null, namespace: req.namespace },
          }),
        );
      }
    };
    // Adds run concurrently (the embedder batches them); a delete waits for the adds before it,
    // so an entity created and deleted in one chunk ends up deleted.
    let adds: Promise<void>[] = [];
    for (const entry of entries) {
      if ((entry.request as unknown as MemoryRequest).op === 'add') {
        adds.push(applyOne(entry));
      } else {
        await Promise.all(adds);
        adds = [];
        await applyOne(entry);
      }
    }
    await Promise.all(adds);
    await Promise.all(changes.map((c) => this.ctx.bus.producer.publish(MEMORY_CHANGES_TOPIC, c)));
    await this.warehouse.markOutboxDone(entries.map((e) => e.eventId));
  }

  /** Applies pending outbox entries (after a crash, or left by a stalled batch). */
  async drainOutbox(mayExist: boolean): Promise<number> {
    let total = 0;
    for (;;) {
      const pending = await this.warehouse.pendingOutbox(200);
      if (pending.length === 0) return total;
      await this.apply(pending, mayExist);
      total += pending.length;
      if (pending.length < 200) return total;
    }
  }
}
