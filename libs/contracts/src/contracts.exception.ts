import { FailureKind, PhoenixError } from '@phoenix/errors';
export enum ContractErrorCode {
  /** The event does not match its topic's schema. */
  EventInvalid = 'EVENT_INVALID',
  /** No topic of that name in the catalogue. */
  UnknownTopic = 'UNKNOWN_TOPIC',
  /** The schema is not registered and auto-registration is off. */
  SchemaNotRegistered = 'SCHEMA_NOT_REGISTERED',
  /** The registry refused a schema as incompatible with the registered one. */
  SchemaIncompatible = 'SCHEMA_INCOMPATIBLE',
  /** The registry could not be reached or answered 5xx. */
  RegistryUnavailable = 'REGISTRY_UNAVAILABLE',
  /** Bytes on a topic could not be decoded. */
  DecodeFailed = 'DECODE_FAILED',
  /** A schema file is missing or malformed. */
  SchemaFileInvalid = 'SCHEMA_FILE_INVALID',
}

/** One reason an event was rejected, located by a JSON pointer into the event. */
export interface Violation {
  path: string;
  message: string;
}

const CONTRACT_KIND: Record<ContractErrorCode, FailureKind> = {
  [ContractErrorCode.EventInvalid]: 'record',
  [ContractErrorCode.UnknownTopic]: 'record',
  [ContractErrorCode.SchemaNotRegistered]: 'app',
  [ContractErrorCode.SchemaIncompatible]: 'app',
  [ContractErrorCode.RegistryUnavailable]: 'unavailable',
  [ContractErrorCode.DecodeFailed]: 'record',
  [ContractErrorCode.SchemaFileInvalid]: 'app',
};

export class ContractError extends PhoenixError<ContractErrorCode> {
  constructor(
    code: ContractErrorCode,
    message: string,
    readonly details: { violations?: Violation[]; topic?: string; cause?: unknown } = {},
  ) {
    super(code, message, { kind: CONTRACT_KIND[code], cause: details.cause });
  }
}
