import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { JsonValue } from '@phoenix/contracts';
import { OffsetRow, OutboxRow, QueryResult, RawEventRow, WarehouseBatch, WarehouseDriver, duckdbWriteError, WarehouseError, WarehouseErrorCode } from './warehouse.types';

const DDL = [
  `CREATE TABLE IF NOT EXISTS RAW_EVENTS (
     event_id VARCHAR PRIMARY KEY,
     topic VARCHAR NOT NULL,
     "partition" INTEGER NOT NULL,
     "offset" BIGINT NOT NULL,
     type VARCHAR NOT NULL,
     source VARCHAR NOT NULL,
     key VARCHAR,
     occurred_at TIMESTAMP NOT NULL,
     ingested_at TIMESTAMP NOT NULL,
     correlation_id VARCHAR,
     causation_id VARCHAR,
     payload JSON,
     deleted_at TIMESTAMP,
     tenant VARCHAR)`,
  // Files made before tenants existed get the column (last, as the appender writes it).
  'ALTER TABLE RAW_EVENTS ADD COLUMN IF NOT EXISTS tenant VARCHAR',
  `CREATE TABLE IF NOT EXISTS KAFKA_OFFSETS (
     consumer VARCHAR NOT NULL,
     topic VARCHAR NOT NULL,
     "partition" INTEGER NOT NULL,
     next_offset BIGINT NOT NULL,
     updated_at TIMESTAMP NOT NULL,
     PRIMARY KEY (consumer, topic, "partition"))`,
  `CREATE TABLE IF NOT EXISTS MEMORY_OUTBOX (
     event_id VARCHAR PRIMARY KEY,
     op VARCHAR NOT NULL,
     request JSON NOT NULL,
     created_at TIMESTAMP NOT NULL,
     done_at TIMESTAMP)`,
];

const ts = (ms: number) => new DuckDBTimestampValue(BigInt(ms) * 1000n);

/** One RAW_EVENTS row through DuckDB's appender, columns in table order (payload as JSON text). */
export function appendRawEvent(a: DuckDBAppender, r: RawEventRow, payloadJson: string): void {
  a.appendVarchar(r.eventId);
  a.appendVarchar(r.topic);
  a.appendInteger(r.partition);
  a.appendBigInt(BigInt(r.offset));
  a.appendVarchar(r.type);
  a.appendVarchar(r.source);
  if (r.key === null) a.appendNull();
  else a.appendVarchar(r.key);
  a.appendTimestamp(ts(r.occurredAt));
  a.appendTimestamp(ts(r.ingestedAt));
  if (r.correlationId === null) a.appendNull();
  else a.appendVarchar(r.correlationId);
  if (r.causationId === null) a.appendNull();
  else a.appendVarchar(r.causationId);
  a.appendVarchar(payloadJson);
  a.appendNull();
  if (r.tenant == null) a.appendNull();
  else a.appendVarchar(r.tenant);
  a.endRow();
}

/**
 * The embedded warehouse: one DuckDB file, same tables and semantics as the Snowflake driver.
 * Rows are bulk-loaded with DuckDB's appender into a staging table and merged on event_id.
 */
export class DuckDbWarehouse implements WarehouseDriver {
  readonly kind = 'duckdb';
  private instance?: DuckDBInstance;
  private conn?: DuckDBConnection;
  private queue: Promise<unknown> = Promise.resolve();
  private pendingWrites: { batch: WarehouseBatch; resolve: () => void; reject: (e: Error) => void }[] = [];
  private draining = false;

  constructor(private readonly file: string) {}

  /** DuckDB connections run one statement at a time; writes and reads are serialized here. */
  private serial<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (!this.conn) throw new WarehouseError(WarehouseErrorCode.Unavailable, 'warehouse is closed');
      return work(this.conn);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async init(): Promise<void> {
    if (this.file !== ':memory:') fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.instance = await DuckDBInstance.create(this.file);
    this.conn = await this.instance.connect();
    for (const ddl of DDL) await this.conn.run(ddl);
  }

