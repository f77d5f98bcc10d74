import { Consumer, Kafka } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';
import { BusRuntime, deleteEmptyGroups, deleteOwnGroup } from '@phoenix/bus';
import { Envelope } from '@phoenix/contracts';
import { LineageIndex, LineageNode } from './lineage-index';
import { DeadLetterStore, textHeaders } from './dead-letters';

/** One event as the console shows it: the envelope, where it sits, and its Kafka headers. */
export interface FeedEvent {
  topic: string;
  partition: number;
  offset: string;
  timestamp: number;
  headers: Record<string, string>;
  event: Envelope<unknown>;
}

export interface ConsoleFeedOptions {
  /** Events per partition read back at start, so lineage and tail have history (default 2,000). */
  lookbackPerPartition: number;
  /** Events the lineage index holds (default 50,000). */
  maxEntries: number;
  /** Recent events kept per topic for a JSON tail (default 200). */
  recentPerTopic: number;
  /** Topics the feed leaves out (internal bookkeeping). */
  exclude: string[];
}

const DEFAULTS: ConsoleFeedOptions = { lookbackPerPartition: 2000, maxEntries: 50_000, recentPerTopic: 200, exclude: ['gateway.claims'] };
// A read view like the others (`phoenix-view-*`): throw-away, deleted at stop.
const GROUP_PREFIX = 'phoenix-view-console-';
const PREVIEW_CHARS = 400;

type Listener = (e: FeedEvent) => void;

/**
 * The console's one reader of the bus: a consumer in its own throw-away group over every topic of
 * the catalogue, from a short look-back. Each event is decoded through the registry once and goes
 * to the lineage index, the per-topic recent ring and every live-tail subscriber of its topic.
 * Each gateway replica has its own (the console is read-only; no replica needs another's state).
 */
export class ConsoleFeed {
  readonly lineage: LineageIndex;
  readonly deadLetters = new DeadLetterStore();
  private readonly o: ConsoleFeedOptions;
  private readonly recent = new Map<string, FeedEvent[]>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly counts = new Map<string, number>();
  private consumer?: Consumer;
  private groupId?: string;
  private topics: string[] = [];
  private undecodable = 0;

  constructor(
    private readonly bus: BusRuntime,
    options: Partial<ConsoleFeedOptions> = {},
  ) {
    this.o = { ...DEFAULTS, ...options };
    this.lineage = new LineageIndex(this.o.maxEntries);
  }

  private get kafka(): Kafka {
    return this.bus.kafka;
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    this.topics = this.bus.catalogue
      .allTopics()
      .map((t) => t.name)
      .filter((t) => existing.has(t) && !this.o.exclude.includes(t));
    const starts: { topic: string; partition: number; offset: string }[] = [];
    for (const topic of this.topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const from = BigInt(p.high) - BigInt(this.o.lookbackPerPartition);
        starts.push({ topic, partition: p.partition, offset: String(from > BigInt(p.low) ? from : BigInt(p.low)) });
      }
    }
    await deleteEmptyGroups(admin, GROUP_PREFIX).catch(() => undefined);
    await admin.disconnect();

