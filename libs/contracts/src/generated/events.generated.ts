// Generated from schemas/ by `npm run schemas:types`. Do not edit by hand.
import { JsonValue } from '../json';

/** Every Phoenix event. Topic families replace `payload` with their own payload record; on free-form topics the payload is JSON text. */
export interface Envelope<TPayload = JsonValue> {
  /** UUIDv7; unique per event, consumers deduplicate on it. */
  id: string;
  /** What happened, dotted and past tense: deal.updated, chat.message.sent. */
  type: string;
  /** Version of the payload shape for this type. */
  version: number;
  /** Producing system or app: hubspot, gateway, cli, supervisor. */
  source: string;
  /** Entity key; also the Kafka message key, so per-entity order holds. */
  key: null | string;
  /** When it happened at the source. */
  occurredAt: number;
  /** When Phoenix accepted it. */
  ingestedAt: number;
  /** Shared by every event of one conversation, task or flow. */
  correlationId: null | string;
  /** Id of the event that caused this one. */
  causationId: null | string;
  /** Free-form JSON document. */
  payload: TPayload;
}

export type GenericEvent = Envelope<JsonValue>;

export type ChangeOp = 'create' | 'update' | 'delete' | 'snapshot' | 'truncate';

export interface SourcePosition {
  lsn: null | string;
  txId: null | string;
  /** Estuary `_meta.uuid`. */
  uuid: null | string;
}

/** One row change from a source system, normalized from Estuary Flow or Debezium. */
export interface ChangeEvent {
  /** Source system: hubspot, zendesk, postgres-erp. */
  system: string;
  /** Source schema or namespace. */
  schema: null | string;
  /** Source table or collection. */
  table: string;
  /** Primary key columns and values. */
  primaryKey: JsonValue;
  op: ChangeOp;
  /** Row before the change, when the source has it. */
  before: null | JsonValue;
  /** Row after the change; null for deletes. */
  after: null | JsonValue;
  changedFields: string[];
  position: SourcePosition;
  sourceTs: null | number;
  /** True for snapshot/backfill reads; these never trigger actions. */
  snapshot: boolean;
}

export type CdcEvent = Envelope<ChangeEvent>;
