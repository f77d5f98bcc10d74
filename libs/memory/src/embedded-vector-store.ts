import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { SearchFilters, VectorStore, VectorStoreResult } from 'mem0ai/oss';
import { Admitted, KeywordIndex } from './keyword-index';
import { matchesFilters, normalizePayload, Payload } from './memory-filters';
import { TopK } from './top-k';
import { VectorArena } from './vector-arena';

export { matchesFilters } from './memory-filters';

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
  private readonly keywords = new KeywordIndex();
  private readonly slotOf = new Map<string, number>();
  private readonly free: number[] = [];
  /** Bumped on every change; keys the cached filter masks. */
  private version = 0;
  private masks = new Map<string, Admitted & { version: number }>();
  private live = 0;
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

  /** BM25 over the memories the filters admit, as Mem0's own store scores it ({@link KeywordIndex}). */
  async keywordSearch(query: string, topK = 10, filters?: SearchFilters): Promise<VectorStoreResult[] | null> {
    this.sync();
    const best = this.keywords.search(query, topK, this.admitted(filters), this.live, this.ids.length);
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
  private admitted(filters: SearchFilters | undefined): Admitted | null {
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
        totalLength += this.keywords.length(s);
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
    this.keywords.clear();
    this.version++;
    this.slotOf.clear();
    this.free.length = 0;
    this.live = 0;
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
      this.vectors.ensure(slot + 1);
    }
    const raw = new Float32Array(blob.buffer, blob.byteOffset, Math.min(this.dim, blob.byteLength / 4));
    let norm = 0;
    for (let j = 0; j < raw.length; j++) norm += raw[j] * raw[j];
    norm = Math.sqrt(norm) || 1;
    this.vectors.set(slot, raw, 1 / norm);
    const payload = normalizePayload(JSON.parse(payloadText) as Payload);
    this.keywords.add(slot, String(payload.textLemmatized || payload.data || ''));
    this.version++;
    this.ids[slot] = id;
    this.payloads[slot] = payload;
    this.slotOf.set(id, slot);
    this.live++;
  }

  private remove(id: string): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    this.version++;
    this.keywords.remove(slot);
    this.live--;
    this.ids[slot] = null;
    this.payloads[slot] = null;
    this.vectors.clear(slot);
    this.slotOf.delete(id);
    this.free.push(slot);
  }
}
