import { PhoenixError } from '@phoenix/errors';
export enum AccessErrorCode {
  /** No key, or a key that matches none configured: 401. */
  Unauthenticated = 'UNAUTHENTICATED',
  /** A valid key whose scopes do not allow the action or resource: 403. */
  Forbidden = 'FORBIDDEN',
  /** The key's own rate (`rate:<n>`) is used up: 429 with Retry-After. */
  RateLimited = 'RATE_LIMITED',
}

export const ACCESS_STATUS: Record<AccessErrorCode, number> = {
  [AccessErrorCode.Unauthenticated]: 401,
  [AccessErrorCode.Forbidden]: 403,
  [AccessErrorCode.RateLimited]: 429,
};

/** Raised by every surface's access checks; mapped to HTTP by status code, never by message. */
export class AccessError extends PhoenixError<AccessErrorCode> {
  constructor(
    code: AccessErrorCode,
    message: string,
    /** Seconds, for RateLimited. */
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message, { kind: code === AccessErrorCode.RateLimited ? 'unavailable' : 'record' });
  }

  get status(): number {
    return ACCESS_STATUS[this.code];
  }
}
