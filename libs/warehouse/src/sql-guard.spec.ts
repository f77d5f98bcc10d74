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

  /**
   * Each refusal names its reason. "not a statement the guard can verify" (a parse failure) is
   * expected only where that dialect's parser cannot read the statement at all — never as a
   * catch-all that would let any parse failure pass for a refusal.
   */
  const UNPARSED = /^refused: not a statement the guard can verify/;
  const cases: [string, string, RegExp, RegExp?][] = [
    // name, statement, reason (both dialects), or [postgresql reason, snowflake reason]
    ['stacked statements', 'SELECT 1 FROM RAW_EVENTS; DROP TABLE RAW_EVENTS', /^refused: 2 statements; exactly one SELECT is allowed$/],
    ['stacked with comment', 'SELECT 1 FROM RAW_EVENTS /* x */; DELETE FROM RAW_EVENTS', /^refused: 2 statements; exactly one SELECT is allowed$/, UNPARSED],
    ['DML', "DELETE FROM RAW_EVENTS WHERE type = 'x'", /^refused: DELETE statements are not allowed; only SELECT$/, UNPARSED],
    ['DDL', 'DROP TABLE RAW_EVENTS', /^refused: DROP statements are not allowed; only SELECT$/],
    ['update', "UPDATE RAW_EVENTS SET type = 'x'", /^refused: UPDATE statements are not allowed; only SELECT$/],
    ['insert-select', 'INSERT INTO RAW_EVENTS SELECT * FROM RAW_EVENTS', /^refused: INSERT statements are not allowed; only SELECT$/],
    ['CTE-wrapped DML', 'WITH d AS (DELETE FROM RAW_EVENTS RETURNING *) SELECT * FROM d', UNPARSED],
    ['other tables', 'SELECT * FROM KAFKA_OFFSETS', /table KAFKA_OFFSETS is not allowed/],
    ['system catalog', 'SELECT * FROM information_schema.tables', /schema information_schema|not allowed/],
    ['joined forbidden table', 'SELECT * FROM RAW_EVENTS r JOIN MEMORY_OUTBOX m ON r.event_id = m.event_id', /MEMORY_OUTBOX is not allowed/],
    ['subquery on forbidden table', 'SELECT * FROM RAW_EVENTS WHERE event_id IN (SELECT event_id FROM KAFKA_OFFSETS)', /KAFKA_OFFSETS is not allowed/],
    ['sleep', 'SELECT pg_sleep(10) FROM RAW_EVENTS', /^refused: function pg_sleep is not allowed$/],
    ['file read', "SELECT * FROM read_csv('/etc/passwd')", /^refused: table function read_csv in FROM is not allowed$/],
    ['comment-hidden statement', 'SELECT 1 FROM RAW_EVENTS --\n; DROP TABLE RAW_EVENTS', /^refused: 2 statements; exactly one SELECT is allowed$/],
    ['select into', 'SELECT * INTO stolen FROM RAW_EVENTS', /^refused: SELECT … INTO is not allowed$/],
    ['empty', '  ;  ', /^refused: empty statement$/],
    ['garbage', 'please drop everything', UNPARSED],
  ];
  // Always four columns: jest passes a `done` callback to a test with more parameters than its row has.
  it.each(cases.map(([name, sql, why, snowflakeWhy]) => [name, sql, dialect === 'snowflake' && snowflakeWhy ? snowflakeWhy : why] as const))('refuses %s', (_name, sql, why) => refused(sql, why));
});

describe('SQL guard: Snowflake specifics', () => {
  it('refuses SYSTEM$ functions and accepts VARIANT paths', () => {
    expect(() => guardSql("SELECT SYSTEM$WAIT(10) FROM RAW_EVENTS", opts('snowflake'))).toThrow(/^refused: function SYSTEM\$WAIT is not allowed$/);
    expect(guardSql('SELECT payload:stage::string AS stage FROM RAW_EVENTS', opts('snowflake')).tables).toEqual(['RAW_EVENTS']);
  });
});
