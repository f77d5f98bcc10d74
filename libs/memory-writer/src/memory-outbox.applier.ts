import { z } from 'zod';
import { createEnvelope, Envelope, JsonValue, MemoryChange } from '@phoenix/contracts';
import { AddMemoryRequest, MemoryNamespace, MemoryScope, MemoryStore } from '@phoenix/memory';
import { HealthStatus } from '@phoenix/observability';
import { AppContext } from '@phoenix/runtime';
import { OutboxRow, WarehouseDriver } from '@phoenix/warehouse';
import { MEMORY_CHANGES_TOPIC } from './memory-writer.constants';
import { Backoff } from '@phoenix/concurrency';

/** A memory change waiting in the warehouse outbox. */
export type MemoryRequest = { eventId?: string } & (
  | { op: 'add'; topic: string; text: string; scope: MemoryScope; entity: string | null; namespace: MemoryNamespace; metadata: Record<string, JsonValue> }
  | { op: 'delete'; topic: string; entity: string; namespace: MemoryNamespace }
);

const scopeSchema = z.object({ userId: z.string().optional(), agentId: z.string().optional(), runId: z.string().optional() });
/** An outbox entry's request as read back from the warehouse: checked before it is applied. */
export const memoryRequestSchema = z.discriminatedUnion('op', [
  z.object({ eventId: z.string().optional(), op: z.literal('add'), topic: z.string(), text: z.string(), scope: scopeSchema, entity: z.string().nullable(), namespace: z.string().min(1), metadata: z.record(z.string(), z.json()) }),
  z.object({ eventId: z.string().optional(), op: z.literal('delete'), topic: z.string(), entity: z.string().min(1), namespace: z.string().min(1) }),
]);

/**
 * Applies the warehouse's memory outbox to the memory store, apart from the warehouse sink: the
 * sink commits as soon as rows and outbox entries are durable, and memory follows at its own
 * pace (visible as `phoenix_memory_outbox_pending` and in health), so a slow or unavailable
 * memory store never holds the warehouse back or pushes the consumer out of its group.
 *
 * One loop per process applies entries in the order they were written; adds between two deletes
 * share one embedding run. Memory ids are derived from event ids, so an entry applied twice
 * (a crash before `markOutboxDone`, two writers sharing a networked store) is one memory.
 */
export class MemoryOutboxApplier {
  private running = false;
  /** Set by stop(): a drain ends after the batch in hand (the rest waits for the next start). */
  private stopping = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private stalled: { since: number; reason: string } | null = null;
  private readonly backoff: Backoff;
  private pending = 0;
  /** Entries applied since start (for specs and logs). */
  applied = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly warehouse: WarehouseDriver,
    private readonly memory: MemoryStore,
    private readonly opts: { batch: number; idleMs: number; maxBackoffMs: number; maxBacklog: number },
  ) {
    this.backoff = new Backoff(250, opts.maxBackoffMs);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Something was written to the outbox: apply it now instead of at the next idle poll. */
  notify(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  health(): HealthStatus {
    if (this.stalled) return { status: 'degraded', detail: `memory writes paused since ${new Date(this.stalled.since).toISOString()}: ${this.stalled.reason}; ${this.pending} pending` };
    if (this.pending > this.opts.maxBacklog) return { status: 'degraded', detail: `memory is behind the warehouse by ${this.pending} change(s)` };
    return { status: 'up', detail: `${this.pending} pending` };
  }

  /** Applies everything pending now (at start, and from specs); returns how many were applied. */
  async drain(): Promise<number> {
    let total = 0;
    while (!this.stopping) {
      const entries = await this.warehouse.pendingOutbox(this.opts.batch);
      if (entries.length === 0) return total;
      await this.apply(entries);
      total += entries.length;
      // A long drain keeps the gauge and health current (the sink adds entries meanwhile), instead
      // of showing the figure it started from.
      await this.refreshPending();
      if (entries.length < this.opts.batch) return total;
    }
    return total;
  }

  private async refreshPending(): Promise<void> {
    this.pending = await this.warehouse.outboxBacklog();
    this.ctx.metrics.memoryOutboxPending.set({ app: 'memory-writer' }, this.pending);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let idle = false;
      try {
        await this.refreshPending();
        const n = await this.drain();
        idle = n === 0;
        this.stalled = null;
        this.backoff.reset();
      } catch (err) {
        const backoffMs = this.backoff.next();
        this.stalled ??= { since: Date.now(), reason: (err as Error).message };
        this.ctx.logger.warn({ err: (err as Error).message, backoffMs }, 'memory store unavailable; outbox waits');
      }
      if (!this.running) break;
      const wait = this.backoff.last || (idle ? this.opts.idleMs : 0);
      if (wait > 0) {
        const backingOff = this.backoff.last > 0;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.wake = () => {
            // While backing off, new writes do not cut the wait short; stopping does.
            if (backingOff && this.running) return;
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /** Applies outbox entries in order, publishes the changes, marks them done. */
  private async apply(entries: OutboxRow[]): Promise<void> {
    const changes: Envelope<MemoryChange>[] = [];
    const changed = (req: MemoryRequest, eventId: string, memoryIds: string[]) => {
      for (const memoryId of memoryIds) {
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
    // Adds up to the next delete go together; a delete waits for them, so an entity created and
    // deleted in one chunk ends up deleted.
    let adds: { req: Extract<MemoryRequest, { op: 'add' }>; eventId: string }[] = [];
    const flushAdds = async () => {
      if (!adds.length) return;
      const batch = adds;
      adds = [];
      const reqs: AddMemoryRequest[] = batch.map(({ req, eventId }) => ({ eventId, text: req.text, scope: req.scope, metadata: req.metadata, entity: req.entity, namespace: req.namespace }));
      const results = await this.memory.addMany(reqs);
      // Already applied (the ledger has it) while its entry is still pending: an earlier run died
      // between the write and the announcement, so the change is announced (again) now —
      // memory.changes is at least once, keyed by memory id.
      results.forEach((r, i) => changed(batch[i].req, batch[i].eventId, r.memoryIds));
    };
    for (const entry of entries) {
      const parsed = memoryRequestSchema.safeParse(entry.request);
      if (!parsed.success) {
        // A damaged entry can never be applied; applying the rest must not wait on it.
        const why = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        this.ctx.logger.error({ eventId: entry.eventId, problems: why }, 'memory outbox entry is not a valid memory request; marked done without applying');
        this.ctx.metrics.deadLetters.inc({ app: 'memory-writer', topic: 'MEMORY_OUTBOX', code: 'OUTBOX_ENTRY_INVALID' });
        continue;
      }
      const req = parsed.data as MemoryRequest;
      const eventId = req.eventId ?? entry.eventId;
      if (req.op === 'add') {
        adds.push({ req, eventId });
        continue;
      }
      await flushAdds();
      const r = await this.memory.deleteEntity(req.entity, req.namespace, eventId);
      changed(req, eventId, r.memoryIds);
    }
    await flushAdds();
    await Promise.all(changes.map((c) => this.ctx.bus.producer.publish(MEMORY_CHANGES_TOPIC, c)));
    await this.warehouse.markOutboxDone(entries.map((e) => e.eventId));
    this.applied += entries.length;
    this.ctx.metrics.sinkBatch.observe({ app: 'memory-writer', sink: 'memory' }, entries.length);
  }
}
