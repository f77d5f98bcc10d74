import { guardSql, SqlGuardOptions } from './sql-guard';
import { WarehouseError } from './warehouse.types';

const opts = (dialect: SqlGuardOptions['dialect']): SqlGuardOptions => ({ dialect, allowedTables: ['RAW_EVENTS'], allowedSchemas: ['PHOENIX', 'main'], maxRows: 100 });

describe.each(['snowflake', 'postgresql'] as const)('SQL guard (%s)', (dialect) => {
  const ok = (sql: string) => guardSql(sql, opts(dialect));
  const refused = (sql: string, why: RegExp) => {
    let err: unknown;
    try {
      ok(sql);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WarehouseError);
    expect((err as Error).message).toMatch(why);
  };

  it('accepts plain reads and wraps them in a row limit', () => {
    const g = ok("SELECT type, count(*) AS n FROM RAW_EVENTS WHERE topic = 'cdc.hubspot.deals' GROUP BY type ORDER BY n DESC");
    expect(g.sql).toMatch(/LIMIT 100$/);
    expect(g.tables).toEqual(['RAW_EVENTS']);
    expect(ok('WITH won AS (SELECT * FROM raw_events WHERE type = \'deal.won\') SELECT count(*) FROM won').tables).toEqual(['raw_events']);
    expect(ok('SELECT * FROM RAW_EVENTS -- trailing comment').sql).toContain('\n) AS guarded');
  });

  it.each([
    ['stacked statements', 'SELECT 1 FROM RAW_EVENTS; DROP TABLE RAW_EVENTS', /2 statements|not a statement/],
    ['stacked with comment', 'SELECT 1 FROM RAW_EVENTS /* x */; DELETE FROM RAW_EVENTS', /statements|not a statement/],
    ['DML', "DELETE FROM RAW_EVENTS WHERE type = 'x'", /DELETE|not a statement/],
    ['DDL', 'DROP TABLE RAW_EVENTS', /DROP|not a statement/],
    ['update', "UPDATE RAW_EVENTS SET type = 'x'", /UPDATE|not a statement/],
    ['insert-select', 'INSERT INTO RAW_EVENTS SELECT * FROM RAW_EVENTS', /INSERT|not a statement/],
    ['CTE-wrapped DML', 'WITH d AS (DELETE FROM RAW_EVENTS RETURNING *) SELECT * FROM d', /DELETE|not a statement/],
    ['other tables', 'SELECT * FROM KAFKA_OFFSETS', /table KAFKA_OFFSETS is not allowed/],
    ['system catalog', 'SELECT * FROM information_schema.tables', /schema information_schema|not allowed/],
    ['joined forbidden table', 'SELECT * FROM RAW_EVENTS r JOIN MEMORY_OUTBOX m ON r.event_id = m.event_id', /MEMORY_OUTBOX is not allowed/],
    ['subquery on forbidden table', 'SELECT * FROM RAW_EVENTS WHERE event_id IN (SELECT event_id FROM KAFKA_OFFSETS)', /KAFKA_OFFSETS is not allowed/],
    ['sleep', 'SELECT pg_sleep(10) FROM RAW_EVENTS', /pg_sleep is not allowed|not a statement/],
    ['file read', "SELECT * FROM read_csv('/etc/passwd')", /not allowed|not a statement/],
    ['comment-hidden statement', 'SELECT 1 FROM RAW_EVENTS --\n; DROP TABLE RAW_EVENTS', /statements|not a statement/],
    ['select into', 'SELECT * INTO stolen FROM RAW_EVENTS', /INTO|not allowed|not a statement/],
    ['empty', '  ;  ', /empty|not a statement/],
    ['garbage', 'please drop everything', /not a statement/],
  ])('refuses %s', (_name, sql, why) => refused(sql, why));
});

describe('SQL guard: Snowflake specifics', () => {
  it('refuses SYSTEM$ functions and accepts VARIANT paths', () => {
    expect(() => guardSql("SELECT SYSTEM$WAIT(10) FROM RAW_EVENTS", opts('snowflake'))).toThrow(/not allowed|not a statement/);
    expect(guardSql('SELECT payload:stage::string AS stage FROM RAW_EVENTS', opts('snowflake')).tables).toEqual(['RAW_EVENTS']);
  });
});
