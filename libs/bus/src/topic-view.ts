import { Consumer, Kafka } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';
import { Envelope, EventCodec } from '@phoenix/contracts';
import { PhoenixLogger } from '@phoenix/observability';

/**
 * The latest event per key of a compacted topic, kept in memory and updated as new events
 * arrive (a table view of the topic, like a KTable). Reads with its own throw-away group and
 * never commits; `ready()` resolves once it has caught up with the end offsets at start.
 */
export class TopicView<P> {
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

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(this.topic)).map((o) => [o.partition, BigInt(o.high)]));
    await admin.disconnect();
    const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
    let markReady!: () => void;
    this.caughtUp = new Promise((r) => (markReady = r));
    if (pending.size === 0) markReady();

    this.consumer = this.kafka.consumer({ groupId: `phoenix-view-${this.topic}-${uuidv4()}`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString();
        if (key !== undefined) {
          if (!message.value || message.value.length === 0) {
            this.entries.delete(key);
            this.notify(key, null);
          } else {
            try {
              const event = await this.codec.decode<P>(this.topic, message.value);
              this.entries.set(key, event);
              this.notify(key, event);
            } catch (err) {
              this.logger.warn({ topic: this.topic, offset: message.offset, err: (err as Error).message }, 'undecodable event in view; skipped');
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
    await this.consumer?.disconnect();
  }

  private notify(key: string, event: Envelope<P> | null): void {
    for (const l of this.listeners) l(key, event);
  }
}
