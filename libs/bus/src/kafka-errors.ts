import { KafkaJSError, KafkaJSProtocolError } from 'kafkajs';
import { BusError, BusErrorCode } from './bus.exception';
import { PRODUCER_IDENTITY_ERRORS } from './producer-client';

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/** librdkafka error types (@confluentinc/kafka-javascript's `type`) by what they mean here. */
const RD_TOO_LARGE = new Set(['ERR_MSG_SIZE_TOO_LARGE', 'ERR_RECORD_LIST_TOO_LARGE', 'ERR_INVALID_RECORD', 'ERR_MESSAGE_TOO_LARGE']);
const RD_NO_TOPIC = new Set(['ERR_UNKNOWN_TOPIC_OR_PART', 'ERR__UNKNOWN_TOPIC', 'ERR__UNKNOWN_PARTITION']);
const RD_TRANSIENT = new Set([
  'ERR__TRANSPORT', 'ERR__MSG_TIMED_OUT', 'ERR__TIMED_OUT', 'ERR__TIMED_OUT_QUEUE', 'ERR__ALL_BROKERS_DOWN', 'ERR__RESOLVE', 'ERR__QUEUE_FULL',
  'ERR_REQUEST_TIMED_OUT', 'ERR_NETWORK_EXCEPTION', 'ERR_NOT_LEADER_FOR_PARTITION', 'ERR_LEADER_NOT_AVAILABLE', 'ERR_NOT_ENOUGH_REPLICAS',
  'ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'ERR_BROKER_NOT_AVAILABLE', 'ERR_REPLICA_NOT_AVAILABLE', 'ERR_COORDINATOR_NOT_AVAILABLE', 'ERR_NOT_COORDINATOR',
]);

/** An error of @confluentinc/kafka-javascript: its own KafkaJS-like classes, typed by librdkafka code. */
function librdkafkaError(e: unknown): { type: string; retriable: boolean; message: string } | null {
  const x = e as { type?: unknown; retriable?: unknown; message?: unknown; name?: unknown } | null;
  if (!x || typeof x.type !== 'string' || !x.type.startsWith('ERR_') || typeof x.name !== 'string' || !x.name.startsWith('KafkaJS')) return null;
  return { type: x.type, retriable: x.retriable === true, message: String(x.message) };
}

/** Classifies a kafkajs (or @confluentinc/kafka-javascript) failure by error class and type. */
export function toBusError(err: unknown, what: string): BusError {
  if (err instanceof BusError) return err;
  let e: unknown = err;
  // Retries-exceeded errors wrap the last underlying failure.
  while (e && typeof e === 'object' && 'originalError' in e && (e as { originalError?: unknown }).originalError) {
    e = (e as { originalError: unknown }).originalError;
  }
  if (e instanceof KafkaJSProtocolError) {
    if (TOO_LARGE.has(e.type)) return new BusError(BusErrorCode.MessageTooLarge, `${what}: ${e.message}`, err);
    if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION') return new BusError(BusErrorCode.TopicNotFound, `${what}: ${e.message}`, err);
    // Sequence state out of step: the producer takes a new identity, so the next attempt can succeed.
    if (e.retriable || PRODUCER_IDENTITY_ERRORS.has(e.type)) return new BusError(BusErrorCode.BrokerUnavailable, `${what}: ${e.message}`, err);
    return new BusError(BusErrorCode.ProduceFailed, `${what}: ${e.message}`, err);
  }
  if (e instanceof KafkaJSError) {
    return new BusError(BusErrorCode.BrokerUnavailable, `${what}: ${e.message}`, err);
  }
  const rd = librdkafkaError(e);
  if (rd) {
    if (RD_TOO_LARGE.has(rd.type)) return new BusError(BusErrorCode.MessageTooLarge, `${what}: ${rd.message}`, err);
    if (RD_NO_TOPIC.has(rd.type)) return new BusError(BusErrorCode.TopicNotFound, `${what}: ${rd.message}`, err);
    if (rd.retriable || RD_TRANSIENT.has(rd.type)) return new BusError(BusErrorCode.BrokerUnavailable, `${what}: ${rd.message}`, err);
    return new BusError(BusErrorCode.ProduceFailed, `${what}: ${rd.message}`, err);
  }
  return new BusError(BusErrorCode.ProduceFailed, `${what}: ${(e as Error)?.message ?? String(e)}`, err);
}
