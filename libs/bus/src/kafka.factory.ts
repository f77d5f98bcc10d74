import { Kafka, logLevel, LogEntry } from 'kafkajs';
import { PhoenixConfig } from '@phoenix/config';
import { PhoenixLogger } from '@phoenix/observability';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client configured from {@link PhoenixConfig}, logging through pino. */
export function createKafka(config: PhoenixConfig, logger: PhoenixLogger, clientSuffix?: string): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: clientSuffix ? `${config.kafka.clientId}-${clientSuffix}` : config.kafka.clientId,
    brokers: config.kafka.brokers,
    ssl: config.kafka.ssl,
    sasl: config.kafka.sasl,
    connectionTimeout: config.kafka.connectionTimeoutMs,
    requestTimeout: config.kafka.requestTimeoutMs,
    retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 5 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        // Connection errors are expected while a broker restarts and our code reports the
        // outcome; the retry-limit warning is a deliberate choice (see EventProducer).
        if (level === logLevel.ERROR && /^(Connection error|Failed to connect to seed broker|Connection timeout)/.test(message)) {
          log.debug(rest, message);
          return;
        }
        if (message === 'Limiting retries for the idempotent producer may invalidate EoS guarantees') return;
        log[levels[level] ?? 'info'](rest, message);
      },
  });
}
