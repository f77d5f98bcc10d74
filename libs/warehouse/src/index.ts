export * from './duckdb.driver';
export * from './sql-guard';
export * from './warehouse.types';
export * from './snowflake.driver';
export * from './sql-assistant';
export * from './row-scope';