  /**
   * Group commit: batches that arrive while a write is running (the memory-writer flushes several
   * partitions at once) are written together in the next transaction, rows and offsets alike, so
   * each caller's exactly-once guarantee holds and the fixed cost of a DuckDB commit is shared.
   * A group ends after a batch with entity deletes, so later rows are never marked deleted by an
   * earlier delete. Every caller of a failed group sees the error — except when a value in one
   * batch is refused: then each batch is written alone and only the refused one fails.
   */
  writeBatch(batch: WarehouseBatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pendingWrites.push({ batch, resolve, reject });
      if (!this.draining) void this.drainWrites();
    });
  }

  private async drainWrites(): Promise<void> {
    this.draining = true;
    try {
      while (this.pendingWrites.length) {
        let n = this.pendingWrites.findIndex((w) => w.batch.deletes.length > 0) + 1;
        if (n === 0) n = this.pendingWrites.length;
        const group = this.pendingWrites.splice(0, n);
        try {
          await this.serial((c) => this.writeGroup(c, group.map((w) => w.batch)));
          for (const w of group) w.resolve();
        } catch (err) {
          if (group.length > 1 && err instanceof WarehouseError && err.code === WarehouseErrorCode.RecordRejected) {
            // One batch's value sank the group: write each alone, so only its own caller hears of it.
            for (const w of group) await this.serial((c) => this.writeGroup(c, [w.batch])).then(w.resolve, w.reject);
          } else {
            for (const w of group) w.reject(err as Error);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async writeGroup(c: DuckDBConnection, batches: WarehouseBatch[]): Promise<void> {
    const seen = new Set<string>();
    const batch: WarehouseBatch = { rows: [], offsets: [], outbox: [], deletes: [] };
    for (const b of batches) {
      // An event id twice (a producer retry, a re-delivery) is stored once, as a MERGE would.
      for (const r of b.rows) {
        if (seen.has(r.eventId)) continue;
        seen.add(r.eventId);
        batch.rows.push(r);
      }
      batch.offsets.push(...b.offsets);
      batch.outbox.push(...b.outbox);
      batch.deletes.push(...b.deletes);
    }
    await c.run('BEGIN TRANSACTION');
    try {
      if (batch.rows.length) {
        await c.run('CREATE TEMP TABLE IF NOT EXISTS STAGE_EVENTS AS SELECT * FROM RAW_EVENTS LIMIT 0');
        await c.run('DELETE FROM STAGE_EVENTS');
        const appender = await c.createAppender('STAGE_EVENTS', 'main', 'temp');
        for (const r of batch.rows) appendRawEvent(appender, r, JSON.stringify(r.payload));
        appender.flushSync();
        appender.closeSync();
        // MERGE semantics of the Snowflake driver: an event id already stored is left untouched.
        // The appender does not check JSON; the cast does, so a payload DuckDB cannot read back (e.g. a lone
        // UTF-16 surrogate) fails here, as a record error, instead of breaking every later query.
        await c.run('INSERT INTO RAW_EVENTS SELECT * REPLACE (payload::VARCHAR::JSON AS payload) FROM STAGE_EVENTS ON CONFLICT (event_id) DO NOTHING');
      }
      for (const d of batch.deletes) {
        if (d.eventId) await c.run('UPDATE RAW_EVENTS SET deleted_at = $1 WHERE event_id = $2 AND deleted_at IS NULL', [ts(d.deletedAt), d.eventId]);
        else await c.run('UPDATE RAW_EVENTS SET deleted_at = $1 WHERE topic = $2 AND key = $3 AND deleted_at IS NULL', [ts(d.deletedAt), d.topic, d.key]);
      }
      if (batch.outbox.length) {
        // One statement for the chunk's entries (one INSERT each cost ~1 ms, and held the
        // connection the memory applier reads from); `seq` keeps their order in the outbox.
        await c.run('CREATE TEMP TABLE IF NOT EXISTS STAGE_OUTBOX (seq INTEGER, event_id VARCHAR, op VARCHAR, request VARCHAR)');
        await c.run('DELETE FROM STAGE_OUTBOX');
        const appender = await c.createAppender('STAGE_OUTBOX', 'main', 'temp');
        const staged = new Set<string>();
        batch.outbox.forEach((o, i) => {
          if (staged.has(o.eventId)) return;
          staged.add(o.eventId);
          appender.appendInteger(i);
          appender.appendVarchar(o.eventId);
          appender.appendVarchar(o.op);
          appender.appendVarchar(JSON.stringify(o.request));
          appender.endRow();
        });
        appender.flushSync();
        appender.closeSync();
        await c.run('INSERT INTO MEMORY_OUTBOX SELECT event_id, op, request::JSON, now(), NULL FROM STAGE_OUTBOX ORDER BY seq ON CONFLICT (event_id) DO NOTHING');
      }
      for (const o of batch.offsets) {
        await c.run(
          `INSERT INTO KAFKA_OFFSETS VALUES ($1, $2, $3, $4, now())
           ON CONFLICT (consumer, topic, "partition") DO UPDATE SET next_offset = greatest(KAFKA_OFFSETS.next_offset, excluded.next_offset), updated_at = excluded.updated_at`,
          [o.consumer, o.topic, o.partition, BigInt(o.nextOffset)],
        );
      }
      await c.run('COMMIT');
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw duckdbWriteError(err);
    }
  }

  async storedOffsets(consumer: string): Promise<OffsetRow[]> {
    return this.serial(async (c) => {
      const r = await c.runAndReadAll('SELECT topic, "partition", next_offset FROM KAFKA_OFFSETS WHERE consumer = $1', [consumer]);
      return r.getRowObjects().map((o) => ({ consumer, topic: String(o.topic), partition: Number(o.partition), nextOffset: String(o.next_offset) }));
    });
  }

  async pendingOutbox(limit: number): Promise<(OutboxRow & { createdAt: number })[]> {
    return this.serial(async (c) => {
      const r = await c.runAndReadAll('SELECT event_id, op, request, epoch_ms(created_at) AS created FROM MEMORY_OUTBOX WHERE done_at IS NULL ORDER BY created_at, rowid LIMIT $1', [limit]);
      return r.getRowObjects().map((o) => ({ eventId: String(o.event_id), op: String(o.op) as OutboxRow['op'], request: JSON.parse(String(o.request)) as JsonValue, createdAt: Number(o.created) }));
    });
  }

  async markOutboxDone(eventIds: string[]): Promise<void> {
    if (!eventIds.length) return;
    await this.serial(async (c) => {
      const list = eventIds.map((_, i) => `$${i + 1}`).join(',');
      await c.run(`UPDATE MEMORY_OUTBOX SET done_at = now() WHERE event_id IN (${list})`, eventIds);
    });
  }

  async outboxBacklog(): Promise<number> {
    return this.serial(async (c) => Number((await c.runAndReadAll('SELECT count(*) AS n FROM MEMORY_OUTBOX WHERE done_at IS NULL')).getRowObjects()[0].n));
  }

  async query(sql: string): Promise<QueryResult> {
    return this.serial(async (c) => {
      try {
        const r = await c.runAndReadAll(sql);
        const columns = r.columnNames();
        const rows = r.getRowObjectsJson() as Record<string, JsonValue>[];
        return { columns, rows };
      } catch (err) {
        throw new WarehouseError(WarehouseErrorCode.QueryFailed, (err as Error).message, err);
      }
    });
  }

  async ping(): Promise<void> {
    await this.serial((c) => c.run('SELECT 1'));
  }

  async close(): Promise<void> {
    await this.queue;
    this.conn?.closeSync();
    this.conn = undefined;
    this.instance?.closeSync();
  }
}
