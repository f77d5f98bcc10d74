import { Parser } from 'node-sql-parser';
import { WarehouseError, WarehouseErrorCode } from './warehouse.types';

/** The rows of RAW_EVENTS a caller may read: topics matching its globs (`null`: all), one user's only. */
export interface RowScope {
  topics: string[] | null;
  userId?: string;
  /** A tenant-bound key's tenant: rows of other tenants (and of none) are not its. */
  tenant?: string;
}

type Dialect = 'snowflake' | 'postgresql';

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** `events.*` → `topic LIKE 'events.%' ESCAPE '!'`; literal `_`, `%` and `!` escaped. */
function topicPredicate(globs: string[]): string {
  if (globs.length === 0) return '1 = 0';
  const terms = globs.map((g) => (g.includes('*') ? `topic LIKE ${quote(g.replace(/[!_%]/g, '!$&').replace(/\*/g, '%'))} ESCAPE '!'` : `topic = ${quote(g)}`));
  return `(${terms.join(' OR ')})`;
}

/** The predicate every read of RAW_EVENTS gets for this scope; `null` when it may read every row. */
export function rowPredicate(scope: RowScope, dialect: Dialect): string | null {
  const parts: string[] = [];
  if (scope.topics !== null) parts.push(topicPredicate(scope.topics));
  if (scope.tenant) parts.push(`tenant = ${quote(scope.tenant)}`);
  if (scope.userId) parts.push(dialect === 'snowflake' ? `payload:userId::string = ${quote(scope.userId)}` : `json_extract_string(payload, '$.userId') = ${quote(scope.userId)}`);
  return parts.length ? parts.join(' AND ') : null;
}

function refuse(reason: string): never {
  throw new WarehouseError(WarehouseErrorCode.NotReadOnly, `refused: ${reason}`);
}

interface FromItem {
  db?: string | null;
  table?: unknown;
  as?: string | null;
  loc?: { start: { offset: number }; end: { offset: number } };
  expr?: unknown;
  [k: string]: unknown;
}

/** Every FROM/JOIN item in the tree (subqueries, CTE bodies and set operations included). */
function fromItems(node: unknown, out: FromItem[] = [], skip?: WeakSet<object>): FromItem[] {
  if (Array.isArray(node)) for (const n of node) fromItems(n, out, skip);
  else if (node && typeof node === 'object') {
    if (skip?.has(node)) return out;
    const from = (node as { from?: unknown }).from;
    if (Array.isArray(from)) for (const f of from) if (f && typeof f === 'object') out.push(f as FromItem);
    for (const v of Object.values(node)) fromItems(v, out, skip);
  }
  return out;
}

/**
 * Rewrites a guarded SELECT so that every reference to a scoped table reads it through
 * `(SELECT * FROM <table> WHERE <predicate>) AS <alias>`: the predicate is added by construction,
 * wherever the table appears (joins, subqueries, CTE bodies, UNION branches), so no SQL the
 * caller writes can read around it. Snowflake text is spliced at the parser's locations (the
 * caller's identifiers stay as written); DuckDB's is regenerated from the rewritten tree.
 * Anything it cannot place is refused: the rewrite fails closed.
 */
export function scopeRows(text: string, tables: string[], predicate: string, dialect: Dialect): string {
  const parser = new Parser();
  const scoped = new Set(tables.map((t) => t.toLowerCase()));
  const parsed = parser.parse(text, { database: dialect, parseOptions: { includeLocations: true } } as never) as unknown as { ast: unknown };
  const root = (Array.isArray(parsed.ast) ? parsed.ast[0] : parsed.ast) as { with?: { name?: { value?: string } | string }[] | null };
  for (const w of root.with ?? []) {
    const name = typeof w.name === 'string' ? w.name : w.name?.value;
    if (name && scoped.has(name.toLowerCase())) refuse(`a CTE may not be named like the table ${name} for a key with row scopes`);
  }
  const isScoped = (f: FromItem) => typeof f.table === 'string' && scoped.has(f.table.toLowerCase());
  const targets = fromItems(root).filter(isScoped);
  if (targets.length === 0) return text;

  if (dialect === 'snowflake') {
    const spans = targets.map((f) => {
      if (!f.loc) refuse('a table reference without a position (cannot add the row scope)');
      const table = `${f.db ? `${f.db}.` : ''}${f.table as string}`;
      return { start: f.loc.start.offset, end: f.loc.end.offset, text: `(SELECT * FROM ${table} WHERE ${predicate}) AS ${f.as ?? (f.table as string)}` };
    });
    spans.sort((a, b) => b.start - a.start);
    for (let i = 1; i < spans.length; i++) if (spans[i].end > spans[i - 1].start) refuse('overlapping table references');
    let out = text;
    for (const s of spans) out = out.slice(0, s.start) + s.text + out.slice(s.end);
    return out;
  }

  const inserted = new WeakSet<object>();
  for (const f of targets) {
    const sub = parser.astify(`SELECT * FROM ${f.db ? `${f.db}.` : ''}${f.table as string} WHERE ${predicate}`, { database: dialect }) as unknown as object;
    inserted.add(sub);
    const alias = f.as ?? (f.table as string);
    for (const k of Object.keys(f)) delete f[k];
    Object.assign(f, { expr: { ast: sub, parentheses: true }, as: alias });
  }
  // Every reference now sits inside a scoped subquery, or the rewrite is refused.
  if (fromItems(root, [], inserted).some(isScoped)) refuse('a table reference the row scope could not wrap');
  return parser.sqlify(root as never, { database: dialect });
}
