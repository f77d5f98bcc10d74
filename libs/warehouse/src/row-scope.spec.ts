import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Parser } from 'node-sql-parser';
import { DuckDbWarehouse } from './duckdb.driver';
import { rowPredicate, scopeRows } from './row-scope';
import { guardSql, SqlGuardOptions } from './sql-guard';
import { RawEventRow } from './warehouse.types';

const row = (id: string, topic: string, offset: number, payload: Record<string, string>): RawEventRow => ({
  eventId: id,
  topic,
  partition: 0,
  offset: String(offset),
  type: 't',
  source: 'spec',
  key: null,
  occurredAt: 1_700_000_000_000 + offset,
  ingestedAt: 1_700_000_000_000 + offset,
  correlationId: null,
  causationId: null,
  payload,
});

/** SQL written to read around a row scope; none may return a row outside it. */
const ESCAPES = [
  'SELECT * FROM RAW_EVENTS',
  "SELECT * FROM RAW_EVENTS WHERE topic = 'events.secret'",
  "SELECT * FROM RAW_EVENTS WHERE topic = 'cdc.crm.deal' OR 1 = 1",
  "SELECT event_id, topic FROM RAW_EVENTS WHERE topic LIKE 'cdc%' UNION ALL SELECT event_id, topic FROM raw_events WHERE topic = 'events.secret'",
  "SELECT * FROM (SELECT * FROM RAW_EVENTS WHERE topic = 'events.secret') AS x",
  "WITH s AS (SELECT * FROM RAW_EVENTS WHERE topic = 'events.secret') SELECT * FROM s",
  "SELECT a.* FROM RAW_EVENTS a JOIN RAW_EVENTS b ON a.event_id = b.event_id WHERE b.topic = 'events.secret'",
  "SELECT * FROM RAW_EVENTS WHERE event_id IN (SELECT event_id FROM RAW_EVENTS WHERE topic = 'events.secret')",
  "SELECT (SELECT count(*) FROM RAW_EVENTS WHERE topic = 'events.secret') AS n, topic FROM RAW_EVENTS",
  "SELECT * FROM main.RAW_EVENTS WHERE topic = 'events.secret'",
  "SELECT * FROM RAW_EVENTS /* WHERE topic = 'cdc.crm.deal' */ WHERE topic <> 'cdc.crm.deal' -- comment",
  "SELECT * FROM RAW_EVENTS WHERE EXISTS (SELECT 1 FROM RAW_EVENTS r2 WHERE r2.topic = 'events.secret')",
];

describe('row scopes on DuckDB', () => {
  let dir: string;
  let w: DuckDbWarehouse;
  const guard: SqlGuardOptions = { dialect: 'postgresql', allowedTables: ['RAW_EVENTS'], allowedSchemas: ['main'], maxRows: 1000 };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-rowscope-'));
    w = new DuckDbWarehouse(path.join(dir, 'w.duckdb'));
    await w.init();
    await w.writeBatch({
      rows: [
        row('c1', 'cdc.crm.deal', 1, { stage: 'won' }),
        row('c2', 'cdc.crm.deal', 2, { stage: 'lost' }),
        row('s1', 'events.secret', 3, { salary: '1' }),
        row('i1', 'interactions.chat', 4, { userId: 'ana', text: 'hi' }),
        row('i2', 'interactions.chat', 5, { userId: 'bob', text: 'yo' }),
      ],
      offsets: [],
      outbox: [],
      deletes: [],
    });
  });
  afterAll(async () => {
    await w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = async (sql: string, rows: Parameters<typeof guardSql>[2]) => (await w.query(guardSql(sql, guard, rows).sql)).rows;

  it.each(ESCAPES)('a cdc.* key reads no other topic: %s', async (sql) => {
    // Unscoped, the same SQL does reach the secret topic: the check below can fail.
    const open = await run(sql, undefined);
    expect(open.some((r) => r.topic === 'events.secret' || Number(r.n) > 0)).toBe(true);
    const rows = await run(sql, { topics: ['cdc.*'] });
    for (const r of rows) {
      if ('topic' in r) expect(r.topic).toBe('cdc.crm.deal');
      if ('n' in r) expect(Number(r.n)).toBe(0);
    }
  });

  it('keeps the rows it may read', async () => {
    expect((await run('SELECT event_id FROM RAW_EVENTS ORDER BY event_id', { topics: ['cdc.*'] })).map((r) => r.event_id)).toEqual(['c1', 'c2']);
    expect((await run('SELECT event_id FROM RAW_EVENTS ORDER BY event_id', undefined)).length).toBe(5);
    expect((await run("SELECT payload->>'$.stage' AS stage FROM RAW_EVENTS ORDER BY 1", { topics: ['cdc.crm.deal'] })).map((r) => r.stage)).toEqual(['lost', 'won']);
  });

  it('a user-bound key reads its own rows only', async () => {
    const rows = await run('SELECT event_id FROM RAW_EVENTS ORDER BY event_id', { topics: ['interactions.*'], userId: 'ana' });
    expect(rows.map((r) => r.event_id)).toEqual(['i1']);
    const escape = await run("SELECT event_id FROM RAW_EVENTS WHERE payload->>'$.userId' = 'bob' UNION ALL SELECT event_id FROM RAW_EVENTS", { topics: ['interactions.*'], userId: 'ana' });
    expect(escape.map((r) => r.event_id)).toEqual(['i1']);
  });

  it('a key with no readable topic reads nothing', async () => {
    expect(await run('SELECT * FROM RAW_EVENTS', { topics: [] })).toEqual([]);
  });

  it('refuses a CTE that shadows the table', () => {
    expect(() => guardSql("WITH raw_events AS (SELECT * FROM raw_events) SELECT * FROM raw_events", guard, { topics: ['cdc.*'] })).toThrow(/CTE may not be named like the table/);
  });

  it('escapes LIKE wildcards and quotes in globs and user ids', () => {
    expect(rowPredicate({ topics: ['a_b.*'], userId: "o'neil" }, 'postgresql')).toBe("(topic LIKE 'a!_b.%' ESCAPE '!') AND json_extract_string(payload, '$.userId') = 'o''neil'");
  });
});

describe('row scopes on Snowflake SQL', () => {
  it('splices the scoped subquery at every reference, keeping the caller’s text', () => {
    const sql = "SELECT r.topic, payload:stage::string FROM RAW_EVENTS r JOIN raw_events AS s ON r.event_id = s.event_id /* note */ WHERE r.event_id IN (SELECT event_id FROM PHOENIX.RAW_EVENTS)";
    const out = scopeRows(sql, ['RAW_EVENTS'], "topic = 'cdc.x'", 'snowflake');
    expect(out).toBe(
      "SELECT r.topic, payload:stage::string FROM (SELECT * FROM RAW_EVENTS WHERE topic = 'cdc.x') AS r JOIN (SELECT * FROM raw_events WHERE topic = 'cdc.x') AS s ON r.event_id = s.event_id /* note */ WHERE r.event_id IN (SELECT event_id FROM (SELECT * FROM PHOENIX.RAW_EVENTS WHERE topic = 'cdc.x') AS RAW_EVENTS)",
    );
    // The result is itself SQL the guard's parser reads, with every reference scoped.
    expect(() => new Parser().astify(out, { database: 'snowflake' })).not.toThrow();
  });
});
