import type { Connection, SnowflakeError } from 'snowflake-sdk';
import { JsonValue } from '@phoenix/contracts';
import { PhoenixLogger } from '@phoenix/observability';
import { OffsetRow, OutboxRow, QueryResult, WarehouseBatch, WarehouseDriver, snowflakeError, WarehouseError, WarehouseErrorCode } from './warehouse.types';
import { setLibraryEnv } from '@phoenix/config';

export interface SnowflakeSettings {
  account: string;
  username: string;
  password: string;
  database: string;
  schema: string;
  warehouse?: string;
  role?: string;
  /** Overrides the account URL (a local fakesnow in tests). */
  accessUrl?: string;
}

const DDL = [
  `CREATE TABLE IF NOT EXISTS RAW_EVENTS (
     event_id VARCHAR PRIMARY KEY, topic VARCHAR NOT NULL, "partition" INTEGER NOT NULL, "offset" BIGINT NOT NULL,
     type VARCHAR NOT NULL, source VARCHAR NOT NULL, key VARCHAR, occurred_at TIMESTAMP_NTZ NOT NULL, ingested_at TIMESTAMP_NTZ NOT NULL,
     correlation_id VARCHAR, causation_id VARCHAR, payload VARIANT, deleted_at TIMESTAMP_NTZ, tenant VARCHAR)`,
  'ALTER TABLE RAW_EVENTS ADD COLUMN IF NOT EXISTS tenant VARCHAR',
  `CREATE TABLE IF NOT EXISTS KAFKA_OFFSETS (
     consumer VARCHAR NOT NULL, topic VARCHAR NOT NULL, "partition" INTEGER NOT NULL, next_offset BIGINT NOT NULL, updated_at TIMESTAMP_NTZ NOT NULL,
     PRIMARY KEY (consumer, topic, "partition"))`,
  `CREATE TABLE IF NOT EXISTS MEMORY_OUTBOX (
     event_id VARCHAR PRIMARY KEY, op VARCHAR NOT NULL, request VARIANT NOT NULL, created_at TIMESTAMP_NTZ NOT NULL, done_at TIMESTAMP_NTZ)`,
];

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/**
 * Snowflake through the official `snowflake-sdk`: rows merged on event_id (payload as VARIANT via
 * PARSE_JSON), per-partition offsets and the memory outbox stored beside them.
 */
