import { createHash } from 'node:crypto';
import { Envelope } from '@phoenix/contracts';
import { EventPublisher, KeyedView } from './bus.interfaces';
import type { PublishOptions, PublishReceipt } from './event-producer';

/** One event as the in-memory bus stored it. */
export interface InMemoryRecord<P = unknown> {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  event: Envelope<P>;
  headers: Record<string, string>;
}

/**
 * The bus in memory, for unit specs of engines (the supervisor, the router's planning, the
 * replay's arithmetic …): `publish` appends to a per-topic log at once, views are the latest
 * event per key of a topic, and a spec reads what was published or waits for it. No broker, no
 * registry, no I/O — so it says nothing about Kafka: integration specs keep the real broker.
 * (Twenty ships an in-process queue driver next to its real ones for the same reason.)
 */
export class InMemoryBus implements EventPublisher {
  private readonly logs = new Map<string, InMemoryRecord[]>();
  private readonly views = new Map<string, InMemoryView<unknown>>();
  private readonly waiters: { topic: string; match: (r: InMemoryRecord) => boolean; resolve: (r: InMemoryRecord) => void }[] = [];
  /** Makes the next publishes fail (an unavailable broker), until cleared. */
  failWith: Error | null = null;

  constructor(private readonly partitions = 6) {}

  async publish<P>(topic: string, event: Envelope<P>, opts: PublishOptions = {}): Promise<PublishReceipt> {
    if (this.failWith) throw this.failWith;
    const log = this.logs.get(topic) ?? [];
    this.logs.set(topic, log);
    const partition = event.key === null || event.key === undefined ? 0 : this.partitionOf(event.key);
    const record: InMemoryRecord = { topic, partition, offset: log.length, key: event.key ?? null, event: event as Envelope<unknown>, headers: { ...opts.headers } };
    log.push(record);
    this.views.get(topic)?.apply(record);
    for (const w of [...this.waiters]) {
      if (w.topic === topic && w.match(record)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(record);
      }
    }
    return { topic, partition, offset: String(record.offset) };
  }

  async partitionFor(_topic: string, key: string): Promise<number> {
    return this.partitionOf(key);
  }

  /** Everything published to a topic, in order. */
  published<P = unknown>(topic: string): InMemoryRecord<P>[] {
    return (this.logs.get(topic) ?? []) as InMemoryRecord<P>[];
  }

  /** The first record on `topic` that matches (already there, or when it arrives). */
  next<P = unknown>(topic: string, match: (r: InMemoryRecord<P>) => boolean = () => true): Promise<InMemoryRecord<P>> {
    const seen = this.published<P>(topic).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ topic, match: match as (r: InMemoryRecord) => boolean, resolve: resolve as (r: InMemoryRecord) => void }));
  }

  /** The latest event per key of `topic`, kept up to date as events are published. */
  view<P>(topic: string): KeyedView<P> {
    let v = this.views.get(topic);
    if (!v) {
      v = new InMemoryView<unknown>(topic);
      for (const r of this.published(topic)) v.apply(r);
      this.views.set(topic, v);
    }
    return v as KeyedView<P>;
  }

  /** Stable key → partition (not Kafka's murmur2: specs only need the same key on the same partition). */
  private partitionOf(key: string): number {
    return createHash('md5').update(key).digest().readUInt32BE(0) % this.partitions;
  }
}

class InMemoryView<P> implements KeyedView<P> {
  private readonly entries = new Map<string, Envelope<P>>();
  private readonly listeners: ((key: string, event: Envelope<P> | null) => void)[] = [];

  constructor(readonly topic: string) {}

  apply(r: InMemoryRecord): void {
    if (r.key === null) return;
    this.entries.set(r.key, r.event as Envelope<P>);
    for (const l of this.listeners) l(r.key, r.event as Envelope<P>);
  }

  get(key: string): Envelope<P> | undefined {
    return this.entries.get(key);
  }

  values(): Envelope<P>[] {
    return [...this.entries.values()];
  }

  onChange(listener: (key: string, event: Envelope<P> | null) => void): void {
    this.listeners.push(listener);
  }
}
