import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { loadConfig } from '@phoenix/config';
import { loadTopicCatalogue, TopicCatalogue, TopicRole } from '@phoenix/contracts';
import { cliRuntime } from '../cli-context';
import { CliError, info, printTable } from '../output';

/** One catalogue topic as deployment tooling needs it (the Helm chart reads a file of these). */
export interface ExportedTopic {
  name: string;
  /** A valid Kubernetes resource name for the topic (the topic name itself whenever it is one). */
  resourceName: string;
  family: string;
  role: TopicRole;
  partitions: number;
  /** Kafka topic configs, exactly what `topics apply` sets. */
  config: { 'cleanup.policy': string; 'retention.ms': number };
  description: string;
}

export interface TopicsExportFile {
  /** How to regenerate the file; kept stable so the file only changes when the catalogue does. */
  generatedBy: string;
  topics: ExportedTopic[];
}

export interface StrimziExportOptions {
  /** Name of the Strimzi `Kafka` resource the topics belong to (`strimzi.io/cluster` label). */
  cluster: string;
  namespace?: string;
  /** Replicas of each partition. */
  replicas: number;
  apiVersion?: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_RESOURCE_NAME = 253;

/**
 * Kubernetes names allow lowercase letters, digits, `-` and `.`; Kafka topics also allow `_` and
 * upper case. A topic whose name is not a valid resource name gets a sanitised name plus a short
 * hash of the real name (so `a_b` and `a-b` never collide); the KafkaTopic then carries the real
 * name in `spec.topicName`.
 */
export function kafkaTopicResourceName(topic: string): string {
  if (topic.length <= MAX_RESOURCE_NAME && DNS_SUBDOMAIN.test(topic)) return topic;
  const hash = createHash('sha256').update(topic).digest('hex').slice(0, 8);
  const base = topic
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/[-.]*\.[-.]*/g, '.')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, MAX_RESOURCE_NAME - hash.length - 1)
    .replace(/[^a-z0-9]+$/, '');
  return base ? `${base}-${hash}` : `topic-${hash}`;
}

/** Every topic `topics apply` would create (main, retry and DLQ), in catalogue order. */
export function exportTopics(catalogue: TopicCatalogue): ExportedTopic[] {
  return catalogue.allTopics().map((t) => ({
    name: t.name,
    resourceName: kafkaTopicResourceName(t.name),
    family: t.family,
    role: catalogue.resolve(t.name)?.role ?? 'main',
    partitions: t.partitions,
    config: { 'cleanup.policy': t.cleanupPolicy, 'retention.ms': t.retentionMs },
    description: t.description,
  }));
}

/** Strimzi `KafkaTopic` resources for the topics, for the Topic Operator to create and reconcile. */
export function strimziKafkaTopics(topics: ExportedTopic[], opts: StrimziExportOptions): Record<string, unknown>[] {
  return topics.map((t) => ({
    apiVersion: opts.apiVersion ?? 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: {
      name: t.resourceName,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      labels: {
        'strimzi.io/cluster': opts.cluster,
        'app.kubernetes.io/part-of': 'phoenix',
        'phoenix.io/topic-family': t.family,
        'phoenix.io/topic-role': t.role,
      },
      ...(t.description ? { annotations: { 'phoenix.io/description': t.description } } : {}),
    },
    spec: {
      ...(t.resourceName !== t.name ? { topicName: t.name } : {}),
      partitions: t.partitions,
      replicas: opts.replicas,
      config: { ...t.config },
    },
  }));
}

function positiveInt(label: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${label} must be a positive integer, got "${v}"`);
    return n;
  };
}

export function registerTopicsCommand(program: Command): void {
  const topics = program.command('topics').description('The topic catalogue and the cluster');

  topics
    .command('list')
    .description('Topics on the cluster, with partitions, message counts and catalogue family')
    .option('--catalogue', 'list the catalogue instead of the cluster')
    .action(async (opts: { catalogue?: boolean }) => {
      const { bus } = cliRuntime();
      try {
        if (opts.catalogue) {
          printTable(
            bus.catalogue.allTopics().map((t) => ({
              name: t.name,
              family: t.family,
              partitions: t.partitions,
              retention: t.retentionMs < 0 ? 'forever' : `${Math.round(t.retentionMs / 3600000)}h`,
              cleanup: t.cleanupPolicy,
            })),
          );
          return;
        }
        const list = await bus.admin.list();
        printTable(list.map((t) => ({ name: t.name, partitions: t.partitions, messages: t.messages, family: t.family ?? '(not in catalogue)' })));
      } finally {
        await bus.close();
      }
    });

  topics
    .command('apply')
    .description('Create or reconcile every catalogue topic (idempotent), and register schemas on the local stack')
    .action(async () => {
      const { bus, config } = cliRuntime();
      try {
        const results = await bus.admin.apply();
        printTable(results.map((r) => ({ topic: r.topic, action: r.action, detail: r.detail ?? '' })));
        if (config.registry.autoRegister) {
          await bus.codec.prepare(bus.catalogue.topics().map((t) => t.name));
          process.stderr.write(`schemas registered for ${bus.catalogue.topics().length} topics\n`);
        }
      } finally {
        await bus.close();
      }
    });

  topics
    .command('export')
    .description('Write the catalogue (with retry/DLQ topics) as Strimzi KafkaTopic resources or JSON; needs no cluster')
    .option('--format <format>', 'strimzi (KafkaTopic YAML) or json', 'strimzi')
    .option('--namespace <ns>', 'metadata.namespace of the KafkaTopic resources')
    .option('--cluster <name>', 'name of the Strimzi Kafka resource (strimzi.io/cluster label)', 'phoenix')
    .option('--replicas <n>', 'replicas per partition (default: KAFKA_REPLICATION_FACTOR)', positiveInt('--replicas'))
    .option('--api-version <v>', 'KafkaTopic apiVersion', 'kafka.strimzi.io/v1')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action((opts: { format: string; namespace?: string; cluster: string; replicas?: number; apiVersion: string; out?: string }) => {
      // The catalogue comes from config files only: no Kafka client is created.
      const config = loadConfig();
      const exported = exportTopics(loadTopicCatalogue(config.paths.config, config.kafka.defaultPartitions));
      let text: string;
      if (opts.format === 'json') {
        const file: TopicsExportFile = { generatedBy: 'phoenix topics export --format json (npm run k8s:topics)', topics: exported };
        text = JSON.stringify(file, null, 2) + '\n';
      } else if (opts.format === 'strimzi') {
        const docs = strimziKafkaTopics(exported, { cluster: opts.cluster, namespace: opts.namespace, replicas: opts.replicas ?? config.kafka.replicationFactor, apiVersion: opts.apiVersion });
        text = docs.map((d) => '---\n' + toYaml(d, { lineWidth: 0 })).join('');
      } else {
        throw new CliError(`--format must be strimzi or json, got "${opts.format}"`);
      }
      if (opts.out) {
        fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
        fs.writeFileSync(opts.out, text);
        info(`${exported.length} topics written to ${opts.out}`);
      } else {
        process.stdout.write(text);
      }
    });
}
