import { KafkaJSError, KafkaJSProtocolError } from 'kafkajs';
import { BusError, BusErrorCode } from './bus.exception';
import { PRODUCER_IDENTITY_ERRORS } from './producer-client';

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/** Classifies a kafkajs failure by error class and protocol error type. */
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
  return new BusError(BusErrorCode.ProduceFailed, `${what}: ${(e as Error)?.message ?? String(e)}`, err);
}
