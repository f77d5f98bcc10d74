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

/** Failures of the Kafka bus itself (not of an event handler). */
export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'BusError';
  }

  get retriable(): boolean {
    return this.code === BusErrorCode.BrokerUnavailable || this.code === BusErrorCode.SendTimeout;
  }
}

/**
 * Thrown by a handler when trying again later may succeed (a dependency is down, a rate limit).
 * The event goes to the retry topic with backoff, then to the DLQ when attempts run out.
 */
export class RetriableError extends Error {
  readonly retriable = true;
  constructor(
    readonly code: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'RetriableError';
  }
}

/** Thrown by a handler when the event can never succeed; it goes straight to the DLQ. */
export class FatalError extends Error {
  readonly retriable = false;
  constructor(
    readonly code: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'FatalError';
  }
}
