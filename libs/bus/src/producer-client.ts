import { Kafka, Partitioners, RecordMetadata } from 'kafkajs';
import { PhoenixConfig } from '@phoenix/config';
import { PhoenixLogger } from '@phoenix/observability';
import { BusError, BusErrorCode } from './bus.exception';

/** One message as the producer hands it to the client (partition already chosen). */
export interface OutgoingMessage {
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  partition: number;
  timestamp?: string;
}

/**
 * The Kafka client under {@link EventProducer}: acks=all and idempotent, one `sendBatch` answering
 * with the base offset per topic-partition. kafkajs by default; librdkafka through
 * @confluentinc/kafka-javascript with BUS_PRODUCER_CLIENT=confluent (encodes batches natively).
 */
export interface ProducerClient {
  readonly name: 'kafkajs' | 'confluent';
  connect(): Promise<void>;
  sendBatch(topicMessages: { topic: string; messages: OutgoingMessage[] }[]): Promise<RecordMetadata[]>;
  disconnect(): Promise<void>;
}

export function kafkajsProducerClient(kafka: Kafka, cfg: PhoenixConfig['bus']): ProducerClient {
  const producer = kafka.producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
    maxInFlightRequests: 1,
    // Bounded so a dead broker surfaces as an error within BUS_SEND_TIMEOUT_MS instead of
    // retrying forever; event ids let consumers drop the rare duplicate this allows.
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  return {
    name: 'kafkajs',
    connect: () => producer.connect(),
    sendBatch: (topicMessages) => producer.sendBatch({ acks: -1, timeout: cfg.sendTimeoutMs, topicMessages }),
    disconnect: () => producer.disconnect(),
  };
}

type Ckjs = typeof import('@confluentinc/kafka-javascript');

/**
 * librdkafka's producer through the KafkaJS-compatible API of @confluentinc/kafka-javascript (an
 * optional dependency built from source at install). Same guarantees: idempotent, acks=all,
 * explicit partitions, a delivery timeout of BUS_SEND_TIMEOUT_MS.
 */
export function confluentProducerClient(config: PhoenixConfig, logger: PhoenixLogger, clientSuffix?: string): ProducerClient {
  let ckjs: Ckjs;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ckjs = require('@confluentinc/kafka-javascript') as Ckjs;
  } catch (err) {
    throw new BusError(
      BusErrorCode.ConfigInvalid,
      `BUS_PRODUCER_CLIENT=confluent needs @confluentinc/kafka-javascript, which is not installed or did not build (${(err as Error).message.split('\n')[0]}); run npm ci with a C/C++ toolchain, or use BUS_PRODUCER_CLIENT=kafkajs`,
    );
  }
  const { Kafka: CkKafka, logLevel } = ckjs.KafkaJS;
  const log = logger.child({ component: 'librdkafka' });
  const k = config.kafka;
  const kafka = new CkKafka({
    kafkaJS: {
      clientId: clientSuffix ? `${k.clientId}-${clientSuffix}` : k.clientId,
      brokers: k.brokers,
      ssl: k.ssl,
      ...(k.sasl ? { sasl: k.sasl as never } : {}),
      connectionTimeout: k.connectionTimeoutMs,
      requestTimeout: k.requestTimeoutMs,
      logLevel: logLevel.WARN,
      logger: {
        info: (m: string, extra?: object) => log.info(extra ?? {}, m),
        warn: (m: string, extra?: object) => log.warn(extra ?? {}, m),
        error: (m: string, extra?: object) => log.error(extra ?? {}, m),
        debug: (m: string, extra?: object) => log.debug(extra ?? {}, m),
        namespace: () => undefined,
        setLogLevel: () => undefined,
      } as never,
    },
  });
  const producer = kafka.producer({
    kafkaJS: { idempotent: true, acks: -1 },
    'linger.ms': config.bus.lingerMs,
    'message.timeout.ms': config.bus.sendTimeoutMs,
  });
  return {
    name: 'confluent',
    connect: () => producer.connect(),
    sendBatch: async (topicMessages) => (await producer.sendBatch({ topicMessages: topicMessages as never })) as unknown as RecordMetadata[],
    disconnect: () => producer.disconnect(),
  };
}
