import { Admin, Consumer, Kafka } from 'kafkajs';
import { HealthStatus, PhoenixLogger, PhoenixMetrics } from '@phoenix/observability';

/** Lag of one partition as the broker sees it. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Log end offset (high watermark). */
  end: bigint;
  /** Where the group resumes: its committed offset, or the log start when it has none. */
  resume: bigint;
  lag: bigint;
}

/** Membership and lag history of one consumer, reduced to a health status (pure, for specs). */
export class GroupHealth {
  private joinedAt: number | null = null;
  private leftAt: number | null = null;
  private readonly joins: number[] = [];
  private readonly lagSamples: { at: number; total: bigint }[] = [];

  constructor(
    private readonly opts: {
      /** Rejoins within `windowMs` above which membership counts as unstable. */
      maxRejoins: number;
      windowMs: number;
      /** Out of the group this long (after having joined) → degraded. */
      outOfGroupMs: number;
      /** Samples of strictly growing lag that mean "falling behind". */
      growingSamples: number;
      /** Lag below this never counts as falling behind (bursts are normal). */
      minLag: bigint;
    },
  ) {}

  joined(at: number): void {
    this.joinedAt = at;
    this.leftAt = null;
    this.joins.push(at);
    while (this.joins.length && this.joins[0] < at - this.opts.windowMs) this.joins.shift();
  }

  /** Rebalancing, crashed or disconnected: not a member until the next join. */
  left(at: number): void {
    if (this.leftAt === null) this.leftAt = at;
  }

  sampled(at: number, total: bigint): void {
    this.lagSamples.push({ at, total });
    while (this.lagSamples.length > this.opts.growingSamples + 1) this.lagSamples.shift();
  }

  status(now: number): HealthStatus {
    const recentJoins = this.joins.filter((t) => t >= now - this.opts.windowMs).length;
    // The first join is not a rejoin.
    if (recentJoins - 1 > this.opts.maxRejoins) return { status: 'degraded', detail: `group membership unstable: ${recentJoins} joins in ${Math.round(this.opts.windowMs / 1000)} s` };
    if (this.joinedAt !== null && this.leftAt !== null && now - this.leftAt > this.opts.outOfGroupMs) {
      return { status: 'degraded', detail: `out of its consumer group for ${Math.round((now - this.leftAt) / 1000)} s` };
    }
    const s = this.lagSamples;
    if (s.length === this.opts.growingSamples + 1 && s[s.length - 1].total >= this.opts.minLag && s.every((x, i) => i === 0 || x.total > s[i - 1].total)) {
      return { status: 'degraded', detail: `falling behind: lag grew to ${s[s.length - 1].total} over ${s.length} samples` };
    }
    const last = s[s.length - 1];
    return { status: 'up', detail: last ? `lag ${last.total}` : undefined };
  }
}

/**
 * Reads a consumer group's lag from the broker (log end minus committed offset, the figure
 * Kafka's own ConsumerGroupCommand prints) on an interval, publishes it as
 * `phoenix_consumer_lag_messages`, and follows the consumer's membership events, so health
 * shows `degraded` while the app falls behind or keeps dropping out of its group.
 */
export class ConsumerGroupMonitor {
  private admin?: Admin;
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<PartitionLag[]>;
  private stopped = false;
  readonly health: GroupHealth;
  private last: PartitionLag[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly topics: () => string[],
    private readonly metrics: PhoenixMetrics,
    private readonly logger: PhoenixLogger,
    private readonly app: string,
    private readonly intervalMs: number,
    sessionTimeoutMs: number,
  ) {
    this.health = new GroupHealth({ maxRejoins: 3, windowMs: 60_000, outOfGroupMs: 2 * sessionTimeoutMs, growingSamples: 3, minLag: 1000n });
  }

  /** Follows a kafkajs consumer's group events. */
  watch(consumer: Consumer): void {
    const ev = consumer.events;
    consumer.on(ev.GROUP_JOIN, () => this.health.joined(Date.now()));
    consumer.on(ev.REBALANCING, () => this.health.left(Date.now()));
    consumer.on(ev.CRASH, () => this.health.left(Date.now()));
    consumer.on(ev.DISCONNECT, () => this.health.left(Date.now()));
  }

  private readonly refresh = async () => {
    // A scrape between two interval samples reads the broker again (at most once a second).
    if (Date.now() - this.sampledAt > 1000) await this.sample();
  };
  private sampledAt = 0;

  start(): void {
    if (this.timer) return;
    this.stopped = false;
    this.metrics.lagRefreshers.add(this.refresh);
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
    void this.sample();
  }

  /** The lag of every partition at the last sample. */
  get lag(): PartitionLag[] {
    return this.last;
  }

  /** Reads log ends and committed offsets once and updates the gauge. */
  sample(): Promise<PartitionLag[]> {
    this.sampling ??= this.read().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async read(): Promise<PartitionLag[]> {
    try {
      if (this.stopped) return this.last;
      if (!this.admin) {
        // Few retries: a sample that cannot be read is dropped and the next interval tries again;
        // kafkajs' default retries would keep one sample (and the stop waiting for it) for ~30 s.
        this.admin = this.kafka.admin({ retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 } });
        await this.admin.connect();
      }
      const topics = this.topics();
      if (!topics.length) return (this.last = []);
      const [committed, ends] = await Promise.all([
        this.admin.fetchOffsets({ groupId: this.groupId, topics }),
        Promise.all(topics.map(async (t) => ({ topic: t, offsets: await this.admin!.fetchTopicOffsets(t) }))),
      ]);
      const byTp = new Map<string, bigint>();
      for (const t of committed) for (const p of t.partitions) if (Number(p.offset) >= 0) byTp.set(`${t.topic}:${p.partition}`, BigInt(p.offset));
      const out: PartitionLag[] = [];
      let total = 0n;
      for (const { topic, offsets } of ends) {
        for (const o of offsets) {
          const end = BigInt(o.high);
          const resume = byTp.get(`${topic}:${o.partition}`) ?? BigInt(o.low);
          const lag = end > resume ? end - resume : 0n;
          total += lag;
          out.push({ topic, partition: o.partition, end, resume, lag });
          this.metrics.consumerLag.set({ app: this.app, group: this.groupId, topic, partition: String(o.partition) }, Number(lag));
        }
      }
      this.health.sampled(Date.now(), total);
      this.sampledAt = Date.now();
      this.last = out;
      return out;
    } catch (err) {
      // No figure rather than an old one: a scrape while the broker cannot be read shows this
      // group's lag as absent, not as what it was before (which the lag may have long left).
      for (const p of this.last) this.metrics.consumerLag.remove({ app: this.app, group: this.groupId, topic: p.topic, partition: String(p.partition) });
      this.last = [];
      this.sampledAt = 0;
      // A new admin client next time: one that lost its broker may keep failing.
      const admin = this.admin;
      this.admin = undefined;
      void admin?.disconnect().catch(() => undefined);
      this.logger.debug({ group: this.groupId, err: (err as Error).message }, 'lag sample failed');
      return this.last;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.metrics.lagRefreshers.delete(this.refresh);
    clearInterval(this.timer);
    this.timer = undefined;
    // A sample in flight finishes (or fails) before its admin client goes: nothing runs after stop.
    await this.sampling?.catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}
