import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { SearchFilters, VectorStore, VectorStoreResult } from 'mem0ai/oss';
import { VectorArena } from './vector-arena';

type Payload = Record<string, unknown>;

/** Mem0 accepts scope keys in either spelling; payloads keep the snake_case ones. */
const SNAKE: Record<string, string> = { userId: 'user_id', agentId: 'agent_id', runId: 'run_id' };

function normalizePayload(p: Payload): Payload {
  for (const [camel, snake] of Object.entries(SNAKE)) {
    if (camel in p && !(snake in p)) {
      p[snake] = p[camel];
      delete p[camel];
    }
  }
  return p;
}

/** Mem0's keyword tokens: lower case, split on whitespace. */
const tokenize = (text: string): string[] => text.toLowerCase().split(/\s+/).filter(Boolean);

/** One field condition of a Mem0 filter: a value (`'*'` = any), a list, or an operator object. */
function fieldMatches(actual: unknown, cond: unknown): boolean {
  if (cond === null || typeof cond !== 'object') return cond === '*' || actual === cond;
  if (Array.isArray(cond)) return cond.includes(actual);
  const c = cond as Record<string, unknown>;
  if ('eq' in c) return actual === c.eq;
  if ('ne' in c) return actual !== c.ne;
  if ('gt' in c) return (actual as number) > (c.gt as number);
  if ('gte' in c) return (actual as number) >= (c.gte as number);
  if ('lt' in c) return (actual as number) < (c.lt as number);
  if ('lte' in c) return (actual as number) <= (c.lte as number);
  if ('in' in c) return Array.isArray(c.in) && c.in.includes(actual);
  if ('nin' in c) return !Array.isArray(c.nin) || !c.nin.includes(actual);
  if ('contains' in c) return typeof actual === 'string' && actual.includes(String(c.contains));
  if ('icontains' in c) return typeof actual === 'string' && actual.toLowerCase().includes(String(c.icontains).toLowerCase());
  return actual === cond;
}

const LOGICAL: Record<string, 'AND' | 'OR' | 'NOT'> = { AND: 'AND', OR: 'OR', NOT: 'NOT', $and: 'AND', $or: 'OR', $not: 'NOT' };

/** Mem0's filter semantics: field conditions ANDed, plus AND / OR / NOT lists of sub-filters. */
export function matchesFilters(payload: Payload, filters: SearchFilters | undefined): boolean {
  if (!filters) return true;
  const seen = new Set<string>();
  for (const [rawKey, value] of Object.entries(filters)) {
    const key = LOGICAL[rawKey] ?? rawKey;
    if (seen.has(key)) continue;
    seen.add(key);
    if (key === 'AND' || key === 'OR' || key === 'NOT') {
      if (!Array.isArray(value)) throw new Error(`${key} filter value must be a list of filter objects, got ${typeof value}`);
      const subs = value as SearchFilters[];
      if (key === 'AND' && !subs.every((f) => matchesFilters(payload, f))) return false;
      if (key === 'OR' && !subs.some((f) => matchesFilters(payload, f))) return false;
      if (key === 'NOT' && subs.some((f) => matchesFilters(payload, f))) return false;
    } else if (!fieldMatches(payload[key], value)) {
      return false;
    }
  }
  return true;
}

/** The best `k` (slot, score) pairs seen, kept sorted descending; insertion is O(k) only for winners. */
class TopK {
  readonly slots: number[] = [];
  readonly scores: number[] = [];
  constructor(private readonly k: number) {}
  get floor(): number {
    return this.slots.length < this.k ? -Infinity : this.scores[this.scores.length - 1];
  }
  offer(slot: number, score: number): void {
    if (this.k <= 0 || (this.slots.length >= this.k && score <= this.scores[this.scores.length - 1])) return;
    let i = this.slots.length < this.k ? this.slots.length : this.k - 1;
    if (this.slots.length < this.k) {
      this.slots.push(slot);
      this.scores.push(score);
    }
    while (i > 0 && this.scores[i - 1] < score) {
      this.slots[i] = this.slots[i - 1];
      this.scores[i] = this.scores[i - 1];
      i--;
    }
    this.slots[i] = slot;
    this.scores[i] = score;
  }
}

export interface EmbeddedVectorStoreOptions {
  dbPath: string;
  dimension: number;
}

