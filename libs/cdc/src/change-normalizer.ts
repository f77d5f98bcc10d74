import { ChangeEvent, ChangeOp, JsonObject, JsonValue } from '@phoenix/contracts';
import { PhoenixError } from '@phoenix/errors';

/** Where a source stream's documents come from and how to name them. */
export interface StreamSource {
  /** Source system: hubspot, zendesk, erp. */
  system: string;
  /** Entity (table) name used in `cdc.<system>.<entity>` when the document does not say. */
  entity: string;
  /** Primary key columns, when the message key does not carry them (Estuary collection key). */
  keyFields?: string[];
}

/** A document that is not a change event Phoenix understands. */
export class UnreadableChange extends PhoenixError<'CDC_UNREADABLE'> {
  constructor(reason: string) {
    super('CDC_UNREADABLE', reason, { kind: 'record' });
  }
}

/** A tombstone: the follow-up of a delete, nothing to emit. */
export const TOMBSTONE = Symbol('tombstone');

export interface NormalizedChange {
  change: ChangeEvent;
  /** Entity key: the Kafka key of the canonical event (per-entity order). */
  key: string;
  /** The source's own event type, e.g. `deals.update`. */
  type: string;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JsonConverter with schemas.enable wraps records as { schema, payload }. */
function unwrap(v: unknown): unknown {
  return isObject(v) && 'payload' in v && 'schema' in v ? v.payload : v;
}

function pick(row: JsonObject | null, fields: string[]): JsonObject | null {
  if (!row) return null;
  const out: JsonObject = {};
  for (const f of fields) {
    const name = f.replace(/^\//, '');
    if (!(name in row)) return null;
    out[name] = row[name];
  }
  return out;
}

/** Fields whose values differ between before and after (all of after when there is no before). */
export function changedFields(before: JsonObject | null, after: JsonObject | null): string[] {
  if (!after) return before ? Object.keys(before).sort() : [];
  if (!before) return Object.keys(after).sort();
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null)).sort();
}

const stableKey = (pk: JsonValue) => (isObject(pk) && Object.keys(pk).length === 1 ? String(Object.values(pk)[0]) : JSON.stringify(pk));

function result(source: StreamSource, table: string, schema: string | null, op: ChangeOp, before: JsonObject | null, after: JsonObject | null, pk: JsonObject, position: ChangeEvent['position'], sourceTs: number | null, snapshot: boolean): NormalizedChange {
  const finalOp: ChangeOp = snapshot && (op === 'create' || op === 'snapshot') ? 'snapshot' : op;
  return {
    change: { system: source.system, schema, table, primaryKey: pk, op: finalOp, before, after, changedFields: finalOp === 'update' ? changedFields(before, after) : changedFields(null, after ?? before), position, sourceTs, snapshot },
    key: stableKey(pk),
    type: `${table}.${finalOp}`,
  };
}

const DEBEZIUM_OPS: Record<string, ChangeOp> = { c: 'create', u: 'update', d: 'delete', r: 'snapshot', t: 'truncate' };

/**
 * Debezium's envelope (`before`, `after`, `op` c/u/d/r/t, `source`, `ts_ms`), plain JSON or with
 * the JsonConverter schema wrapper. A null value after a delete is a tombstone.
 */
export function normalizeDebezium(key: unknown, value: unknown, source: StreamSource): NormalizedChange | typeof TOMBSTONE {
  if (value === null || value === undefined) return TOMBSTONE;
  const v = unwrap(value);
  if (!isObject(v) || typeof v.op !== 'string' || !isObject(v.source)) throw new UnreadableChange('not a Debezium envelope (needs op and source)');
  const op = DEBEZIUM_OPS[v.op];
  if (!op) throw new UnreadableChange(`unknown Debezium op "${v.op}"`);
  const src = v.source;
  const before = isObject(v.before) ? v.before : null;
  const after = isObject(v.after) ? v.after : null;
  const k = unwrap(key);
  const pk = isObject(k) ? k : pick(after ?? before, source.keyFields ?? ['id']);
  if (!pk && op !== 'truncate') throw new UnreadableChange('no primary key (message key or keyFields)');
  const snapshot = src.snapshot === true || src.snapshot === 'true' || src.snapshot === 'last' || src.snapshot === 'first' || op === 'snapshot';
  return result(
    source,
    typeof src.table === 'string' ? src.table : source.entity,
    typeof src.schema === 'string' ? src.schema : typeof src.db === 'string' ? src.db : null,
    op,
    before,
    after,
    pk ?? {},
    { lsn: canonicalLsn(src.lsn), txId: textOrNull(src.txId ?? src.gtid), uuid: null, binlog: debeziumBinlog(src) },
    typeof src.ts_ms === 'number' ? src.ts_ms : typeof v.ts_ms === 'number' ? v.ts_ms : null,
    snapshot,
  );
}

