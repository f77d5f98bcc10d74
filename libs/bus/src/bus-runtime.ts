import { Kafka } from 'kafkajs';
import { PhoenixConfig } from '@phoenix/config';
import { EventCodec, loadFamilySchemas, loadTopicCatalogue, TopicCatalogue } from '@phoenix/contracts';
import { HealthRegistry, PhoenixLogger, PhoenixMetrics } from '@phoenix/observability';
import { EventProducer } from './event-producer';
import { confluentProducerClient, kafkajsProducerClient } from './producer-client';
import { createKafka } from './kafka.factory';
import { TopicAdmin } from './topic-admin';

/**
 * The bus's long-lived clients for one process: built before Nest starts so that a
 * microservice transport and the HTTP side share the same producer (one batching pipeline).
 */
export class BusRuntime {
  readonly kafka: Kafka;
  readonly catalogue: TopicCatalogue;
  readonly codec: EventCodec;
  readonly producer: EventProducer;
  readonly admin: TopicAdmin;

  constructor(
    readonly config: PhoenixConfig,
    readonly logger: PhoenixLogger,
    readonly metrics: PhoenixMetrics,
    readonly app: string,
  ) {
    this.kafka = createKafka(config, logger, app);
    this.catalogue = loadTopicCatalogue(config.paths.config, config.kafka.defaultPartitions);
    this.codec = new EventCodec(EventCodec.registryClient(config), this.catalogue, loadFamilySchemas(), {
      autoRegister: config.registry.autoRegister,
    });
    const client = config.bus.producerClient === 'confluent' ? confluentProducerClient(config, logger, app) : kafkajsProducerClient(this.kafka, config.bus);
    this.producer = new EventProducer(this.kafka, this.codec, config.bus, logger, metrics, app, client);
    this.admin = new TopicAdmin(this.kafka, this.catalogue, config.kafka.replicationFactor);
  }

  /** Adds `kafka` and `schema-registry` readiness checks. */
  registerHealth(health: HealthRegistry): void {
    health.register('kafka', async () => {
      const c = await this.admin.ping();
      return { status: 'up', detail: `${c.brokers} broker(s)` };
    });
    health.register('schema-registry', async () => {
      await this.codec.client.getDefaultCompatibility();
      return { status: 'up' };
    });
  }

  async close(): Promise<void> {
    await this.producer.close();
    await this.admin.close();
  }
}
