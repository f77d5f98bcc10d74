import { FailureKind, PhoenixError } from '@phoenix/errors';
export enum BusErrorCode {
  /** The broker could not be reached or did not acknowledge in time. */
  BrokerUnavailable = 'BROKER_UNAVAILABLE',
  /** The publish was not acknowledged within BUS_SEND_TIMEOUT_MS. */
  SendTimeout = 'SEND_TIMEOUT',
  /** A single message is larger than the broker accepts. */
  MessageTooLarge = 'MESSAGE_TOO_LARGE',
  /** The topic does not exist on the cluster (run `phoenix topics apply`). */
  TopicNotFound = 'TOPIC_NOT_FOUND',
  /** The broker rejected the write for another reason. */
  ProduceFailed = 'PRODUCE_FAILED',
  /** The producer was closed. */
  Closed = 'CLOSED',
  /** Handler registration is inconsistent with the subscriptions (refused at boot). */
  HandlerConflict = 'HANDLER_CONFLICT',
  /** The bus cannot start as configured (e.g. a producer client that is not installed). */
  ConfigInvalid = 'CONFIG_INVALID',
}

const BUS_KIND: Record<BusErrorCode, FailureKind> = {
  [BusErrorCode.BrokerUnavailable]: 'unavailable',
  [BusErrorCode.SendTimeout]: 'unavailable',
  [BusErrorCode.MessageTooLarge]: 'record',
  [BusErrorCode.TopicNotFound]: 'app',
  [BusErrorCode.ProduceFailed]: 'record',
  [BusErrorCode.Closed]: 'app',
  [BusErrorCode.HandlerConflict]: 'app',
  [BusErrorCode.ConfigInvalid]: 'app',
};

/** Failures of the Kafka bus itself (not of an event handler). */
export class BusError extends PhoenixError<BusErrorCode> {
  constructor(code: BusErrorCode, message: string, cause?: unknown) {
    super(code, message, { kind: BUS_KIND[code], cause });
  }
}

/**
 * Thrown by a handler when trying again later may succeed (a dependency is down, a rate limit).
 * The event goes to the retry topic with backoff, then to the DLQ when attempts run out.
 */
export class RetriableError<Code extends string = string> extends PhoenixError<Code> {
  constructor(code: Code, message: string, cause?: unknown) {
    super(code, message, { kind: 'unavailable', cause });
  }
}

/** Thrown by a handler when the event can never succeed; it goes straight to the DLQ. */
export class FatalError<Code extends string = string> extends PhoenixError<Code> {
  constructor(code: Code, message: string, cause?: unknown) {
    super(code, message, { kind: 'record', cause });
  }
}
