import { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';
import { BusRuntime, deleteEmptyGroups, deleteOwnGroup, HEADERS, headerString } from '@phoenix/bus';
import { Envelope, TOPICS } from '@phoenix/contracts';
import { LineageIndex, LineageNode } from './lineage-index';
import { DeadLetterStore, REDRIVE_HEADER, textHeaders } from './dead-letters';

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
  /** Stops after this long without a {@link ConsoleFeed.touch} (default 10 minutes). */
  idleMs: number;
  /** False: never starts (CONSOLE_FEED=false). */
  enabled: boolean;
}

const DEFAULTS: ConsoleFeedOptions = { lookbackPerPartition: 2000, maxEntries: 50_000, recentPerTopic: 200, exclude: [TOPICS.gatewayClaims], idleMs: 600_000, enabled: true };
// A read view like the others (`phoenix-view-*`): throw-away, deleted at stop.
const GROUP_PREFIX = 'phoenix-view-console-';
const PREVIEW_CHARS = 400;

/** What a live tail asks for; every field is matched against the Kafka headers, before decoding. */
export interface TailFilter {
  /** An event type, or a prefix ending in `*`. */
  type?: string;
  key?: string;
  source?: string;
}

/** The fields of an event a tail filter looks at. */
interface TailFields {
  type: string;
  key: string | null;
  source: string;
}

export const tailMatches = (f: TailFilter, e: TailFields): boolean =>
  (!f.type || e.type === f.type || (f.type.endsWith('*') && e.type.startsWith(f.type.slice(0, -1)))) && (!f.key || e.key === f.key) && (!f.source || e.source === f.source);

/**
 * One live tail. An event that matches its filter while it `wants()` no more (its reader is slower
 * than the topic) is counted through `skip()` and never decoded: under load the feed decodes only
 * what some tail will send, so a fast topic costs the gateway its reading, not its decoding.
 */
export interface TailSubscriber {
  filter: TailFilter;
  wants(): boolean;
  deliver(e: FeedEvent): void;
  skip(): void;
}