    this.groupId = `${GROUP_PREFIX}${uuidv4()}`;
    this.consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100, sessionTimeout: 6000, rebalanceTimeout: 6000, heartbeatInterval: 1000 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: false });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 2,
      eachMessage: async ({ topic, partition, message }) => {
        if (!message.value || message.value.length === 0) return; // a tombstone
        const event = await this.bus.codec.decode<unknown>(topic, message.value).catch(() => null);
        if (topic.endsWith('.dlq')) this.deadLetters.add(topic, partition, message, event);
        if (!event) {
          this.undecodable++;
          return;
        }
        const headers = textHeaders(message.headers);
        this.deadLetters.noteRedrive(headers, { topic, partition, offset: message.offset, eventId: event.id, at: Number(message.timestamp) });
        this.accept({ topic, partition, offset: message.offset, timestamp: Number(message.timestamp), headers, event });
      },
    });
    for (const s of starts) this.consumer.seek(s);
  }

  /** Starts without holding up its caller; a failed start (no broker yet) is tried again every 5 s. */
  startInBackground(): void {
    const attempt = () => {
      if (this.stopped) return;
      this.start().catch((err: Error) => {
        this.bus.logger.warn({ err: err.message }, 'console feed could not start; trying again in 5 s');
        void this.consumer?.disconnect().catch(() => undefined);
        this.retry = setTimeout(attempt, 5000);
      });
    };
    attempt();
  }

  private stopped = false;
  private retry?: NodeJS.Timeout;

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.consumer?.disconnect().catch(() => undefined);
    if (this.groupId) await deleteOwnGroup(this.kafka, this.groupId, this.bus.logger);
  }

  /** The bus's shared admin client (offsets for the console's answers). */
  admin(): ReturnType<BusRuntime['admin']['raw']> {
    return this.bus.admin.raw();
  }

  /** Topics the feed reads. */
  readTopics(): string[] {
    return [...this.topics];
  }

  recentOf(topic: string): FeedEvent[] {
    return [...(this.recent.get(topic) ?? [])];
  }

  /** Events read per topic since start, and per second over the last minute (oldest first). */
  stats(): { topic: string; read: number; perSecond: number[] }[] {
    const now = Math.floor(Date.now() / 1000);
    return this.topics.map((topic) => ({ topic, read: this.counts.get(topic) ?? 0, perSecond: this.window(topic, now) }));
  }

  get undecodableCount(): number {
    return this.undecodable;
  }

  /** Calls `listener` for every event read on `topic` from now; returns the unsubscribe. */
  subscribe(topic: string, listener: Listener): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  /** Feeds one decoded event (the consumer's path; specs of the console's logic call it directly). */
  accept(e: FeedEvent): void {
    this.lineage.add(toNode(e));
    let ring = this.recent.get(e.topic);
    if (!ring) this.recent.set(e.topic, (ring = []));
    ring.push(e);
    if (ring.length > this.o.recentPerTopic) ring.shift();
    this.counts.set(e.topic, (this.counts.get(e.topic) ?? 0) + 1);
    this.tick(e.topic);
    for (const l of this.listeners.get(e.topic) ?? []) l(e);
  }

  // Per-topic counts in one-second buckets: [epochSecond, count] pairs, the last 60 kept.
  private readonly buckets = new Map<string, Map<number, number>>();

  private tick(topic: string): void {
    const sec = Math.floor(Date.now() / 1000);
    let b = this.buckets.get(topic);
    if (!b) this.buckets.set(topic, (b = new Map()));
    b.set(sec, (b.get(sec) ?? 0) + 1);
    if (b.size > 61) for (const k of b.keys()) if (k < sec - 60) b.delete(k);
  }

  private window(topic: string, now: number): number[] {
    const b = this.buckets.get(topic);
    const out: number[] = [];
    for (let s = now - 59; s <= now; s++) out.push(b?.get(s) ?? 0);
    return out;
  }
}

function toNode(e: FeedEvent): LineageNode {
  const ev = e.event;
  const payload = typeof ev.payload === 'string' ? ev.payload : JSON.stringify(ev.payload ?? null);
  return {
    id: ev.id,
    type: ev.type,
    source: ev.source,
    topic: e.topic,
    partition: e.partition,
    offset: e.offset,
    key: ev.key ?? null,
    occurredAt: Number(ev.occurredAt),
    ingestedAt: Number(ev.ingestedAt),
    correlationId: ev.correlationId ?? null,
    causationId: ev.causationId ?? null,
    tenant: ev.tenant ?? null,
    preview: payload.length > PREVIEW_CHARS ? `${payload.slice(0, PREVIEW_CHARS)}…` : payload,
  };
}