/**
 * Phoenix's embedded vector store for Mem0, in the same SQLite file and table layout as Mem0's own
 * `memory` provider (so existing stores open unchanged), but searched in memory: unit vectors in
 * one WebAssembly memory scored by a SIMD kernel ({@link VectorArena}), payloads parsed once, and
 * keyword (BM25) search on an inverted index. Mem0's store re-reads, re-parses and re-tokenizes
 * every row on every search, which made a search cost ~120 µs per stored memory (seconds at 100k).
 *
 * Other processes may write the same file (the gateway reads what the memory-writer writes):
 * triggers log every change to `vectors_changes`, and each call first applies the changes it has
 * not seen (a full reload only if the log was pruned past them).
 */
export class EmbeddedVectorStore implements VectorStore {
  readonly db: Database.Database;
  private readonly dim: number;
  private vectors: VectorArena;
  private ids: (string | null)[] = [];
  private payloads: (Payload | null)[] = [];
  /** Distinct terms of each slot's text (to unindex it). */
  private terms: (string[] | null)[] = [];
  private docLength: number[] = [];
  private readonly slotOf = new Map<string, number>();
  private readonly free: number[] = [];
  /** term → (slot → term frequency). */
  private readonly postings = new Map<string, Map<number, number>>();
  /** Bumped on every change; keys the cached filter masks. */
  private version = 0;
  private masks = new Map<string, { version: number; mask: Uint8Array; n: number; totalLength: number }>();
  private live = 0;
  private totalLength = 0;
  private seenChange = 0;
  private prunedAt = 0;
  private readonly stmts: { changes: Database.Statement; oldest: Database.Statement; row: Database.Statement };

  constructor(opts: EmbeddedVectorStoreOptions) {
    this.dim = opts.dimension;
    this.vectors = new VectorArena(this.dim);
    fs.mkdirSync(path.dirname(opts.dbPath), { recursive: true });
    this.db = new Database(opts.dbPath);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 200');
    this.createTables();
    this.stmts = {
      changes: this.db.prepare('SELECT seq, id FROM vectors_changes WHERE seq > ? ORDER BY seq'),
      oldest: this.db.prepare('SELECT min(seq) AS s FROM vectors_changes'),
      row: this.db.prepare('SELECT vector, payload FROM vectors WHERE id = ?'),
    };
    this.reload();
  }

