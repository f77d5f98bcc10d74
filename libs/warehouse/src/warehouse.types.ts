import { JsonValue } from '@phoenix/contracts';
import { FailureKind, PhoenixError } from '@phoenix/errors';

/** One row of RAW_EVENTS: an event as it crossed Phoenix. */
export interface RawEventRow {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  type: string;
  source: string;
  key: string | null;
  occurredAt: number;
  ingestedAt: number;
  correlationId: string | null;
  causationId: string | null;
  payload: JsonValue;
  /** From the envelope (tenant-bound keys); null for events without one. */
  tenant?: string | null;
}

/** Where a consumer group is in a partition, stored in the same transaction as the rows. */
export interface OffsetRow {
  consumer: string;
  topic: string;
  partition: number;
  /** The next offset to read. */
  nextOffset: string;
}

/** A memory change to apply after the rows are durable (transactional outbox). */
export interface OutboxRow {
  eventId: string;
  op: 'add' | 'delete';
  request: JsonValue;
}

/** Soft-delete every row of an entity (a CDC delete, a forget), or only one event's row of it. */
export interface EntityDelete {
  topic: string;
  key: string;
  deletedAt: number;
  /** Only this event's row (one of a forgotten entity's events that arrived after the request). */
  eventId?: string;
}

export interface WarehouseBatch {
  rows: RawEventRow[];
  offsets: OffsetRow[];
  outbox: OutboxRow[];
  deletes: EntityDelete[];
}

export interface QueryResult {
  columns: string[];
  rows: Record<string, JsonValue>[];
}

/** The warehouse as Phoenix uses it: Snowflake in production, DuckDB embedded. */
export interface WarehouseDriver {
  readonly kind: 'duckdb' | 'snowflake';
  /** Creates the tables if missing. */
  init(): Promise<void>;
  /** Writes rows (merge on event_id), soft deletes, offsets and outbox entries in one transaction. */
  writeBatch(batch: WarehouseBatch): Promise<void>;
  storedOffsets(consumer: string): Promise<OffsetRow[]>;
  pendingOutbox(limit: number): Promise<(OutboxRow & { createdAt: number })[]>;
  markOutboxDone(eventIds: string[]): Promise<void>;
  /** Outbox entries not yet applied (how far memory is behind the warehouse). */
  outboxBacklog(): Promise<number>;
  /** Runs a statement the SQL guard has already approved. */
  query(sql: string): Promise<QueryResult>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export enum WarehouseErrorCode {
  /** Cannot take writes now (network, lock, outage): retry. */
  Unavailable = 'WAREHOUSE_UNAVAILABLE',
  /** Refuses a value in the batch, and always will (bad data for its column type). */
  RecordRejected = 'WAREHOUSE_RECORD_REJECTED',
  /** No write can succeed: a missing table, a permission, a wrong database. */
  Misconfigured = 'WAREHOUSE_MISCONFIGURED',
  QueryFailed = 'WAREHOUSE_QUERY_FAILED',
  NotReadOnly = 'SQL_NOT_READ_ONLY',
}

const WAREHOUSE_KIND: Record<WarehouseErrorCode, FailureKind> = {
  [WarehouseErrorCode.Unavailable]: 'unavailable',
  [WarehouseErrorCode.RecordRejected]: 'record',
  [WarehouseErrorCode.Misconfigured]: 'app',
  [WarehouseErrorCode.QueryFailed]: 'record',
  [WarehouseErrorCode.NotReadOnly]: 'record',
};

export class WarehouseError extends PhoenixError<WarehouseErrorCode> {
  constructor(code: WarehouseErrorCode, message: string, cause?: unknown) {
    super(code, message, { kind: WAREHOUSE_KIND[code], cause });
  }
}

/** DuckDB's error types (the message prefix): which are about the data, which about the setup. */
const DUCKDB_RECORD = /^(Conversion|Constraint|Invalid Input|Out of Range|Mismatch Type) Error/;
const DUCKDB_APP = /^(Catalog|Binder|Parser|Permission|Not implemented|Syntax) Error/;

/** A DuckDB write failure, classified by DuckDB's error type. */
export function duckdbWriteError(err: unknown): WarehouseError {
  const message = (err as Error).message ?? String(err);
  const code = DUCKDB_RECORD.test(message) ? WarehouseErrorCode.RecordRejected : DUCKDB_APP.test(message) ? WarehouseErrorCode.Misconfigured : WarehouseErrorCode.Unavailable;
  return new WarehouseError(code, `DuckDB write failed: ${message}`, err);
}

/**
 * A Snowflake failure, classified by SQLSTATE class: 22 (data exception) and 23 (integrity) are
 * about a value; 42 (syntax or access rule: missing table, no privilege), 28 (authorization),
 * 3D/3F (database/schema) and 0A (not supported) are about the setup; everything else — no
 * SQLSTATE at all (network, HTTP 5xx, timeouts), 08 (connection), 57/58 (resources) — is retried.
 */
export function snowflakeError(err: unknown, what: string): WarehouseError {
  const state = String((err as { sqlState?: unknown }).sqlState ?? '');
  const cls = state.slice(0, 2).toUpperCase();
  const code = cls === '22' || cls === '23' ? WarehouseErrorCode.RecordRejected : ['42', '28', '3D', '3F', '0A'].includes(cls) ? WarehouseErrorCode.Misconfigured : WarehouseErrorCode.Unavailable;
  return new WarehouseError(code, `Snowflake ${what} failed${state ? ` (SQLSTATE ${state})` : ''}: ${(err as Error).message}`, err);
}
