import { Admin, Kafka } from 'kafkajs';
import { PhoenixLogger } from '@phoenix/observability';

/** One reading of a consumer group: messages behind the log end over every partition it committed. */
export interface GroupLag {
  group: string;
  state: string;
  members: number;
  lag: number;
}

export interface LagSample {
  at: number;
  groups: GroupLag[];
  /** Dead letters per DLQ topic that holds any. */
  deadLetters: Record<string, number>;
}

/**
 * Consumer lag per group and dead-letter depth, read from the broker every few seconds (what
 * Kafka's ConsumerGroupCommand reports, not what a consumer believes), kept for the last minutes
 * so the console can plot it. Only this instance's groups count; throw-away view groups do not.
 */
export class LagSampler {
  private readonly samples: LagSample[] = [];
  private timer?: NodeJS.Timeout;
  private admin?: Admin;
  private running?: Promise<void>;

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: PhoenixLogger,
    private readonly opts: { instance: string; everyMs: number; keep: number; dlqTopics: () => string[] },
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running = this.sample()
        .then((s) => {
          this.samples.push(s);
          if (this.samples.length > this.opts.keep) this.samples.shift();
        })
        .catch((err: Error) => this.logger.debug({ err: err.message }, 'lag sample failed'))
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(() => {
      if (!this.running) tick();
    }, this.opts.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }

  history(): LagSample[] {
    return [...this.samples];
  }

  private async sample(): Promise<LagSample> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const admin = this.admin;
    const existing = new Set(await admin.listTopics());
    const highs = new Map<string, Map<number, { low: bigint; high: bigint }>>();
    const endsOf = async (topic: string) => {
      if (!highs.has(topic)) highs.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }])));
      return highs.get(topic)!;
    };
    const prefix = `${this.opts.instance}-`;
    const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix) && !g.startsWith('phoenix-view-') && !g.includes('-replay-')).sort();
    const described = ids.length ? (await admin.describeGroups(ids)).groups : [];
    const groups: GroupLag[] = [];
    for (const g of described) {
      let lag = 0n;
      for (const t of await admin.fetchOffsets({ groupId: g.groupId })) {
        if (!existing.has(t.topic)) continue;
        const ends = await endsOf(t.topic);
        for (const p of t.partitions) {
          const end = ends.get(p.partition);
          if (!end || Number(p.offset) < 0) continue;
          if (end.high > BigInt(p.offset)) lag += end.high - BigInt(p.offset);
        }
      }
      groups.push({ group: g.groupId, state: g.state, members: g.members.length, lag: Number(lag) });
    }
    const deadLetters: Record<string, number> = {};
    for (const topic of this.opts.dlqTopics().filter((t) => existing.has(t))) {
      let depth = 0n;
      for (const { low, high } of (await endsOf(topic)).values()) depth += high - low;
      if (depth > 0n) deadLetters[topic] = Number(depth);
    }
    return { at: Date.now(), groups, deadLetters };
  }
}