  private createTables(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS vectors (id TEXT PRIMARY KEY, vector BLOB NOT NULL, payload TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS memory_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS vectors_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL);
      CREATE TRIGGER IF NOT EXISTS vectors_ins AFTER INSERT ON vectors BEGIN INSERT INTO vectors_changes (id) VALUES (NEW.id); END;
      CREATE TRIGGER IF NOT EXISTS vectors_upd AFTER UPDATE ON vectors BEGIN INSERT INTO vectors_changes (id) VALUES (NEW.id); END;
      CREATE TRIGGER IF NOT EXISTS vectors_del AFTER DELETE ON vectors BEGIN INSERT INTO vectors_changes (id) VALUES (OLD.id); END;
    `);
  }

  /** Number of vectors held. */
  get size(): number {
    return this.live;
  }

  async initialize(): Promise<void> {
    this.createTables();
    this.sync();
  }

  async insert(vectors: number[][], ids: string[], payloads: Record<string, unknown>[]): Promise<void> {
    for (const v of vectors) this.checkDimension(v);
    const stmt = this.db.prepare('INSERT OR REPLACE INTO vectors (id, vector, payload) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (let i = 0; i < vectors.length; i++) stmt.run(ids[i], Buffer.from(new Float32Array(vectors[i]).buffer), JSON.stringify(payloads[i]));
    })();
    this.sync();
  }

  async update(vectorId: string, vector: number[], payload: Record<string, unknown>): Promise<void> {
    this.checkDimension(vector);
    this.db.prepare('UPDATE vectors SET vector = ?, payload = ? WHERE id = ?').run(Buffer.from(new Float32Array(vector).buffer), JSON.stringify(payload), vectorId);
    this.sync();
  }

  async delete(vectorId: string): Promise<void> {
    this.db.prepare('DELETE FROM vectors WHERE id = ?').run(vectorId);
    this.sync();
  }

  async deleteCol(): Promise<void> {
    this.db.exec('DROP TABLE IF EXISTS vectors');
    this.createTables();
    this.reload();
  }

  async get(vectorId: string): Promise<VectorStoreResult | null> {
    this.sync();
    const slot = this.slotOf.get(vectorId);
    return slot === undefined ? null : { id: vectorId, payload: this.payloads[slot]! };
  }

  async list(filters?: SearchFilters, topK = 100): Promise<[VectorStoreResult[], number]> {
    this.sync();
    const out: VectorStoreResult[] = [];
    let total = 0;
    for (let s = 0; s < this.ids.length; s++) {
      const p = this.payloads[s];
      if (!p || !matchesFilters(p, filters)) continue;
      total++;
      if (out.length < topK) out.push({ id: this.ids[s]!, payload: p });
    }
    return [out, total];
  }

  /** Cosine similarity against every vector the filters admit; exact, best `topK` first. */
  async search(query: number[], topK = 10, filters?: SearchFilters): Promise<VectorStoreResult[]> {
    this.checkDimension(query, 'Query');
    this.sync();
    let norm = 0;
    for (const x of query) norm += x * x;
    norm = Math.sqrt(norm) || 1;
    const q = query.map((x) => x / norm);
    const best = new TopK(topK);
    const mask = this.admitted(filters)?.mask;
    const scores = this.vectors.scan(q, this.ids.length);
    for (let s = 0; s < this.ids.length; s++) {
      if (mask ? !mask[s] : !this.payloads[s]) continue;
      best.offer(s, scores[s]);
    }
    return best.slots.map((s, i) => ({ id: this.ids[s]!, payload: this.payloads[s]!, score: best.scores[i] }));
  }

  /**
   * BM25 (k1 1.5, b 0.75) over the memories the filters admit, as Mem0's own store scores it
   * (document count and average length over the admitted memories), from the inverted index.
   */
  async keywordSearch(query: string, topK = 10, filters?: SearchFilters): Promise<VectorStoreResult[] | null> {
    this.sync();
    const terms = tokenize(query);
    if (terms.length === 0) return [];
    const adm = this.admitted(filters);
    const mask = adm?.mask;
    const n = adm ? adm.n : this.live;
    if (n === 0) return [];
    const avgLength = (adm ? adm.totalLength : this.totalLength) / n;
    const k1 = 1.5;
    const b = 0.75;
    const scores = new Float64Array(this.ids.length);
    const touched: number[] = [];
    const idf = new Map<string, number>();
    for (const term of terms) {
      const docs = this.postings.get(term);
      if (!docs) continue;
      let w = idf.get(term);
      if (w === undefined) {
        let df = docs.size;
        if (mask) {
          df = 0;
          for (const s of docs.keys()) df += mask[s];
        }
        w = Math.log((n - df + 0.5) / (df + 0.5) + 1);
        idf.set(term, w);
      }
      for (const [s, tf] of docs) {
        if (mask && !mask[s]) continue;
        if (scores[s] === 0) touched.push(s);
        scores[s] += (w * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * this.docLength[s]) / avgLength));
      }
    }
    const best = new TopK(topK);
    for (const s of touched) if (scores[s] > 0) best.offer(s, scores[s]);
    return best.slots.map((s, i) => ({ id: this.ids[s]!, payload: this.payloads[s]!, score: best.scores[i] }));
  }

  async getUserId(): Promise<string> {
    const row = this.db.prepare('SELECT user_id FROM memory_migrations LIMIT 1').get() as { user_id: string } | undefined;
    if (row) return row.user_id;
    const id = `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    this.db.prepare('INSERT INTO memory_migrations (user_id) VALUES (?)').run(id);
    return id;
  }

