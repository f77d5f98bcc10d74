import { AccessError } from '@phoenix/access';
import { BusError, BusErrorCode } from '@phoenix/bus';
import { ContractError, ContractErrorCode, Violation } from '@phoenix/contracts';
import { GatewayError, GatewayErrorCode } from './gateway.exception';
import { ClaimTimeoutError } from '../idempotency/claim-log';
import { CodeWebhookError } from '@phoenix/code';

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; violations?: Violation[] };
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  retryAfterSeconds?: number;
}

const GATEWAY_STATUS: Record<GatewayErrorCode, number> = {
  [GatewayErrorCode.Unauthenticated]: 401,
  [GatewayErrorCode.Forbidden]: 403,
  [GatewayErrorCode.BadRequest]: 400,
  [GatewayErrorCode.PayloadTooLarge]: 413,
  [GatewayErrorCode.UnsupportedMediaType]: 415,
  [GatewayErrorCode.IdempotencyKeyReused]: 422,
  [GatewayErrorCode.UnknownTopic]: 404,
  [GatewayErrorCode.NotFound]: 404,
  [GatewayErrorCode.Replayed]: 409,
  [GatewayErrorCode.Overloaded]: 429,
  [GatewayErrorCode.StateInvalid]: 500,
  [GatewayErrorCode.Unavailable]: 503,
  [GatewayErrorCode.RuleInvalid]: 422,
};

const CONTRACT_STATUS: Record<ContractErrorCode, number> = {
  [ContractErrorCode.EventInvalid]: 400,
  [ContractErrorCode.UnknownTopic]: 404,
  [ContractErrorCode.SchemaNotRegistered]: 503,
  [ContractErrorCode.SchemaIncompatible]: 500,
  [ContractErrorCode.RegistryUnavailable]: 503,
  [ContractErrorCode.DecodeFailed]: 500,
  [ContractErrorCode.SchemaFileInvalid]: 500,
};

const BUS_STATUS: Record<BusErrorCode, number> = {
  [BusErrorCode.BrokerUnavailable]: 503,
  [BusErrorCode.SendTimeout]: 503,
  [BusErrorCode.MessageTooLarge]: 413,
  [BusErrorCode.TopicNotFound]: 503,
  [BusErrorCode.ProduceFailed]: 502,
  [BusErrorCode.Closed]: 503,
  [BusErrorCode.HandlerConflict]: 500,
  [BusErrorCode.ConfigInvalid]: 500,
};

/** Maps typed errors (by class and code, never by message) to an HTTP status and body. */
export function mapError(err: unknown): MappedError {
  const body = (code: string, message: string, violations?: Violation[]): ErrorBody => ({
    error: { code, message, ...(violations ? { violations } : {}) },
  });
  if (err instanceof ClaimTimeoutError) return { status: 503, body: body('CLAIMS_UNAVAILABLE', 'the shared nonce and idempotency log did not answer in time; retry'), retryAfterSeconds: 5 };
  if (err instanceof CodeWebhookError) return { status: 400, body: body(err.code, err.message) };
  if (err instanceof AccessError) return { status: err.status, body: body(err.code, err.message), retryAfterSeconds: err.retryAfterSeconds };
  if (err instanceof GatewayError) {
    return { status: GATEWAY_STATUS[err.code], body: body(err.code, err.message, err.violations), retryAfterSeconds: err.code === GatewayErrorCode.Overloaded ? 1 : undefined };
  }
  if (err instanceof ContractError) {
    const status = CONTRACT_STATUS[err.code];
    return { status, body: body(err.code, err.message, err.details.violations), retryAfterSeconds: status === 503 ? 5 : undefined };
  }
  if (err instanceof BusError) {
    const status = BUS_STATUS[err.code];
    return { status, body: body(err.code, err.message), retryAfterSeconds: status === 503 ? 5 : undefined };
  }
  return { status: 500, body: body('INTERNAL', 'internal error') };
}