/** An event as read, decoded only when asked for (a JSON tail); `decoded` caches it. */
interface RawEntry {
  topic: string;
  partition: number;
  message: KafkaMessage;
  decoded?: FeedEvent | null;
}

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
  private readonly recent = new Map<string, RawEntry[]>();
  private readonly listeners = new Map<string, Set<TailSubscriber>>();
  private readonly counts = new Map<string, number>();
  /** Per topic:partition, the log end when the feed started: offsets from here on are live. */
  private readonly liveFrom = new Map<string, bigint>();
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
    this.lineage.onUse = () => this.touch();
    this.closed = !this.o.enabled;
    this.lineage.decoder = async (node, raw) => {
      const ev = await this.bus.codec.decode<unknown>(node.topic, raw);
      Object.assign(node, toNode({ topic: node.topic, partition: node.partition, offset: node.offset, timestamp: node.occurredAt, headers: {}, event: ev }));
    };
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
        this.liveFrom.set(`${topic}:${p.partition}`, BigInt(p.high));
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
    // Nothing is decoded on the way in unless someone looks: lineage is indexed from the Kafka
    // headers every Phoenix producer sets, the recent ring keeps the bytes, and only topics with
    // a live-tail subscriber (and the DLQs) are decoded as they arrive. Decoding every event of every
    // topic halved the gateway's webhook throughput (P5: 1,229–1,319 → 621–638 req/s).
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        for (const message of batch.messages) await this.read(batch.topic, batch.partition, message);
        await heartbeat();
      },
    });
    for (const s of starts) this.consumer.seek(s);
  }

  /** Starts without holding up its caller; a failed start (no broker yet) is tried again every 5 s. */
  startInBackground(): void {
    this.paused = false;
    const attempt = () => {
      if (this.paused) return;
      this.start().catch((err: Error) => {
        this.bus.logger.warn({ err: err.message }, 'console feed could not start; trying again in 5 s');
        void this.consumer?.disconnect().catch(() => undefined);
        this.retry = setTimeout(attempt, 5000);
      });
    };
    attempt();
  }

  private paused = true;
  private closed = false;
  private retry?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private lastUsed = 0;

  /** Whether the feed is reading now. */
  get running(): boolean {
    return !this.paused;
  }

  /**
   * Marks the console as in use, starting the feed if it is not running. Reading every topic costs
   * the gateway throughput (it shares the event loop with the API), so the feed runs only while
   * someone uses the console, and stops after `idleMs` unused; a restart reads the look-back again.
   */
  touch(): void {
    this.lastUsed = Date.now();
    if (this.closed || !this.paused) return;
    this.startInBackground();
    this.idleTimer ??= setInterval(() => {
      if (!this.paused && Date.now() - this.lastUsed > this.o.idleMs) void this.pause();
    }, Math.min(30_000, this.o.idleMs));
    this.idleTimer.unref();
  }

  private async pause(): Promise<void> {
    this.paused = true;
    clearTimeout(this.retry);
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    if (this.groupId) await deleteOwnGroup(this.kafka, this.groupId, this.bus.logger);
    this.groupId = undefined;
    // A restart reads the look-back again (lineage and dead letters dedupe by id and position).
    this.recent.clear();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.idleTimer);
    await this.pause();
  }

  /** The bus's shared admin client (offsets for the console's answers). */
  admin(): ReturnType<BusRuntime['admin']['raw']> {
    return this.bus.admin.raw();
  }

  /** Topics the feed reads. */
  readTopics(): string[] {
    // Before the first start: the catalogue's (the feed may not have listed the broker's yet).
    if (!this.topics.length) return this.bus.catalogue.allTopics().map((t) => t.name).filter((t) => !this.o.exclude.includes(t));
    return [...this.topics];
  }

  /** The recent events of a topic, decoded (undecodable ones left out), oldest first. */
  async recentOf(topic: string): Promise<FeedEvent[]> {
    const out: FeedEvent[] = [];
    for (const r of [...(this.recent.get(topic) ?? [])]) {
      if (r.decoded === undefined) r.decoded = await this.decode(r.topic, r.partition, r.message);
      if (r.decoded) out.push(r.decoded);
    }
    return out;
  }

  private async decode(topic: string, partition: number, message: KafkaMessage): Promise<FeedEvent | null> {
    const event = message.value ? await this.bus.codec.decode<unknown>(topic, message.value).catch(() => null) : null;
    if (!event) {
      this.undecodable++;
      return null;
    }
    return { topic, partition, offset: message.offset, timestamp: Number(message.timestamp), headers: textHeaders(message.headers), event };
  }

  /** One message as read: counted, indexed from its headers, kept as bytes, decoded only if someone is watching its topic. */
  private async read(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    if (!message.value || message.value.length === 0) return; // a tombstone
    const h = message.headers;
    const redriveOf = headerString(h, REDRIVE_HEADER);
    const id = headerString(h, HEADERS.eventId);
    // Live tails get what arrives after the feed started, not its look-back (the JSON tail has that).
    const live = BigInt(message.offset) >= (this.liveFrom.get(`${topic}:${partition}`) ?? 0n);
    const tails = live ? this.listeners.get(topic) : undefined;
    const entry: RawEntry = { topic, partition, message };
    // Without Phoenix's headers the envelope is the only place the filter fields are.
    if (!id) entry.decoded = await this.decode(topic, partition, message);
    const takers: TailSubscriber[] = [];
    if (tails?.size) {
      const ev = entry.decoded?.event;
      const fields: TailFields = ev ? { type: ev.type, key: ev.key ?? null, source: ev.source } : { type: headerString(h, HEADERS.eventType) ?? '', key: message.key?.toString() ?? null, source: headerString(h, HEADERS.source) ?? '' };
      for (const t of tails) {
        if (!tailMatches(t.filter, fields)) continue;
        if (t.wants()) takers.push(t);
        else t.skip();
      }
    }
    if (entry.decoded === undefined && (topic.endsWith('.dlq') || !!redriveOf || takers.length)) entry.decoded = await this.decode(topic, partition, message);
    if (redriveOf) this.deadLetters.noteRedrive({ [REDRIVE_HEADER]: redriveOf }, { topic, partition, offset: message.offset, eventId: entry.decoded?.event.id ?? id ?? null, at: Number(message.timestamp) });
    if (topic.endsWith('.dlq')) this.deadLetters.add(topic, partition, message, entry.decoded?.event ?? null);
    if (entry.decoded) this.lineage.add(toNode(entry.decoded));
    else if (id) {
      const ts = Number(message.timestamp);
      this.lineage.add(
        {
          id,
          type: headerString(h, HEADERS.eventType) ?? '',
          source: headerString(h, HEADERS.source) ?? '',
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          occurredAt: ts,
          ingestedAt: ts,
          correlationId: headerString(h, HEADERS.correlationId) ?? null,
          causationId: headerString(h, HEADERS.causationId) ?? null,
          tenant: null,
          preview: '',
        },
        message.value,
      );
    }
    let ring = this.recent.get(topic);
    if (!ring) this.recent.set(topic, (ring = []));
    ring.push(entry);
    if (ring.length > this.o.recentPerTopic) ring.shift();
    this.counts.set(topic, (this.counts.get(topic) ?? 0) + 1);
    this.tick(topic);
    if (entry.decoded) for (const t of takers) t.deliver(entry.decoded);
  }

  /** Events read per topic since start, and per second over the last minute (oldest first). */
  stats(): { topic: string; read: number; perSecond: number[] }[] {
    const now = Math.floor(Date.now() / 1000);
    return this.topics.map((topic) => ({ topic, read: this.counts.get(topic) ?? 0, perSecond: this.window(topic, now) }));
  }

  get undecodableCount(): number {
    return this.undecodable;
  }

  /** Gives `tail` the events read on `topic` from now on that match its filter; returns the unsubscribe. */
  subscribe(topic: string, tail: TailSubscriber): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(tail);
    return () => set!.delete(tail);
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