export class SnowflakeWarehouse implements WarehouseDriver {
  readonly kind = 'snowflake';
  private conn?: Connection;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly settings: SnowflakeSettings,
    private readonly logger: PhoenixLogger,
  ) {}

  private async connect(): Promise<Connection> {
    if (this.conn?.isUp()) return this.conn;
    // The driver probes cloud metadata addresses when it loads unless told not to: never.
    setLibraryEnv('SNOWFLAKE_DISABLE_PLATFORM_DETECTION');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const snowflake = require('snowflake-sdk') as typeof import('snowflake-sdk');
    snowflake.configure({ logLevel: 'ERROR' });
    const s = this.settings;
    const conn = snowflake.createConnection({
      account: s.account,
      username: s.username,
      password: s.password,
      database: s.database,
      schema: s.schema,
      warehouse: s.warehouse,
      role: s.role,
      ...(s.accessUrl ? { accessUrl: s.accessUrl } : {}),
      // Binds stay inline: staging array binds needs a stage, which emulators lack.
      arrayBindingThreshold: 1_000_000,
      timeout: 30000,
    } as never);
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    this.conn = conn;
    return conn;
  }

  private exec(sqlText: string, binds: (string | number | null)[] = []): Promise<Record<string, unknown>[]> {
    return new Promise((resolve, reject) => {
      this.conn!.execute({
        sqlText,
        binds: binds as never,
        complete: (err: SnowflakeError | undefined, _stmt: unknown, rows: unknown[] | undefined) => (err ? reject(err) : resolve((rows ?? []) as Record<string, unknown>[])),
      });
    });
  }

  /** One statement sequence at a time on the connection; connection problems are retriable. */
  private serial<T>(work: () => Promise<T>, what: string): Promise<T> {
    const run = this.queue.then(async () => {
      try {
        await this.connect();
      } catch (err) {
        throw new WarehouseError(WarehouseErrorCode.Unavailable, `Snowflake unreachable: ${(err as Error).message}`, err);
      }
      try {
        return await work();
      } catch (err) {
        if (err instanceof WarehouseError) throw err;
        // Connection-level failures (network, 5xx) leave the connection unusable: reconnect next time.
        if (!this.conn?.isUp()) this.conn = undefined;
        throw snowflakeError(err, what);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async init(): Promise<void> {
    await this.serial(async () => {
      for (const ddl of DDL) await this.exec(ddl);
    }, 'init');
  }

  /**
   * Each step is idempotent and they run in this order — rows, outbox, soft deletes, then offsets —
   * so the stored offset never gets ahead of the data it covers, and a crash between steps only
   * means the same events are merged again (a no-op). The whole batch travels as one JSON bind
   * unpacked with LATERAL FLATTEN (one statement, one bind, fast even for 1000s of rows).
   */
  async writeBatch(batch: WarehouseBatch): Promise<void> {
    await this.serial(async () => {
      if (batch.rows.length) {
        const json = JSON.stringify(batch.rows.map((r) => ({ ...r, occurredAt: iso(r.occurredAt), ingestedAt: iso(r.ingestedAt), payload: JSON.stringify(r.payload) })));
        await this.exec(
          `MERGE INTO RAW_EVENTS t USING (
             SELECT f.value:eventId::VARCHAR AS event_id, f.value:topic::VARCHAR AS topic, f.value:partition::INTEGER AS "partition",
                    f.value:offset::BIGINT AS "offset", f.value:type::VARCHAR AS type, f.value:source::VARCHAR AS source,
                    f.value:key::VARCHAR AS key, f.value:occurredAt::TIMESTAMP_NTZ AS occurred_at, f.value:ingestedAt::TIMESTAMP_NTZ AS ingested_at,
                    f.value:correlationId::VARCHAR AS correlation_id, f.value:causationId::VARCHAR AS causation_id,
                    PARSE_JSON(f.value:payload::VARCHAR) AS payload, f.value:tenant::VARCHAR AS tenant
             FROM (SELECT PARSE_JSON(?) AS j) src, LATERAL FLATTEN(input => src.j) f) s
           ON t.event_id = s.event_id
           WHEN NOT MATCHED THEN INSERT (event_id, topic, "partition", "offset", type, source, key, occurred_at, ingested_at, correlation_id, causation_id, payload, tenant)
             VALUES (s.event_id, s.topic, s."partition", s."offset", s.type, s.source, s.key, s.occurred_at, s.ingested_at, s.correlation_id, s.causation_id, s.payload, s.tenant)`,
          [json],
        );
      }
      if (batch.outbox.length) {
        const json = JSON.stringify(batch.outbox.map((o) => ({ eventId: o.eventId, op: o.op, request: JSON.stringify(o.request) })));
        await this.exec(
          `MERGE INTO MEMORY_OUTBOX t USING (
             SELECT f.value:eventId::VARCHAR AS event_id, f.value:op::VARCHAR AS op, PARSE_JSON(f.value:request::VARCHAR) AS request
             FROM (SELECT PARSE_JSON(?) AS j) src, LATERAL FLATTEN(input => src.j) f) s
           ON t.event_id = s.event_id
           WHEN NOT MATCHED THEN INSERT (event_id, op, request, created_at) VALUES (s.event_id, s.op, s.request, CURRENT_TIMESTAMP())`,
          [json],
        );
      }
      for (const d of batch.deletes) {
        if (d.eventId) await this.exec('UPDATE RAW_EVENTS SET deleted_at = TO_TIMESTAMP_NTZ(?) WHERE event_id = ? AND deleted_at IS NULL', [iso(d.deletedAt), d.eventId]);
        else await this.exec('UPDATE RAW_EVENTS SET deleted_at = TO_TIMESTAMP_NTZ(?) WHERE topic = ? AND key = ? AND deleted_at IS NULL', [iso(d.deletedAt), d.topic, d.key]);
      }
      if (batch.offsets.length) {
        const json = JSON.stringify(batch.offsets);
        await this.exec(
          `MERGE INTO KAFKA_OFFSETS t USING (
             SELECT f.value:consumer::VARCHAR AS consumer, f.value:topic::VARCHAR AS topic, f.value:partition::INTEGER AS "partition", f.value:nextOffset::BIGINT AS next_offset
             FROM (SELECT PARSE_JSON(?) AS j) src, LATERAL FLATTEN(input => src.j) f) s
           ON t.consumer = s.consumer AND t.topic = s.topic AND t."partition" = s."partition"
           WHEN MATCHED THEN UPDATE SET next_offset = GREATEST(t.next_offset, s.next_offset), updated_at = CURRENT_TIMESTAMP()
           WHEN NOT MATCHED THEN INSERT (consumer, topic, "partition", next_offset, updated_at) VALUES (s.consumer, s.topic, s."partition", s.next_offset, CURRENT_TIMESTAMP())`,
          [json],
        );
      }
    }, 'write');
  }

  async storedOffsets(consumer: string): Promise<OffsetRow[]> {
    return this.serial(async () => {
      const rows = await this.exec('SELECT topic AS topic, "partition" AS "partition", next_offset AS next_offset FROM KAFKA_OFFSETS WHERE consumer = ?', [consumer]);
      return rows.map((r) => ({ consumer, topic: String(r.TOPIC ?? r.topic), partition: Number(r.partition ?? r.PARTITION), nextOffset: String(r.NEXT_OFFSET ?? r.next_offset) }));
    }, 'offsets');
  }

  async pendingOutbox(limit: number): Promise<(OutboxRow & { createdAt: number })[]> {
    return this.serial(async () => {
      const rows = await this.exec(`SELECT event_id AS event_id, op AS op, request AS request, DATE_PART(epoch_millisecond, created_at) AS created FROM MEMORY_OUTBOX WHERE done_at IS NULL ORDER BY created_at LIMIT ${Math.floor(limit)}`);
      return rows.map((r) => ({ eventId: String(r.EVENT_ID ?? r.event_id), op: String(r.OP ?? r.op) as OutboxRow['op'], request: parseJson(r.REQUEST ?? r.request), createdAt: Number(r.CREATED ?? r.created) }));
    }, 'outbox');
  }

  async markOutboxDone(eventIds: string[]): Promise<void> {
    if (!eventIds.length) return;
    await this.serial(async () => {
      await this.exec(`UPDATE MEMORY_OUTBOX SET done_at = CURRENT_TIMESTAMP() WHERE event_id IN (${eventIds.map(() => '?').join(',')})`, eventIds);
    }, 'outbox');
  }

  async outboxBacklog(): Promise<number> {
    return this.serial(async () => {
      const rows = await this.exec('SELECT count(*) AS n FROM MEMORY_OUTBOX WHERE done_at IS NULL');
      return Number(rows[0]?.N ?? rows[0]?.n ?? 0);
    }, 'outbox');
  }

  async query(sql: string): Promise<QueryResult> {
    return this.serial(async () => {
      try {
        const rows = await this.exec(sql);
        return { columns: rows[0] ? Object.keys(rows[0]) : [], rows: rows as Record<string, JsonValue>[] };
      } catch (err) {
        throw new WarehouseError(WarehouseErrorCode.QueryFailed, (err as Error).message, err);
      }
    }, 'query');
  }

  /** Runs an internal statement that returns one text value (e.g. SNOWFLAKE.CORTEX.COMPLETE). */
  async scalarText(sql: string, binds: string[]): Promise<string> {
    return this.serial(async () => {
      const rows = await this.exec(sql, binds);
      return String(Object.values(rows[0] ?? {})[0] ?? '');
    }, 'complete');
  }

  async ping(): Promise<void> {
    await this.serial(() => this.exec('SELECT 1'), 'ping');
  }

  async close(): Promise<void> {
    await this.queue;
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await new Promise<void>((resolve) => conn.destroy(() => resolve()));
    this.logger.debug('snowflake connection closed');
  }
}

function parseJson(v: unknown): JsonValue {
  return (typeof v === 'string' ? JSON.parse(v) : v) as JsonValue;
}