/**
 * A Postgres LSN in its text form (`16/B374D848`, upper-case hex), whichever way a connector wrote
 * it: Debezium's `source.lsn` and Estuary's `loc` entries come as 64-bit numbers or as text.
 */
export function canonicalLsn(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'bigint') {
    const n = BigInt(v);
    return `${(n >> 32n).toString(16).toUpperCase()}/${(n & 0xffffffffn).toString(16).toUpperCase()}`;
  }
  const s = String(v);
  return /^[0-9a-f]+\/[0-9a-f]+$/i.test(s) ? s.toUpperCase() : s;
}

const textOrNull = (v: unknown): string | null => (v === undefined || v === null || v === '' ? null : String(v));

/**
 * A MySQL/MariaDB change's place in the binlog as `file:pos:row` — the rows event's offset and
 * the row's index within it, so two connectors reading the same change write the same value.
 * Debezium gives `source.file`, `source.pos` and `source.row`.
 */
function debeziumBinlog(src: JsonObject): string | null {
  if (typeof src.file !== 'string' || !src.file || (typeof src.pos !== 'number' && typeof src.pos !== 'string')) return null;
  return `${src.file}:${String(src.pos)}:${typeof src.row === 'number' ? src.row : 0}`;
}

/**
 * Estuary's MySQL capture writes `_meta.source.cursor` as `file:offset:row` (`file:offset` for
 * older documents); backfill rows read `backfill:<n>`, which is no binlog position.
 */
function estuaryBinlog(cursor: unknown): string | null {
  if (typeof cursor !== 'string') return null;
  const m = /^([^:]+):(\d+)(?::(\d+))?$/.exec(cursor);
  if (!m || m[1] === 'backfill') return null;
  return `${m[1]}:${m[2]}:${m[3] ?? 0}`;
}

const ESTUARY_OPS: Record<string, ChangeOp> = { c: 'create', u: 'update', d: 'delete' };

/**
 * An Estuary Flow document: the row plus `_meta` (`op` c/u/d, `uuid`, `source` with schema, table,
 * ts_ms, snapshot, loc/txid, optional `before`). Postgres' `loc` is [end LSN of the last commit, this
 * event's LSN, begin-final LSN of its transaction]: the change's position is the event LSN, as
 * Debezium's `source.lsn` is. MySQL's `cursor` (`file:offset:row`) is the binlog coordinate, as
 * Debezium's `file`/`pos`/`row` are. Deletes arrive as `_meta.op: d`, as
 * `_meta.is_deleted` / `_is_deleted`, or as a tombstone carrying only the key (Dekaf).
 */
export function normalizeEstuary(key: unknown, value: unknown, source: StreamSource): NormalizedChange | typeof TOMBSTONE {
  if (value === null || value === undefined) {
    // Dekaf's tombstone: the key is all we have.
    if (!isObject(key)) return TOMBSTONE;
    return result(source, source.entity, null, 'delete', null, null, key, { lsn: null, txId: null, uuid: null, binlog: null }, null, false);
  }
  if (!isObject(value) || !isObject(value._meta)) throw new UnreadableChange('not an Estuary document (needs _meta)');
  const meta = value._meta;
  const deleted = meta.is_deleted === true || value._is_deleted === true || value._is_deleted === 1;
  const op = deleted ? 'delete' : ESTUARY_OPS[String(meta.op)];
  if (!op) throw new UnreadableChange(`unknown Estuary op "${String(meta.op)}"`);
  const src = isObject(meta.source) ? meta.source : {};
  const row: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (k !== '_meta' && k !== '_is_deleted' && k !== 'flow_document') row[k] = v;
  const pk = isObject(key) ? key : pick(row, source.keyFields ?? ['id']);
  if (!pk) throw new UnreadableChange(`no primary key: fields ${JSON.stringify(source.keyFields ?? ['id'])} missing`);
  const before = isObject(meta.before) ? meta.before : null;
  const loc = Array.isArray(src.loc) ? src.loc : null;
  return result(
    source,
    typeof src.table === 'string' ? src.table : source.entity,
    typeof src.schema === 'string' ? src.schema : null,
    op,
    // A delete document carries the row's last values (or just its key).
    op === 'create' ? null : op === 'delete' ? (before ?? row) : before,
    op === 'delete' ? null : row,
    pk,
    { lsn: canonicalLsn(loc?.[1]), txId: textOrNull(src.txid), uuid: typeof meta.uuid === 'string' ? meta.uuid : null, binlog: estuaryBinlog(src.cursor) },
    typeof src.ts_ms === 'number' ? src.ts_ms : null,
    src.snapshot === true,
  );
}