  async setUserId(userId: string): Promise<void> {
    this.db.prepare('DELETE FROM memory_migrations').run();
    this.db.prepare('INSERT INTO memory_migrations (user_id) VALUES (?)').run(userId);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Which slots the filters admit, with their count and total text length; cached per filter
   * until the next change (Mem0 runs the vector, keyword and entity searches with the same filters).
   * Null when there are no filters (every live slot).
   */
  private admitted(filters: SearchFilters | undefined): { mask: Uint8Array; n: number; totalLength: number } | null {
    if (!filters || Object.keys(filters).length === 0) return null;
    const key = JSON.stringify(filters);
    const hit = this.masks.get(key);
    if (hit && hit.version === this.version && hit.mask.length === this.ids.length) return hit;
    const mask = new Uint8Array(this.ids.length);
    let n = 0;
    let totalLength = 0;
    for (let s = 0; s < this.ids.length; s++) {
      const p = this.payloads[s];
      if (p && matchesFilters(p, filters)) {
        mask[s] = 1;
        n++;
        totalLength += this.docLength[s];
      }
    }
    if (this.masks.size > 32) this.masks.clear();
    const entry = { version: this.version, mask, n, totalLength };
    this.masks.set(key, entry);
    return entry;
  }

  private checkDimension(v: number[], what = 'Vector'): void {
    if (v.length !== this.dim) throw new Error(`${what} dimension mismatch. Expected ${this.dim}, got ${v.length}`);
  }

  /** Applies the changes logged since the last call (this process's and others'). */
  private sync(): void {
    const changes = this.stmts.changes.all(this.seenChange) as { seq: number; id: string }[];
    if (changes.length === 0) return;
    const oldest = (this.stmts.oldest.get() as { s: number | null }).s;
    if (oldest !== null && oldest > this.seenChange + 1) {
      this.reload();
      return;
    }
    const read = this.stmts.row;
    const ids = new Set(changes.map((c) => c.id));
    for (const id of ids) {
      const row = read.get(id) as { vector: Buffer; payload: string } | undefined;
      if (row) this.put(id, row.vector, row.payload);
      else this.remove(id);
    }
    this.seenChange = changes[changes.length - 1].seq;
    this.prune();
  }

  /** Loads every row (on open, and when the change log no longer reaches back far enough). */
  private reload(): void {
    this.vectors = new VectorArena(this.dim);
    this.ids = [];
    this.payloads = [];
    this.terms = [];
    this.docLength = [];
    this.version++;
    this.slotOf.clear();
    this.free.length = 0;
    this.postings.clear();
    this.live = 0;
    this.totalLength = 0;
    this.seenChange = (this.db.prepare('SELECT coalesce(max(seq), 0) AS s FROM vectors_changes').get() as { s: number }).s;
    for (const row of this.db.prepare('SELECT id, vector, payload FROM vectors').iterate() as Iterable<{ id: string; vector: Buffer; payload: string }>) {
      this.put(row.id, row.vector, row.payload);
    }
  }

  /** Keeps the change log short: readers far behind reload instead. */
  private prune(): void {
    if (this.seenChange - this.prunedAt < 10_000) return;
    this.prunedAt = this.seenChange;
    this.db.prepare('DELETE FROM vectors_changes WHERE seq <= ?').run(this.seenChange - 100_000);
  }

  private put(id: string, blob: Buffer, payloadText: string): void {
    this.remove(id);
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.ids.length;
      this.ids.push(null);
      this.payloads.push(null);
      this.terms.push(null);
      this.docLength.push(0);
      this.vectors.ensure(slot + 1);
    }
    const raw = new Float32Array(blob.buffer, blob.byteOffset, Math.min(this.dim, blob.byteLength / 4));
    let norm = 0;
    for (let j = 0; j < raw.length; j++) norm += raw[j] * raw[j];
    norm = Math.sqrt(norm) || 1;
    this.vectors.set(slot, raw, 1 / norm);
    const payload = normalizePayload(JSON.parse(payloadText) as Payload);
    const words = tokenize(String(payload.textLemmatized || payload.data || ''));
    const tf = new Map<string, number>();
    for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
    for (const [w, n] of tf) {
      let docs = this.postings.get(w);
      if (!docs) this.postings.set(w, (docs = new Map()));
      docs.set(slot, n);
    }
    this.version++;
    this.ids[slot] = id;
    this.payloads[slot] = payload;
    this.terms[slot] = [...tf.keys()];
    this.docLength[slot] = words.length;
    this.slotOf.set(id, slot);
    this.live++;
    this.totalLength += words.length;
  }

  private remove(id: string): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    this.version++;
    for (const w of this.terms[slot]!) {
      const docs = this.postings.get(w)!;
      docs.delete(slot);
      if (docs.size === 0) this.postings.delete(w);
    }
    this.totalLength -= this.docLength[slot];
    this.live--;
    this.ids[slot] = null;
    this.payloads[slot] = null;
    this.terms[slot] = null;
    this.docLength[slot] = 0;
    this.vectors.clear(slot);
    this.slotOf.delete(id);
    this.free.push(slot);
  }
}
