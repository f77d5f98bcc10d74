import { Admin, Kafka, PartitionMetadata, Partitioners } from 'kafkajs';
import { BusError, BusErrorCode } from './bus.exception';
import { toBusError } from './kafka-errors';

interface Entry {
  partitions: PartitionMetadata[];
  fetchedAt: number;
}

/**
 * Partition counts per topic, so the producer picks each message's partition itself (with
 * kafkajs' Java-compatible murmur2 partitioner) and can report the exact partition and offset
 * the broker acknowledged.
 */
export class TopicMetadataCache {
  private readonly admin: Admin;
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private connected: Promise<void> | null = null;
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    kafka: Kafka,
    private readonly ttlMs = 5 * 60 * 1000,
  ) {
    this.admin = kafka.admin();
  }

  async partitionFor(topic: string, key: Buffer | string | null): Promise<number> {
    const entry = await this.get(topic);
    return this.partitioner({ topic, partitionMetadata: entry.partitions, message: { key, value: null } });
  }

  /** The partition from fresh cached metadata, or undefined when it must be fetched first. */
  partitionForCached(topic: string, key: Buffer | string | null): number | undefined {
    const cached = this.entries.get(topic);
    if (!cached || Date.now() - cached.fetchedAt >= this.ttlMs) return undefined;
    return this.partitioner({ topic, partitionMetadata: cached.partitions, message: { key, value: null } });
  }

  async partitionCount(topic: string): Promise<number> {
    return (await this.get(topic)).partitions.length;
  }

  /** Forget a topic (after UNKNOWN_TOPIC_OR_PARTITION or a partition increase). */
  invalidate(topic: string): void {
    this.entries.delete(topic);
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect().catch(() => undefined);
    this.connected = null;
  }

  private async get(topic: string): Promise<Entry> {
    const cached = this.entries.get(topic);
    if (cached && Date.now() - cached.fetchedAt < this.ttlMs) return cached;
    let p = this.inflight.get(topic);
    if (!p) {
      p = this.fetch(topic).finally(() => this.inflight.delete(topic));
      this.inflight.set(topic, p);
    }
    try {
      return await p;
    } catch (err) {
      // A stale answer beats none while the broker is briefly away; the send itself will say.
      if (cached) return cached;
      throw err;
    }
  }

  private async fetch(topic: string): Promise<Entry> {
    try {
      if (!this.connected) {
        this.connected = this.admin.connect();
        this.connected.catch(() => (this.connected = null));
      }
      await this.connected;
      const md = await this.admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = md.topics[0]?.partitions ?? [];
      if (partitions.length === 0) throw new BusError(BusErrorCode.TopicNotFound, `topic ${topic} has no partitions`);
      const entry = { partitions, fetchedAt: Date.now() };
      this.entries.set(topic, entry);
      return entry;
    } catch (err) {
      throw toBusError(err, `metadata for ${topic}`);
    }
  }
}
