import { PhoenixError } from '@phoenix/errors';

export enum CodeWebhookErrorCode {
  /** Signed correctly but not the payload its event header announces (a field missing or of another type). */
  Unreadable = 'CODE_PAYLOAD_UNREADABLE',
}

/** A code host's delivery Phoenix cannot turn into an event; the gateway answers 400. */
export class CodeWebhookError extends PhoenixError<CodeWebhookErrorCode> {
  constructor(code: CodeWebhookErrorCode, message: string) {
    super(code, message, { kind: 'record' });
  }
}
