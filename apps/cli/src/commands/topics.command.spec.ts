import { TopicCatalogue } from '@phoenix/contracts';
import { exportTopics, kafkaTopicResourceName, strimziKafkaTopics } from './topics.command';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('topics export', () => {
  const catalogue = new TopicCatalogue([
    { name: 'events.app', family: 'generic', partitions: 6, retentionMs: -1, cleanupPolicy: 'delete', consumed: true, description: 'App events.' },
    { name: 'mcp.ledger', family: 'mcp-ledger', partitions: 3, retentionMs: -1, cleanupPolicy: 'compact', consumed: false, description: '' },
    { name: 'n8n.outbound.deal_won', family: 'n8n-delivery', partitions: 3, retentionMs: -1, cleanupPolicy: 'delete', consumed: true, description: 'Deliveries.' },
  ]);

  it('exports main, retry and DLQ topics with the configs topics apply sets', () => {
    const out = exportTopics(catalogue);
    expect(out.map((t) => [t.name, t.role])).toEqual([
      ['events.app', 'main'],
      ['events.app.retry', 'retry'],
      ['events.app.dlq', 'dlq'],
      ['mcp.ledger', 'main'],
      ['n8n.outbound.deal_won', 'main'],
      ['n8n.outbound.deal_won.retry', 'retry'],
      ['n8n.outbound.deal_won.dlq', 'dlq'],
    ]);
    expect(out[1]).toMatchObject({ partitions: 6, config: { 'cleanup.policy': 'delete', 'retention.ms': 7 * 24 * 3600 * 1000 } });
    expect(out[3].config).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': -1 });
  });

  it('keeps valid topic names as resource names and sanitises the others without collisions', () => {
    expect(kafkaTopicResourceName('events.app.retry')).toBe('events.app.retry');
    const a = kafkaTopicResourceName('n8n.outbound.deal_won');
    const b = kafkaTopicResourceName('n8n.outbound.Deal-won');
    expect(a).toMatch(/^n8n\.outbound\.deal-won-[0-9a-f]{8}$/);
    expect(b).not.toBe(a);
    for (const name of ['_x_', 'A..B', '__', 'x'.repeat(300), 'a_.b', 'café.topic']) {
      const r = kafkaTopicResourceName(name);
      expect(r).toMatch(DNS_SUBDOMAIN);
      expect(r.length).toBeLessThanOrEqual(253);
    }
  });

  it('renders KafkaTopic resources with the cluster label, replicas and the real topic name when sanitised', () => {
    const docs = strimziKafkaTopics(exportTopics(catalogue), { cluster: 'prod', namespace: 'kafka', replicas: 3 }) as Array<{
      apiVersion: string;
      metadata: { name: string; namespace?: string; labels: Record<string, string> };
      spec: { topicName?: string; partitions: number; replicas: number; config: Record<string, unknown> };
    }>;
    expect(docs).toHaveLength(7);
    expect(docs[0]).toMatchObject({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { name: 'events.app', namespace: 'kafka', labels: { 'strimzi.io/cluster': 'prod', 'phoenix.io/topic-role': 'main' } },
      spec: { partitions: 6, replicas: 3, config: { 'cleanup.policy': 'delete', 'retention.ms': -1 } },
    });
    expect(docs[0].spec.topicName).toBeUndefined();
    const won = docs.find((d) => d.spec.topicName === 'n8n.outbound.deal_won');
    expect(won?.metadata.name).toMatch(DNS_SUBDOMAIN);
  });
});
