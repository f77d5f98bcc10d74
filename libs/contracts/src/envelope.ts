import { v7 as uuidv7, validate as uuidValidate, version as uuidVersion } from 'uuid';
import { Envelope } from './generated/events.generated';

/** A new time-ordered event id (UUIDv7). */
export const newEventId = (): string => uuidv7();

export function isUuidV7(id: string): boolean {
  return uuidValidate(id) && uuidVersion(id) === 7;
}

export interface NewEvent<P> {
  type: string;
  source: string;
  payload: P;
  key?: string | null;
  id?: string;
  version?: number;
  occurredAt?: number;
  correlationId?: string | null;
  causationId?: string | null;
  tenant?: string | null;
}

/**
 * Fills the envelope around a payload: a fresh UUIDv7 id, timestamps, and a correlation id that
 * defaults to the event's own id (the event starts a new flow).
 */
export function createEnvelope<P>(e: NewEvent<P>, now: number = Date.now()): Envelope<P> {
  const id = e.id ?? newEventId();
  return {
    id,
    type: e.type,
    version: e.version ?? 1,
    source: e.source,
    key: e.key ?? null,
    occurredAt: e.occurredAt ?? now,
    ingestedAt: now,
    correlationId: e.correlationId ?? id,
    causationId: e.causationId ?? null,
    tenant: e.tenant ?? null,
    payload: e.payload,
  };
}

/** An event caused by `cause`: same correlation id, causation id = the cause's id. */
export function followUp<P>(cause: Pick<Envelope<unknown>, 'id' | 'correlationId'>, e: Omit<NewEvent<P>, 'correlationId' | 'causationId'>, now?: number): Envelope<P> {
  return createEnvelope({ ...e, correlationId: cause.correlationId ?? cause.id, causationId: cause.id }, now);
}
