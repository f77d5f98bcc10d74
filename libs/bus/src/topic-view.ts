import { Admin, Consumer, Kafka } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';
import { ContractError, Envelope, EventCodec } from '@phoenix/contracts';
import { PhoenixLogger } from '@phoenix/observability';
import { deleteEmptyGroups, deleteOwnGroup } from './throwaway-groups';
import { KeyedView } from './bus.interfaces';
import { Backoff } from '@phoenix/concurrency';

/**
 * The latest event per key of a compacted topic, kept in memory and updated as new events
 * arrive (a table view of the topic, like a KTable). Reads with its own throw-away group, committing
 * so a consumer kafkajs restarts after an outage resumes where it was; `ready()` resolves once it has caught up with the end offsets at start. The group
 * is deleted at stop, and groups that earlier processes left behind (killed before their stop) are
 * deleted at start once empty, so restarts leave no groups behind.
 */
export class TopicView<P> implements KeyedView<P> {
  private readonly entries = new Map<string, Envelope<P>>();
  private consumer?: Consumer;
  private caughtUp!: Promise<void>;
  private listeners: ((key: string, event: Envelope<P> | null) => void)[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly codec: EventCodec,
    readonly topic: string,
    private readonly logger: PhoenixLogger,
  ) {}

  private groupId?: string;

  private get groupPrefix(): string {
    return `phoenix-view-${this.topic}-`;
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = new Map((await offsetsWhenLed(admin, this.topic)).map((o) => [o.partition, BigInt(o.high)]));
    await deleteEmptyGroups(admin, this.groupPrefix).catch((err: Error) => this.logger.debug({ topic: this.topic, err: err.message }, 'could not clean up old view groups'));
    await admin.disconnect();
    const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
    let markReady!: () => void;
    this.caughtUp = new Promise((r) => (markReady = r));
    if (pending.size === 0) markReady();

    this.groupId = `${this.groupPrefix}${uuidv4()}`;
    // The group has this one member. After a broker outage kafkajs rejoins it, and the coordinator
    // waits for the member it lost before it assigns again: short timeouts keep that wait to
    // seconds (with the defaults, the claims view answered nothing for ~30 s after a restart).
    this.consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100, sessionTimeout: 6000, rebalanceTimeout: 6000, heartbeatInterval: 1000 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      // Its own group's offsets: when kafkajs restarts the consumer after a broker outage it
      // resumes where it was instead of reading the whole topic again (the group goes at stop).
      autoCommit: true,
      autoCommitInterval: 1000,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString();
        if (key !== undefined) {
          if (!message.value || message.value.length === 0) {
            this.entries.delete(key);
            this.notify(key, null);
          } else {
            const event = await this.decode(message.value, partition, message.offset);
            if (event) {
              this.entries.set(key, event);
              this.notify(key, event);
            }
          }
        }
        if (pending.has(partition) && BigInt(message.offset) + 1n >= ends.get(partition)!) {
          pending.delete(partition);
          if (pending.size === 0) markReady();
        }
      },
    });
  }

  /** Resolves when every event that existed at start has been read. */
  ready(): Promise<void> {
    return this.caughtUp;
  }

  get(key: string): Envelope<P> | undefined {
    return this.entries.get(key);
  }

  values(): Envelope<P>[] {
    return [...this.entries.values()];
  }

  /** Called for every update after start (null: the key was deleted by a tombstone). */
  onChange(listener: (key: string, event: Envelope<P> | null) => void): void {
    this.listeners.push(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect();
    if (this.groupId) await deleteOwnGroup(this.kafka, this.groupId, this.logger);
  }

  private stopped = false;

  /**
   * Decodes one event; while the registry is unavailable it waits and tries again (a view must
   * not silently miss an entry). Bytes that can never be decoded are logged and passed over.
   */
  private async decode(value: Buffer, partition: number, offset: string): Promise<Envelope<P> | null> {
    const backoff = new Backoff(250, 5000);
    for (;;) {
      try {
        return await this.codec.decode<P>(this.topic, value);
      } catch (err) {
        if (err instanceof ContractError && err.retriable && !this.stopped) {
          this.logger.warn({ topic: this.topic, partition, offset, err: err.message }, 'view waiting for the schema registry');
          await new Promise((r) => setTimeout(r, backoff.next()));
          continue;
        }
        this.logger.error({ topic: this.topic, partition, offset, err: (err as Error).message }, 'undecodable event in view; passed over');
        return null;
      }
    }
  }

  private notify(key: string, event: Envelope<P> | null): void {
    for (const l of this.listeners) l(key, event);
  }
}

/**
 * The topic's end offsets, asked again while its partitions have no leader yet (a topic just
 * created, or a broker just restarted, answers NOT_LEADER / LEADER_NOT_AVAILABLE for a moment).
 */
async function offsetsWhenLed(admin: Admin, topic: string): Promise<{ partition: number; high: string }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      const e = err as { type?: string; retriable?: boolean };
      const leaderless = e.type === 'NOT_LEADER_FOR_PARTITION' || e.type === 'LEADER_NOT_AVAILABLE' || e.type === 'UNKNOWN_TOPIC_OR_PARTITION';
      if (!leaderless || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
