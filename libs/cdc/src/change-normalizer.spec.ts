import * as fs from 'node:fs';
import * as path from 'node:path';
import { findProjectRoot } from '@phoenix/config';
import { canonicalLsn, normalizeDebezium, normalizeEstuary, NormalizedChange, StreamSource, TOMBSTONE, UnreadableChange } from './change-normalizer';

const fixture = (name: string) =>
  fs
    .readFileSync(path.join(findProjectRoot(), 'test/fixtures/cdc', name), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { key: unknown; value: unknown });

/** The same logical change from either source; Estuary alone has a document uuid. */
const comparable = (n: NormalizedChange) => ({ ...n, change: { ...n.change, position: { ...n.change.position, uuid: null } } });

describe('canonicalLsn', () => {
  it('writes numbers and text the same way', () => {
    expect(canonicalLsn(0x16b3748)).toBe('0/16B3748');
    expect(canonicalLsn(0x16b374d848)).toBe('16/B374D848');
    expect(canonicalLsn('16/b374d848')).toBe('16/B374D848');
    expect(canonicalLsn(null)).toBeNull();
  });
});

describe.each([
  ['hubspot-deals', { system: 'hubspot', entity: 'deals', keyFields: ['id'] }],
  ['zendesk-tickets', { system: 'zendesk', entity: 'tickets', keyFields: ['ticket_id'] }],
] as [string, StreamSource][])('CDC normalization: %s', (name, source) => {
  const dbz = fixture(`${name}.debezium.jsonl`).map((r) => normalizeDebezium(r.key, r.value, source));
  const est = fixture(`${name}.estuary.jsonl`).map((r) => normalizeEstuary(r.key, r.value, source));
  const dbzChanges = dbz.filter((x): x is NormalizedChange => x !== TOMBSTONE);

  it('Debezium and Estuary give identical canonical events for the same changes', () => {
    expect(dbzChanges).toHaveLength(est.length);
    est.forEach((e, i) => {
      expect(e).not.toBe(TOMBSTONE);
      expect(comparable(e as NormalizedChange)).toEqual(comparable(dbzChanges[i]));
    });
    expect((est[0] as NormalizedChange).change.position.uuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('an Estuary change is positioned where Debezium puts it: Postgres event LSN (loc[1]), MySQL binlog file:pos:row (cursor)', () => {
    const raw = fixture(`${name}.estuary.jsonl`).map((r) => (r.value as { _meta: { source: { loc?: unknown[]; cursor?: string } } })._meta.source);
    raw.forEach((src, i) => {
      const got = (est[i] as NormalizedChange).change.position;
      expect(got).toEqual({ ...dbzChanges[i].change.position, uuid: got.uuid });
      if (src.loc) {
        expect(new Set(src.loc).size).toBe(3); // the fixture tells the three apart, as a real capture does
        expect(got.lsn).toBe(src.loc[1]);
        expect(got.binlog).toBeNull();
      } else {
        expect(got.binlog).toBe(src.cursor);
        expect(got.lsn).toBeNull();
        expect(got.txId).toMatch(/^[0-9a-f-]{36}:\d+$/); // the GTID, from either connector
      }
    });
  });

  it('handles deletes, and the tombstone after a delete emits nothing', () => {
    expect(dbz.filter((x) => x === TOMBSTONE)).toHaveLength(1);
    const del = dbzChanges.find((c) => c.change.op === 'delete')!;
    expect(del.change.after).toBeNull();
    expect(del.change.before).not.toBeNull();
  });
});

describe('CDC normalization details', () => {
  const deals: StreamSource = { system: 'hubspot', entity: 'deals', keyFields: ['id'] };
  const [snapshot, create, update] = fixture('hubspot-deals.debezium.jsonl').map((r) => normalizeDebezium(r.key, r.value, deals) as NormalizedChange);

  it('marks snapshot reads, computes changed fields, keys by the entity', () => {
    expect(snapshot.change).toMatchObject({ op: 'snapshot', snapshot: true });
    expect(create.change).toMatchObject({ op: 'create', snapshot: false, position: { lsn: '0/16B3748', txId: '771' } });
    expect(update.change.changedFields).toEqual(['stage']);
    expect(update.key).toBe('42');
    expect(update.type).toBe('deals.update');
  });

  it('reads older Estuary MySQL cursors (file:offset) and gives backfill rows no binlog position', () => {
    const doc = (cursor: string) => normalizeEstuary(null, { id: 1, _meta: { op: 'c', uuid: 'u', source: { table: 'deals', cursor } } }, deals) as NormalizedChange;
    expect(doc('mysql-bin.000007:154').change.position.binlog).toBe('mysql-bin.000007:154:0');
    expect(doc('backfill:12').change.position.binlog).toBeNull();
  });

  it('reads the schema-wrapped JsonConverter form and Estuary deletion flags and tombstones', () => {
    const wrapped = normalizeDebezium({ schema: {}, payload: { id: 1 } }, { schema: {}, payload: { before: null, after: { id: 1 }, op: 'c', source: { table: 'deals', schema: 'public', ts_ms: 1 } } }, deals) as NormalizedChange;
    expect(wrapped.change.primaryKey).toEqual({ id: 1 });
    const flagged = normalizeEstuary(null, { id: 7, name: 'x', _meta: { op: 'u', uuid: 'u-1', source: { table: 'deals' } }, _is_deleted: 1 }, deals) as NormalizedChange;
    expect(flagged.change.op).toBe('delete');
    const dekafTombstone = normalizeEstuary({ id: 8 }, null, deals) as NormalizedChange;
    expect(dekafTombstone.change).toMatchObject({ op: 'delete', primaryKey: { id: 8 } });
  });

  it('refuses garbled documents with a reason', () => {
    const [a, b] = fixture('garbled.jsonl');
    expect(() => normalizeDebezium(a.key, a.value, deals)).toThrow(UnreadableChange);
    expect(() => normalizeDebezium(a.key, a.value, deals)).toThrow(/not a Debezium envelope|unknown Debezium op/);
    expect(() => normalizeEstuary(b.key, b.value, deals)).toThrow(/needs _meta/);
  });
});
