import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MemoryVectorStore as Mem0VectorStore } from 'mem0ai/oss';
import { EmbeddedVectorStore, matchesFilters } from './embedded-vector-store';

const DIM = 16;
const WORDS = ['deal', 'acme', 'globex', 'ticket', 'login', 'invoice', 'vat', 'export', 'csv', 'prefers', 'email', 'weekly', 'summary', 'renewal', 'soc2', 'crash'];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The same rows for Phoenix's store and Mem0's own (the oracle). */
function dataset(n: number, seed = 1) {
  const r = rng(seed);
  const vectors: number[][] = [];
  const ids: string[] = [];
  const payloads: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    vectors.push(Array.from({ length: DIM }, () => r() * 2 - 1));
    ids.push(`m-${i}`);
    const words = Array.from({ length: 3 + Math.floor(r() * 8) }, () => WORDS[Math.floor(r() * WORDS.length)]);
    payloads.push({ data: words.join(' '), user_id: `u${i % 3}`, ...(i % 5 === 0 ? { agentId: 'a1' } : {}), rank: i % 10 });
  }
  return { vectors, ids, payloads };
}

describe('EmbeddedVectorStore (Mem0 vector store interface, in-memory indexes over SQLite)', () => {
  let dir: string;
  let MemoryVectorStore: typeof Mem0VectorStore;
  beforeAll(() => {
    // Mem0 reads this when first loaded; nothing here may phone home.
    process.env.MEM0_TELEMETRY = 'false';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ({ MemoryVectorStore } = require('mem0ai/oss') as typeof import('mem0ai/oss'));
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-vectors-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const open = (file = 'vectors.db') => new EmbeddedVectorStore({ dbPath: path.join(dir, file), dimension: DIM });
  const oracle = (file = 'oracle.db') => new MemoryVectorStore({ dbPath: path.join(dir, file), dimension: DIM } as never);

  it('ranks and scores vector and keyword searches exactly as Mem0’s own store, with and without filters', async () => {
    const { vectors, ids, payloads } = dataset(300);
    const mine = open();
    const theirs = oracle();
    await mine.insert(vectors, ids, payloads.map((p) => ({ ...p })));
    await theirs.insert(vectors, ids, payloads.map((p) => ({ ...p })));
    const r = rng(99);
    const filterSets = [undefined, { user_id: 'u1' }, { user_id: 'u2', rank: { gte: 5 } }, { OR: [{ agent_id: 'a1' }, { rank: { in: [1, 2] } }] }, { NOT: [{ user_id: 'u0' }] }];
    for (const filters of filterSets) {
      for (let k = 0; k < 5; k++) {
        const q = Array.from({ length: DIM }, () => r() * 2 - 1);
        const a = await mine.search(q, 20, filters);
        const b = await theirs.search(q, 20, filters);
        expect(a.map((x) => x.id)).toEqual(b.map((x) => x.id));
        a.forEach((x, i) => expect(x.score).toBeCloseTo(b[i].score!, 5));
        const text = `${WORDS[k]} ${WORDS[k + 3]} ${WORDS[k]}`;
        const ka = (await mine.keywordSearch(text, 15, filters))!;
        const kb = (await theirs.keywordSearch(text, 15, filters))!;
        expect(ka.length).toBeGreaterThan(0);
        expect(ka.map((x) => x.score!.toFixed(9))).toEqual(kb.map((x) => x.score!.toFixed(9)));
        expect(new Set(ka.map((x) => x.id))).toEqual(new Set(kb.map((x) => x.id)));
      }
      const [la, na] = await mine.list(filters, 1000);
      const [lb, nb] = await theirs.list(filters, 1000);
      expect(na).toBe(nb);
      expect(la.map((x) => x.id).sort()).toEqual(lb.map((x) => x.id).sort());
    }
    mine.close();
  });

  it('applies updates and deletes to every index, and reopens from the file with the same contents', async () => {
    const { vectors, ids, payloads } = dataset(50);
    const store = open();
    await store.insert(vectors, ids, payloads);
    await store.update('m-3', vectors[7], { data: 'renewal soc2 renewal', user_id: 'u9' });
    await store.delete('m-4');
    expect(store.size).toBe(49);
    expect(await store.get('m-4')).toBeNull();
    expect((await store.get('m-3'))!.payload).toEqual({ data: 'renewal soc2 renewal', user_id: 'u9' });
    const top = await store.search(vectors[7], 2);
    expect(top.map((x) => x.id).sort()).toEqual(['m-3', 'm-7']);
    expect(top[0].score).toBeCloseTo(1, 5);
    expect((await store.keywordSearch('renewal', 5, { user_id: 'u9' }))!.map((x) => x.id)).toEqual(['m-3']);
    expect((await store.search(vectors[4], 50)).some((x) => x.id === 'm-4')).toBe(false);
    store.close();

    const reopened = open();
    expect(reopened.size).toBe(49);
    expect((await reopened.get('m-3'))!.payload.user_id).toBe('u9');
    expect((await reopened.search(vectors[7], 2)).map((x) => x.id).sort()).toEqual(['m-3', 'm-7']);
    reopened.close();
  });

  it('sees what another process wrote to the same file (change log), and reloads when the log was pruned past it', async () => {
    const { vectors, ids, payloads } = dataset(20);
    const writer = open();
    const reader = open();
    await writer.insert(vectors.slice(0, 10), ids.slice(0, 10), payloads.slice(0, 10));
    expect((await reader.list(undefined, 100))[1]).toBe(10);
    await writer.delete('m-0');
    await writer.insert(vectors.slice(10), ids.slice(10), payloads.slice(10));
    expect(await reader.get('m-0')).toBeNull();
    expect((await reader.search(vectors[15], 1))[0].id).toBe('m-15');
    // Simulate a reader that fell behind a pruned log.
    writer.db.prepare('DELETE FROM vectors_changes').run();
    await writer.insert([vectors[0]], ['m-0'], [payloads[0]]);
    expect(reader.size).toBe(19);
    expect((await reader.get('m-0'))!.id).toBe('m-0');
    expect(reader.size).toBe(20);
    writer.close();
    reader.close();
  });

  it('opens a store written by Mem0’s own provider unchanged', async () => {
    const { vectors, ids, payloads } = dataset(30);
    const theirs = oracle('shared.db');
    await theirs.insert(vectors, ids, payloads);
    const mine = open('shared.db');
    expect(mine.size).toBe(30);
    expect((await mine.search(vectors[12], 1))[0].id).toBe('m-12');
    mine.close();
  });

  it('rejects vectors of the wrong dimension and malformed logical filters', async () => {
    const store = open();
    await expect(store.insert([[1, 2, 3]], ['x'], [{}])).rejects.toThrow('Vector dimension mismatch. Expected 16, got 3');
    await expect(store.search([1, 2], 5)).rejects.toThrow('Query dimension mismatch');
    expect(() => matchesFilters({ a: 1 }, { AND: { a: 1 } as never })).toThrow('AND filter value must be a list');
    expect(matchesFilters({ a: 'Hello' }, { a: { icontains: 'hell' } })).toBe(true);
    expect(matchesFilters({ a: 2 }, { a: '*' })).toBe(true);
    store.close();
  });
});
