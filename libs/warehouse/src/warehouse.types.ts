import { JsonValue } from '@phoenix/contracts';

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

/** Soft-delete every row of an entity (a CDC delete). */
export interface EntityDelete {
  topic: string;
  key: string;
  deletedAt: number;
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
  Unavailable = 'WAREHOUSE_UNAVAILABLE',
  QueryFailed = 'WAREHOUSE_QUERY_FAILED',
  NotReadOnly = 'SQL_NOT_READ_ONLY',
}

export class WarehouseError extends Error {
  constructor(
    readonly code: WarehouseErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'WarehouseError';
  }

  get retriable(): boolean {
    return this.code === WarehouseErrorCode.Unavailable;
  }
}
