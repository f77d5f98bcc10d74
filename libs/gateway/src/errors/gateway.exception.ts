import { Violation } from '@phoenix/contracts';
import { PhoenixError } from '@phoenix/errors';

export enum GatewayErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  BadRequest = 'BAD_REQUEST',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  /** A body in a media type the route does not read (a code host set to send form data). */
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  UnknownTopic = 'UNKNOWN_TOPIC',
  NotFound = 'NOT_FOUND',
  Replayed = 'REPLAYED',
  Overloaded = 'OVERLOADED',
  /** Stored state read back from Kafka failed its schema (corrupted or foreign). */
  StateInvalid = 'STATE_INVALID',
  /** A store this answer needs (memory) is not reachable from this gateway. */
  Unavailable = 'UNAVAILABLE',
  /** A well-formed request whose routing rule the router would reject (dry run). */
  RuleInvalid = 'RULE_INVALID',
}

/** Errors the gateway itself raises (auth, request shape); mapped to HTTP by the filter. */
export class GatewayError extends PhoenixError<GatewayErrorCode> {
  constructor(
    code: GatewayErrorCode,
    message: string,
    readonly violations?: Violation[],
  ) {
    super(code, message, { kind: code === GatewayErrorCode.Unavailable || code === GatewayErrorCode.Overloaded ? 'unavailable' : 'record' });
  }
}
