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
  /**
   * Drops the idempotent producer's identity and starts over with a new producer id (sequence
   * numbers from 0). Called when the broker and the client no longer agree on sequence numbers;
   * absent where the client recovers by itself (librdkafka bumps its epoch internally).
   */
  resetIdentity?(): Promise<void>;
}

/**
 * Broker answers meaning the idempotent producer's sequence state is out of step with the
 * partition leader's (seen after a leader is killed mid-request): the producer as it stands will
 * fail every further send to that partition, a fresh producer id will not.
 */
export const PRODUCER_IDENTITY_ERRORS: ReadonlySet<string> = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

export function kafkajsProducerClient(kafka: Kafka, cfg: PhoenixConfig['bus']): ProducerClient {
  const create = () =>
    kafka.producer({
      idempotent: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      maxInFlightRequests: 1,
      // Bounded so a dead broker surfaces as an error within BUS_SEND_TIMEOUT_MS instead of
      // retrying forever; event ids let consumers drop the rare duplicate this allows.
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  let producer = create();
  let connected = false;
  return {
    name: 'kafkajs',
    connect: async () => {
      await producer.connect();
      connected = true;
    },
    sendBatch: (topicMessages) => producer.sendBatch({ acks: -1, timeout: cfg.sendTimeoutMs, topicMessages }),
    disconnect: () => producer.disconnect(),
    // kafkajs keeps one producer id for the life of a producer object, so a new identity is a new
    // object; InitProducerId runs on its connect.
    resetIdentity: async () => {
      const old = producer;
      producer = create();
      await old.disconnect().catch(() => undefined);
      if (connected) await producer.connect();
    },
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
