import { Admin, ConfigResourceTypes, Kafka } from 'kafkajs';
import { TopicCatalogue, TopicSpec } from '@phoenix/contracts';
import { BusError, BusErrorCode } from './bus.exception';
import { toBusError } from './kafka-errors';

export type ApplyAction = 'created' | 'updated' | 'partitions-increased' | 'unchanged' | 'partitions-higher-than-catalogue';

export interface ApplyResult {
  topic: string;
  action: ApplyAction;
  detail?: string;
}

export interface TopicInfo {
  name: string;
  partitions: number;
  family?: string;
  inCatalogue: boolean;
  messages?: number;
}

const desiredConfig = (t: TopicSpec): Record<string, string> => ({
  'cleanup.policy': t.cleanupPolicy,
  'retention.ms': String(t.retentionMs),
});

/** Creates and reconciles the catalogue's topics on the cluster, idempotently. */
export class TopicAdmin {
  private readonly admin: Admin;
  private connected: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly catalogue: TopicCatalogue,
    private readonly replicationFactor: number,
  ) {
    this.admin = kafka.admin();
  }

  private async connect(): Promise<Admin> {
    if (!this.connected) {
      this.connected = this.admin.connect();
      this.connected.catch(() => (this.connected = null));
    }
    await this.connected;
    return this.admin;
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect().catch(() => undefined);
    this.connected = null;
  }

  /** Cluster reachable? Used by /health/ready. */
  async ping(): Promise<{ brokers: number; controller: number | null }> {
    const admin = await this.connect();
    const cluster = await admin.describeCluster();
    return { brokers: cluster.brokers.length, controller: cluster.controller };
  }

  /**
   * Makes the cluster match the catalogue: creates missing topics, aligns retention and cleanup
   * policy, raises partition counts (never lowers them: that would break key ordering).
   */
  async apply(topics: TopicSpec[] = this.catalogue.allTopics()): Promise<ApplyResult[]> {
    // On a cluster, topics just created are not yet in every broker's metadata: the same
    // (idempotent) apply is tried again for a while instead of failing the deploy.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.applyOnce(topics);
      } catch (err) {
        const e = err as BusError;
        if (attempt >= 10 || (e.code !== BusErrorCode.TopicNotFound && e.code !== BusErrorCode.BrokerUnavailable)) throw err;
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  private async applyOnce(topics: TopicSpec[]): Promise<ApplyResult[]> {
    try {
      const admin = await this.connect();
      const existing = new Set(await admin.listTopics());
      const results: ApplyResult[] = [];
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({
            topic: t.name,
            numPartitions: t.partitions,
            replicationFactor: this.replicationFactor,
            configEntries: Object.entries(desiredConfig(t)).map(([name, value]) => ({ name, value })),
          })),
        });
        for (const t of missing) results.push({ topic: t.name, action: 'created', detail: `${t.partitions} partitions` });
      }
      const present = topics.filter((t) => existing.has(t.name));
      if (present.length === 0) return results;
      const md = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
      const partitionsOf = new Map(md.topics.map((t) => [t.name, t.partitions.length]));
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: present.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name, configNames: Object.keys(desiredConfig(t)) })),
      });
      const configOf = new Map(configs.resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]));
      for (const t of present) {
        const actual = partitionsOf.get(t.name) ?? 0;
        const want = desiredConfig(t);
        const have = configOf.get(t.name) ?? new Map();
        const drift = Object.entries(want).filter(([k, v]) => have.get(k) !== v);
        const notes: string[] = [];
        let action: ApplyAction = 'unchanged';
        if (drift.length) {
          await admin.alterConfigs({
            validateOnly: false,
            resources: [{ type: ConfigResourceTypes.TOPIC, name: t.name, configEntries: Object.entries(want).map(([name, value]) => ({ name, value })) }],
          });
          action = 'updated';
          notes.push(drift.map(([k, v]) => `${k}: ${have.get(k) ?? '(unset)'} → ${v}`).join(', '));
        }
        if (actual < t.partitions) {
          await admin.createPartitions({ topicPartitions: [{ topic: t.name, count: t.partitions }] });
          action = 'partitions-increased';
          notes.push(`partitions ${actual} → ${t.partitions}`);
        } else if (actual > t.partitions) {
          if (action === 'unchanged') action = 'partitions-higher-than-catalogue';
          notes.push(`cluster has ${actual} partitions, catalogue says ${t.partitions}; left as is`);
        }
        results.push({ topic: t.name, action, detail: notes.join('; ') || undefined });
      }
      return results;
    } catch (err) {
      throw toBusError(err, 'topics apply');
    }
  }

  /** Topics on the cluster (Phoenix's and others), with partition and message counts. */
  async list(): Promise<TopicInfo[]> {
    try {
      const admin = await this.connect();
      const names = (await admin.listTopics()).filter((n) => !n.startsWith('__')).sort();
      if (names.length === 0) return [];
      const md = await admin.fetchTopicMetadata({ topics: names });
      const out: TopicInfo[] = [];
      for (const t of md.topics) {
        const offsets = await admin.fetchTopicOffsets(t.name);
        const messages = offsets.reduce((sum, o) => sum + (Number(o.high) - Number(o.low)), 0);
        const resolved = this.catalogue.resolve(t.name);
        out.push({ name: t.name, partitions: t.partitions.length, family: resolved?.spec.family, inCatalogue: !!resolved, messages });
      }
      return out.sort((a, b) => a.name.localeCompare(b.name));
    } catch (err) {
      throw toBusError(err, 'topics list');
    }
  }

  /** The underlying admin client, for tools that need offsets by timestamp and the like. */
  async raw(): Promise<Admin> {
    return this.connect();
  }
}
