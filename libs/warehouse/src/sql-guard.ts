import { Parser } from 'node-sql-parser';
import { RowScope, rowPredicate, scopeRows } from './row-scope';
import { WarehouseError, WarehouseErrorCode } from './warehouse.types';

export interface SqlGuardOptions {
  /** Parser dialect: snowflake, or postgresql for DuckDB. */
  dialect: 'snowflake' | 'postgresql';
  /** Tables a query may read (bare names, case-insensitive). */
  allowedTables: string[];
  /** Schemas a qualified table may belong to (case-insensitive); unqualified names are always allowed. */
  allowedSchemas: string[];
  /** Rows a query may return at most; the guard wraps the query in a LIMIT. */
  maxRows: number;
}

export interface GuardedSql {
  sql: string;
  tables: string[];
}

const WRITE_TYPES = new Set(['insert', 'update', 'delete', 'replace', 'create', 'drop', 'alter', 'truncate', 'merge', 'call', 'set', 'use', 'grant', 'revoke', 'rename', 'lock', 'unlock', 'copy', 'transaction', 'exec', 'execute', 'declare', 'load', 'attach', 'detach', 'pragma', 'install', 'export', 'import']);

/** Functions with effects beyond reading the allowed tables: file/network access, sleeping, admin. */
const DENIED_FUNCTION = /^(system\$.*|pg_sleep.*|sleep|read_\w+|glob|query|query_table|sniff_csv|parquet_\w+|json_execute_serialized_sql|http_\w+|copy|load|install|attach|export_\w+|current_setting|set_config|pg_read_file|pg_ls_dir|lo_\w+|dblink.*|getvariable|setvariable|nextval|setval|uuid_generate\w*)$/i;

function reject(reason: string): never {
  throw new WarehouseError(WarehouseErrorCode.NotReadOnly, `refused: ${reason}`);
}

/** Visits every object in the AST. */
function walk(node: unknown, visit: (n: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
  } else if (node && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    for (const v of Object.values(node)) walk(v, visit);
  }
}

function functionName(n: Record<string, unknown>): string | undefined {
  const name = n.name as unknown;
  if (typeof name === 'string') return name;
  // node-sql-parser 5: { name: { name: [{ type, value }] } }
  const parts = (name as { name?: { value?: string }[] } | undefined)?.name;
  if (Array.isArray(parts)) return parts.map((p) => p.value).join('.');
  return undefined;
}

/**
 * A parser-based read-only guard for generated SQL: exactly one statement, SELECT or WITH …
 * SELECT only, no data-changing statement anywhere in the tree (CTEs included), only allowed
 * tables and schemas, no side-effecting or file/network functions, and a row limit. SQL it cannot
 * parse is refused — the guard fails closed. With `rows`, every read of an allowed table is
 * narrowed to the caller's rows ({@link scopeRows}).
 */
export function guardSql(sql: string, opts: SqlGuardOptions, rows?: RowScope): GuardedSql {
  const text = sql.trim().replace(/;\s*$/, '');
  if (!text) reject('empty statement');
  const parser = new Parser();
  let ast: unknown;
  try {
    ast = parser.astify(text, { database: opts.dialect });
  } catch (err) {
    reject(`not a statement the guard can verify (${(err as Error).message.split('\n')[0].slice(0, 120)})`);
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1) reject(`${statements.length} statements; exactly one SELECT is allowed`);
  const root = statements[0] as Record<string, unknown>;
  if (root.type !== 'select') reject(`${String(root.type).toUpperCase()} statements are not allowed; only SELECT`);

  const cteNames = new Set<string>();
  walk(root, (n) => {
    if (typeof n.type === 'string' && WRITE_TYPES.has(n.type.toLowerCase())) reject(`${n.type.toUpperCase()} inside the query is not allowed`);
    if (n.type === 'function' || n.type === 'aggr_func') {
      const name = functionName(n);
      if (name && DENIED_FUNCTION.test(name.split('.').pop()!)) reject(`function ${name} is not allowed`);
      if (name && /(^|\.)system\$/i.test(name)) reject(`function ${name} is not allowed`);
    }
    if (n.into && (n.into as { position?: unknown }).position) reject('SELECT … INTO is not allowed');
    if (Array.isArray(n.from)) {
      for (const item of n.from as Record<string, unknown>[]) {
        const expr = item?.expr as Record<string, unknown> | undefined;
        // A table function in FROM (read_csv('…'), generate_series …) reads outside the allowed tables.
        if (expr && expr.type === 'function') reject(`table function ${functionName(expr) ?? ''} in FROM is not allowed`);
      }
    }
  });
  const withs = (root.with as { name?: { value?: string } | string }[] | null) ?? [];
  for (const w of withs) {
    const name = typeof w.name === 'string' ? w.name : w.name?.value;
    if (name) cteNames.add(name.toLowerCase());
  }

  let tableRefs: string[];
  try {
    tableRefs = parser.tableList(text, { database: opts.dialect });
  } catch (err) {
    reject(`tables cannot be determined (${(err as Error).message.slice(0, 80)})`);
  }
  const allowedTables = new Set(opts.allowedTables.map((t) => t.toLowerCase()));
  const allowedSchemas = new Set(opts.allowedSchemas.map((s) => s.toLowerCase()));
  const tables = new Set<string>();
  for (const ref of tableRefs) {
    const [op, schema, table] = ref.split('::');
    if (op.toLowerCase() !== 'select') reject(`${op.toUpperCase()} on ${table} is not allowed`);
    const t = table.toLowerCase();
    if (cteNames.has(t) && (schema === 'null' || !schema)) continue;
    if (schema && schema !== 'null' && !allowedSchemas.has(schema.toLowerCase())) reject(`schema ${schema} is not allowed`);
    if (!allowedTables.has(t)) reject(`table ${table} is not allowed (allowed: ${opts.allowedTables.join(', ')})`);
    tables.add(table);
  }
  const predicate = rows ? rowPredicate(rows, opts.dialect) : null;
  const scoped = predicate ? scopeRows(text, opts.allowedTables, predicate, opts.dialect) : text;
  // The limit wraps the whole query; the newline ends any trailing line comment.
  return { sql: `SELECT * FROM (\n${scoped}\n) AS guarded LIMIT ${Math.max(1, Math.floor(opts.maxRows))}`, tables: [...tables] };
}
