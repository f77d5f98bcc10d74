import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDbWarehouse } from './duckdb.driver';
import { duckdbWriteError, RawEventRow, snowflakeError, WarehouseBatch, WarehouseError, WarehouseErrorCode } from './warehouse.types';

const row = (id: string, key: string | null, offset: number, partition = 0): RawEventRow => ({
  eventId: id,
  topic: 'cdc.crm.deal',
  partition,
  offset: String(offset),
  type: 'cdc.change',
  source: 'spec',
  key,
  occurredAt: 1_700_000_000_000 + offset,
  ingestedAt: 1_700_000_000_000 + offset,
  correlationId: null,
  causationId: null,
  payload: { n: offset },
});

const batch = (b: Partial<WarehouseBatch>): WarehouseBatch => ({ rows: [], offsets: [], outbox: [], deletes: [], ...b });

describe('DuckDbWarehouse group commit', () => {
  let dir: string;
  let w: DuckDbWarehouse;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-duckdb-'));
    w = new DuckDbWarehouse(path.join(dir, 'w.duckdb'));
    await w.init();
  });
  afterEach(async () => {
    await w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores every row and the furthest offset of concurrent batches, a duplicated event id once', async () => {
    const writes = Array.from({ length: 6 }, (_, p) =>
      w.writeBatch(
        batch({
          rows: Array.from({ length: 50 }, (_, i) => row(`e-${p}-${i}`, `k${i}`, i, p)).concat(p === 0 ? [row('e-1-0', 'k0', 99, 0)] : []),
          offsets: [{ consumer: 'c', topic: 'cdc.crm.deal', partition: p, nextOffset: String(50 + p) }],
        }),
      ),
    );
    await Promise.all(writes);
    const n = await w.query('SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS d FROM RAW_EVENTS');
    expect(n.rows[0]).toEqual({ n: 300, d: 300 });
    const offsets = await w.storedOffsets('c');
    expect(offsets.sort((a, b) => a.partition - b.partition).map((o) => o.nextOffset)).toEqual(['50', '51', '52', '53', '54', '55']);
  });

  it('never lets an earlier batch’s delete mark a later batch’s row deleted', async () => {
    // The first write is in flight while the next two queue up behind it.
    const first = w.writeBatch(batch({ rows: [row('old', 'deal-1', 1)] }));
    const del = w.writeBatch(batch({ rows: [row('del', 'deal-1', 2)], deletes: [{ topic: 'cdc.crm.deal', key: 'deal-1', deletedAt: 1_700_000_000_002 }] }));
    const recreate = w.writeBatch(batch({ rows: [row('again', 'deal-1', 3)] }));
    await Promise.all([first, del, recreate]);
    const r = await w.query(`SELECT event_id, deleted_at IS NOT NULL AS deleted FROM RAW_EVENTS ORDER BY "offset"`);
    expect(r.rows).toEqual([
      { event_id: 'old', deleted: true },
      { event_id: 'del', deleted: true },
      { event_id: 'again', deleted: false },
    ]);
  });

  it('fails every caller of a failed group and stores nothing of it', async () => {
    await w.close();
    await expect(w.writeBatch(batch({ rows: [row('x', null, 1)] }))).rejects.toThrow('warehouse is closed');
    w = new DuckDbWarehouse(path.join(dir, 'w.duckdb'));
    await w.init();
    expect((await w.query('SELECT count(*)::INT AS n FROM RAW_EVENTS')).rows[0]).toEqual({ n: 0 });
  });
});

describe('DuckDbWarehouse failure classes', () => {
  let dir: string;
  let w: DuckDbWarehouse;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-duckdb-'));
    w = new DuckDbWarehouse(path.join(dir, 'w.duckdb'));
    await w.init();
  });
  afterEach(async () => {
    await w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a value DuckDB cannot store (a lone UTF-16 surrogate in JSON) fails only its own batch, as a record error', async () => {
    const bad = { ...row('bad', 'k', 7, 1), payload: { text: 'broken \ud800 text' } };
    const results = await Promise.allSettled([
      w.writeBatch(batch({ rows: [row('a', 'k', 1, 0)], offsets: [{ consumer: 'c', topic: 'cdc.crm.deal', partition: 0, nextOffset: '2' }] })),
      w.writeBatch(batch({ rows: [bad], offsets: [{ consumer: 'c', topic: 'cdc.crm.deal', partition: 1, nextOffset: '8' }] })),
      w.writeBatch(batch({ rows: [row('b', 'k', 3, 2)], offsets: [{ consumer: 'c', topic: 'cdc.crm.deal', partition: 2, nextOffset: '4' }] })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const err = (results[1] as PromiseRejectedResult).reason as WarehouseError;
    expect(err).toBeInstanceOf(WarehouseError);
    expect(err.code).toBe(WarehouseErrorCode.RecordRejected);
    expect(err.kind).toBe('record');
    expect(err.message).toMatch(/Conversion Error/);
    const rows = await w.query('SELECT event_id FROM RAW_EVENTS ORDER BY event_id');
    expect(rows.rows.map((r) => r.event_id)).toEqual(['a', 'b']);
  });

  it('classifies DuckDB and Snowflake errors by type: data → record, setup → app, the rest → unavailable', () => {
    expect(duckdbWriteError(new Error('Conversion Error: Malformed JSON')).kind).toBe('record');
    expect(duckdbWriteError(new Error('Constraint Error: NOT NULL constraint failed')).kind).toBe('record');
    expect(duckdbWriteError(new Error('Catalog Error: Table with name RAW_EVENTS does not exist!')).kind).toBe('app');
    expect(duckdbWriteError(new Error('IO Error: Could not set lock on file')).kind).toBe('unavailable');
    const sf = (sqlState: string | undefined) => Object.assign(new Error('x'), { sqlState });
    expect(snowflakeError(sf('22018'), 'write').kind).toBe('record');
    expect(snowflakeError(sf('42S02'), 'write').kind).toBe('app');
    expect(snowflakeError(sf('08001'), 'write').kind).toBe('unavailable');
    expect(snowflakeError(sf(undefined), 'write').kind).toBe('unavailable');
    expect(snowflakeError(sf('42501'), 'write').message).toMatch(/SQLSTATE 42501/);
  });
});
