import { LlmClient, LlmError } from '@phoenix/llm';
import { FactExtractor } from './fact-extractor';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { Embedder, Memory, VectorStore } from 'mem0ai/oss';
import { v5 as uuidv5 } from 'uuid';
import { JsonValue } from '@phoenix/contracts';
import { EmbeddedVectorStore } from './embedded-vector-store';
import { recordEmbedder, reembed, storedEmbedder } from './embedder-migration';
import { LocalEmbedder } from './local-embedder';
import { LOCAL_MODEL_DIMS } from './local-model';
import { LocalReranker, rerank, Reranker } from './local-reranker';
import { localEmbedderModel, MemoryFileConfig } from './memory.config';
import { MemoryHit, MemoryScope } from './memory-reader';
import { AddMemoryRequest, MemoryNamespace, MemoryStore, MemoryUnavailableError, MemoryWriteResult, REPLY_CONTEXT_KEY, scoped } from './memory-store';
import { setLibraryEnv } from '@phoenix/config';

export interface Mem0StoreOptions {
  dir: string;
  modelsDir: string;
  store: MemoryFileConfig['store'];
  /** Search's second stage; off when absent. */
  search?: MemoryFileConfig['search'];
  /** The second stage's cross-encoder, instead of the configured local one (tools, specs). */
  reranker?: Reranker;
  llm?: { baseUrl: string; apiKey?: string; model: string };
  /** Where the store says what it is doing at start (a re-embedding after a model change). */
  log?: (message: string) => void;
}

/** Namespace of Phoenix's memory ids: uuidv5(ledger key) — the same event always gets the same id. */
const MEMORY_ID_NAMESPACE = '6f1e4c2a-8b3d-5e7f-9a0b-1c2d3e4f5a6b';

/** The memory id an event's memory is stored under (deterministic, so a rewrite is an upsert). */
export function memoryIdFor(ledgerKey: string, index = 0): string {
  return uuidv5(index === 0 ? ledgerKey : `${ledgerKey}#${index}`, MEMORY_ID_NAMESPACE);
}

/** Keys of Mem0's record layout that are not metadata (as Mem0's own search leaves them out). */
const MEM0_RECORD_KEYS = new Set(['user_id', 'agent_id', 'run_id', 'hash', 'data', 'createdAt', 'updatedAt', 'textLemmatized', 'attributedTo']);

/**
 * The words of a text as the keyword index reads them (Mem0's `textLemmatized` field): lower case,
 * letters and digits only — "group?" and "group" are one word. Queries of the keyword stage get the same.
 */
export const keywordText = (text: string): string => (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).join(' ');

/** Keyword (BM25) hits added to the nearest vectors as reranker candidates: names and rare words vectors miss. */
const KEYWORD_CANDIDATES = 10;

const toFilters = (s: MemoryScope) => ({ ...(s.userId ? { user_id: s.userId } : {}), ...(s.agentId ? { agent_id: s.agentId } : {}), ...(s.runId ? { run_id: s.runId } : {}) });

/**
 * Mem0 (OSS) behind Phoenix's {@link MemoryStore}. Embedded default: Mem0's SQLite layout on disk,
 * searched through {@link EmbeddedVectorStore}, with the in-process e5-small-v2 embedder, and each
 * search's first candidates re-ordered by a local cross-encoder; any Mem0 provider (pgvector,
 * Qdrant, Redis, OpenAI or Ollama embeddings …) by config. A ledger beside it (SQLite) makes writes
 * idempotent by event id, indexes memories by entity for CDC deletes, and records the embedding
 * model (a store made with another one is re-embedded at start).
 */
export class Mem0MemoryStore implements MemoryStore {
  private mem?: Memory;
  private ledger!: Database.Database;
  private vectors?: EmbeddedVectorStore;
  private entities?: EmbeddedVectorStore;
  /** Where Phoenix writes verbatim memories itself (the store Mem0 searches) and what embeds them. */
  private writer?: { vectors: VectorStore; embed: (texts: string[]) => Promise<number[][]> };
  /** Adds in progress per ledger key: a second request for the same event waits for the first. */
  private readonly inFlight = new Map<string, Promise<MemoryWriteResult>>();
  readonly infer: boolean;
  private readonly reranker?: Reranker;
  private readonly candidates: number;
  private readonly inContext: number;
  private localEmbedder?: LocalEmbedder;
  /** Infer on: the model that turns an event into facts. */
  private extractor?: FactExtractor;

  constructor(private readonly opts: Mem0StoreOptions) {
    this.infer = opts.store.infer === 'on' || (opts.store.infer === 'auto' && !!opts.llm);
    const r = opts.search?.rerank;
    if (r && r.provider === 'local') this.reranker = opts.reranker ?? new LocalReranker(opts.modelsDir, r.model);
    this.candidates = r?.candidates ?? 0;
    this.inContext = r?.inContext ?? 0;
  }

  async init(): Promise<void> {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    this.ledger = new Database(path.join(this.opts.dir, 'phoenix-ledger.db'));
    this.ledger.pragma('journal_mode = WAL');
    this.ledger.exec(`
      CREATE TABLE IF NOT EXISTS memory_ledger (event_id TEXT PRIMARY KEY, op TEXT NOT NULL, memory_ids TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS memory_entities (memory_id TEXT PRIMARY KEY, entity TEXT, namespace TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS memory_entities_entity ON memory_entities (entity, namespace);
    `);
    // Mem0 reads MEM0_TELEMETRY when it is first loaded; Phoenix never lets it phone home.
    setLibraryEnv('MEM0_TELEMETRY');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Memory } = require('mem0ai/oss') as typeof import('mem0ai/oss');
    const { embedder, vectorStore } = this.opts.store;
    const local = embedder.provider === 'local';
    const localEmbedder = local ? new LocalEmbedder(this.opts.modelsDir, localEmbedderModel(this.opts.store)!) : undefined;
    this.localEmbedder = localEmbedder;
    this.mem = new Memory({
      embedder: localEmbedder ? { provider: 'langchain', config: { model: localEmbedder } as never } : { provider: embedder.provider, config: embedder.config as never },
      vectorStore:
        vectorStore.provider === 'memory'
          ? { provider: 'memory', config: { collectionName: 'phoenix', dimension: LOCAL_MODEL_DIMS, dbPath: path.join(this.opts.dir, 'vectors.db'), ...vectorStore.config } as never }
          : { provider: vectorStore.provider, config: { collectionName: 'phoenix', ...(local ? { dimension: LOCAL_MODEL_DIMS } : {}), ...vectorStore.config } as never },
      // Never called: Phoenix writes memories (and extracts facts, fact-extractor.ts) itself; Mem0 requires the setting.
      llm: { provider: 'openai', config: { apiKey: this.opts.llm?.apiKey ?? 'not-used', model: this.opts.llm?.model ?? 'gpt-4o-mini', ...(this.opts.llm ? { baseURL: this.opts.llm.baseUrl } : {}) } as never },
      historyDbPath: path.join(this.opts.dir, 'history.db'),
    });
    if (vectorStore.provider === 'memory') {
      // Mem0 creates its store on first use; do that now, then shorten SQLite's busy wait: the
      // driver waits synchronously, so the default 5 s would freeze the event loop (and Kafka
      // heartbeats) each time another process holds the file locked.
      await this.mem.getAll({ filters: { agent_id: '__phoenix_init__' }, topK: 1 });
      // Swap Mem0's SQLite stores (memories and their entities) for Phoenix's in-memory-indexed
      // ones over the same files: Mem0's re-read every row on every search.
      const internals = this.mem as unknown as { vectorStore: VectorStore & { db?: Database.Database }; _entityStore?: VectorStore & { db?: Database.Database } };
      const dbPath = String(vectorStore.config.dbPath ?? path.join(this.opts.dir, 'vectors.db'));
      const dimension = Number(vectorStore.config.dimension ?? LOCAL_MODEL_DIMS);
      internals.vectorStore.db?.close();
      internals._entityStore?.db?.close();
      this.vectors = new EmbeddedVectorStore({ dbPath, dimension });
      this.entities = new EmbeddedVectorStore({ dbPath: dbPath.replace(/\.db$/, '_entities.db'), dimension });
      internals.vectorStore = this.vectors;
      internals._entityStore = this.entities;
      await this.checkEmbedder(localEmbedder);
    }
    if (this.infer) {
      if (!this.opts.llm) throw new MemoryUnavailableError('memory.yaml has infer: on but no model is configured (LLM_BASE_URL)');
      this.extractor = new FactExtractor(new LlmClient(this.opts.llm));
    }
    await this.openWriter(local, localEmbedder);
  }

  /** Phoenix's own writer into the vector store: verbatim memories, or the facts extracted from them. */
  private async openWriter(local: boolean, localEmbedder: LocalEmbedder | undefined): Promise<void> {
    const { embedder, vectorStore } = this.opts.store;
    // Memories (verbatim, or the facts extracted from them) are written by Phoenix in Mem0's
    // record layout, many per embedding run, under deterministic ids: Mem0's add() makes a
    // random id per call and a history row per add.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { EmbedderFactory, VectorStoreFactory } = require('mem0ai/oss') as typeof import('mem0ai/oss');
    let vectors: VectorStore | undefined = this.vectors;
    if (!vectors) {
      vectors = VectorStoreFactory.create(vectorStore.provider, { collectionName: 'phoenix', ...(local ? { dimension: LOCAL_MODEL_DIMS } : {}), ...vectorStore.config } as never);
      await vectors.initialize();
    }
    const remote: Embedder | undefined = localEmbedder ? undefined : EmbedderFactory.create(embedder.provider, embedder.config as never);
    this.writer = { vectors, embed: (texts) => (localEmbedder ? localEmbedder.embedDocuments(texts) : remote!.embedBatch(texts, 'add')) };
  }

  /**
   * Vectors from another model are not comparable with this one's queries: a store made with
   * another local model is embedded again (every memory and entity, from its text) before use.
   */
  private async checkEmbedder(local: LocalEmbedder | undefined): Promise<void> {
    const { embedder } = this.opts.store;
    const current = local ? `local:${local.model.id}` : `${embedder.provider}:${String(embedder.config.model ?? '')}`;
    const [, count] = await this.vectors!.list(undefined, 1);
    const stored = storedEmbedder(this.ledger, count > 0);
    if (stored !== null && stored !== current) {
      if (!local) throw new MemoryUnavailableError(`the memory store under ${this.opts.dir} was embedded with ${stored}, not ${current}: re-embedding is done for local models only; point the store elsewhere or switch back`);
      const log = this.opts.log ?? (() => undefined);
      log(`memory store embedded with ${stored}; re-embedding it with ${current}`);
      const started = Date.now();
      let last = 0;
      const progress = (what: string) => (done: number, total: number) => {
        if (done === total || Date.now() - last > 5000) {
          last = Date.now();
          log(`re-embedding ${what}: ${done}/${total}`);
        }
      };
      const memories = await reembed(this.vectors!, (t) => local.embedDocuments(t), progress('memories'));
      const entities = await reembed(this.entities!, (t) => local.embedDocuments(t), progress('entities'));
      log(`re-embedded ${memories} memories and ${entities} entities in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    if (stored !== current) recordEmbedder(this.ledger, current);
  }

  private get memory(): Memory {
    if (!this.mem) throw new MemoryUnavailableError('memory store not initialised');
    return this.mem;
  }

  private async guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw new MemoryUnavailableError(`memory store: ${what} failed: ${(err as Error).message}`, err);
    }
  }

  async add(req: AddMemoryRequest, opts: { mayExist?: boolean } = {}): Promise<MemoryWriteResult> {
    return (await this.addMany([req], opts))[0];
  }

  /**
   * Adds many memories, each unless its event was already applied. Verbatim memories (infer off)
   * are embedded in one run and upserted under ids derived from the event, so applying the same
   * event twice — a retry, a re-delivery to a new consumer generation, a crash between the store
   * and the ledger — rewrites one memory instead of adding a second. (So `mayExist` needs no
   * lookup here: every write is an upsert.)
   */
  async addMany(reqs: AddMemoryRequest[], _opts: { mayExist?: boolean } = {}): Promise<MemoryWriteResult[]> {
    const results: Promise<MemoryWriteResult>[] = [];
    const todo: { req: AddMemoryRequest; key: string; settle: (r: Promise<MemoryWriteResult>) => void }[] = [];
    for (const req of reqs) {
      const key = this.ledgerKey(req.namespace, req.eventId);
      const running = this.inFlight.get(key);
      if (running) {
        results.push(running.then((r) => ({ ...r, applied: false })));
        continue;
      }
      const done = this.ledger.prepare('SELECT memory_ids FROM memory_ledger WHERE event_id = ?').get(key) as { memory_ids: string } | undefined;
      if (done) {
        results.push(Promise.resolve({ memoryIds: JSON.parse(done.memory_ids) as string[], applied: false }));
        continue;
      }
      let settle!: (r: Promise<MemoryWriteResult>) => void;
      const p = new Promise<MemoryWriteResult>((resolve, reject) => (settle = (r) => r.then(resolve, reject)));
      this.inFlight.set(key, p);
      void p.catch(() => undefined).finally(() => this.inFlight.delete(key));
      results.push(p);
      todo.push({ req, key, settle });
    }
    if (todo.length) {
      if (this.extractor) {
        const written = this.writeInferred(todo.map((t) => t.req), todo.map((t) => t.key));
        todo.forEach((t, i) => t.settle(written.then((ids) => ({ memoryIds: ids[i], applied: true }))));
      } else {
        const written = this.writeVerbatim(todo.map((t) => t.req), todo.map((t) => t.key));
        todo.forEach((t, i) => t.settle(written.then((ids) => ({ memoryIds: [ids[i]], applied: true }))));
      }
    }
    return Promise.all(results);
  }

  private async writeVerbatim(reqs: AddMemoryRequest[], keys: string[]): Promise<string[]> {
    const ids = keys.map((k) => memoryIdFor(k));
    await this.writeRecords(reqs.map((req, i) => ({ req, id: ids[i] })));
    const tx = this.ledger.transaction(() => reqs.forEach((r, i) => this.recordRow(keys[i], 'add', [ids[i]], r.entity, r.namespace)));
    tx();
    return ids;
  }

  /** Embeds texts in one run and upserts them in Mem0's record layout under the given ids. */
  private async writeRecords(items: { req: AddMemoryRequest; id: string }[]): Promise<void> {
    const writer = this.writer!;
    const reqs = items.map((i) => i.req);
    const vectors = await this.guard('embed', () => writer.embed(reqs.map((r) => r.text)));
    const ids = items.map((i) => i.id);
    const createdAt = new Date().toISOString();
    const payloads = reqs.map((req) => {
      const scope = scoped(req.scope, req.namespace);
      // Mem0's record layout: identity keys at the top level, the text as `data`.
      return {
        ...req.metadata,
        event_id: req.eventId,
        entity: req.entity,
        namespace: req.namespace,
        ...toFilters(scope),
        data: req.text,
        textLemmatized: keywordText(req.text),
        hash: createHash('md5').update(req.text).digest('hex'),
        createdAt,
      };
    });
    await this.guard('add', () => writer.vectors.insert(vectors, ids, payloads));
  }

  /**
   * Fact extraction (infer on): each event's facts from the model, written like verbatim memories
   * under ids derived from the event and the fact's place, all in the event's ledger entry — so a
   * redelivered event is not extracted again, and one extracted again after a crash (the same
   * model at temperature 0) rewrites the same memories.
   */
  private async writeInferred(reqs: AddMemoryRequest[], keys: string[]): Promise<string[][]> {
    const extractor = this.extractor!;
    const facts: { text: string; metadata: Record<string, JsonValue> }[][] = [];
    for (const req of reqs) {
      try {
        facts.push((await extractor.facts(req.text)).map((text) => ({ text, metadata: { inferred: true } })));
      } catch (err) {
        // Down or overloaded: tried again later, like a store that is down.
        if (!(err instanceof LlmError) || err.retriable) throw new MemoryUnavailableError(`memory store: fact extraction with ${extractor.model} failed: ${(err as Error).message}`, err);
        // An answer that is not usable (a small model looping past its token budget) must neither
        // lose the event nor stall its partition: the message is kept verbatim, the reason with it.
        facts.push([{ text: req.text, metadata: { inferred: false, infer_error: err.message.slice(0, 200) } }]);
      }
    }
    const items = reqs.flatMap((req, i) => facts[i].map((f, j) => ({ req: { ...req, text: f.text, metadata: { ...req.metadata, ...f.metadata } }, id: memoryIdFor(`${keys[i]}#${j}`) })));
    if (items.length) await this.writeRecords(items);
    const ids = reqs.map((_, i) => facts[i].map((_f, j) => memoryIdFor(`${keys[i]}#${j}`)));
    const tx = this.ledger.transaction(() => reqs.forEach((r, i) => this.recordRow(keys[i], 'add', ids[i], r.entity, r.namespace)));
    tx();
    return ids;
  }

  async deleteEntity(entity: string, namespace: MemoryNamespace, eventId: string): Promise<MemoryWriteResult> {
    const ledgerKey = this.ledgerKey(namespace, eventId);
    const done = this.ledger.prepare('SELECT memory_ids FROM memory_ledger WHERE event_id = ?').get(ledgerKey) as { memory_ids: string } | undefined;
    if (done) return { memoryIds: JSON.parse(done.memory_ids), applied: false };
    const rows = this.ledger.prepare('SELECT memory_id FROM memory_entities WHERE entity = ? AND namespace = ?').all(entity, namespace) as { memory_id: string }[];
    const ids = rows.map((r) => r.memory_id);
    for (const id of ids) {
      await this.guard('delete', async () => {
        // Already gone (an interrupted earlier delete) is fine.
        if (await this.memory.get(id)) await this.memory.delete(id);
      });
    }
    const tx = this.ledger.transaction(() => {
      for (const id of ids) this.ledger.prepare('DELETE FROM memory_entities WHERE memory_id = ?').run(id);
      this.ledger.prepare('INSERT OR IGNORE INTO memory_ledger VALUES (?, ?, ?, ?)').run(ledgerKey, 'delete', JSON.stringify(ids), Date.now());
    });
    tx();
    return { memoryIds: ids, applied: ids.length > 0 };
  }

  /** Live entries keep the bare event id; a replay's shadow writes are separate entries. */
  private ledgerKey(namespace: MemoryNamespace, eventId: string): string {
    return namespace === 'live' ? eventId : `${namespace}:${eventId}`;
  }

  private recordRow(eventId: string, op: string, ids: string[], entity: string | null, namespace: MemoryNamespace): void {
    this.ledger.prepare('INSERT OR IGNORE INTO memory_ledger VALUES (?, ?, ?, ?)').run(eventId, op, JSON.stringify(ids), Date.now());
    for (const id of ids) this.ledger.prepare('INSERT OR REPLACE INTO memory_entities VALUES (?, ?, ?)').run(id, entity, namespace);
  }

  /**
   * Two stages. Candidates: with a reranker over the embedded store, the nearest vectors to the
   * query and the best keyword matches (Mem0's score mix of the two, with entity boosts, picks
   * candidates the cross-encoder does worse with: 5 points of recall@5 on LoCoMo); otherwise Mem0's search (vectors, BM25, entity
   * boosts). Then the reranker orders the first `search.rerank.candidates` (or `limit`, if more)
   * and the score is its relevance (0…1). `rerank: false`: Mem0's search alone.
   */
  async search(query: string, opts: { scope?: MemoryScope; limit?: number; namespace?: MemoryNamespace; rerank?: boolean } = {}): Promise<MemoryHit[]> {
    const scope = scoped(opts.scope ?? {}, opts.namespace ?? 'live');
    const limit = opts.limit ?? 10;
    if (!this.reranker || opts.rerank === false) return (await this.mem0Search(query, scope, limit)).slice(0, limit);
    const topK = Math.max(limit, this.candidates);
    const hits = this.vectors && this.localEmbedder ? await this.nearest(query, scope, topK) : await this.mem0Search(query, scope, topK);
    if (hits.length < 2) return hits;
    const context = (h: MemoryHit) => (typeof h.metadata[REPLY_CONTEXT_KEY] === 'string' ? h.metadata[REPLY_CONTEXT_KEY] : undefined);
    const ranked = await this.guard('rerank', () => rerank(this.reranker!, query, hits, (h) => h.text, { context, top: this.inContext }));
    return ranked.slice(0, limit).map(({ item, relevance }) => ({ ...item, score: relevance }));
  }

  private async mem0Search(query: string, scope: MemoryScope, topK: number): Promise<MemoryHit[]> {
    const res = await this.guard('search', () => this.memory.search(query, { filters: toFilters(scope), topK }));
    return res.results.map((r) => ({ id: r.id, text: r.memory, score: r.score ?? 0, metadata: (r.metadata ?? {}) as Record<string, JsonValue> }));
  }

  /**
   * Reranker candidates from the embedded store: the `topK` memories nearest the query, then up to
   * {@link KEYWORD_CANDIDATES} more of the best BM25 matches (on LoCoMo: 3 points more evidence at
   * top 5 after reranking), metadata as Mem0 returns it.
   */
  private async nearest(query: string, scope: MemoryScope, topK: number): Promise<MemoryHit[]> {
    const vector = await this.guard('embed', () => this.localEmbedder!.embedQuery(query));
    const filters = toFilters(scope);
    const [dense, keyword] = await this.guard('search', () => Promise.all([this.vectors!.search(vector, topK, filters), this.vectors!.keywordSearch(keywordText(query), KEYWORD_CANDIDATES, filters)]));
    const seen = new Set<string>();
    const hits: MemoryHit[] = [];
    for (const r of [...dense, ...(keyword ?? [])]) {
      if (seen.has(r.id) || typeof r.payload.data !== 'string') continue;
      seen.add(r.id);
      hits.push({ id: r.id, text: r.payload.data, score: r.score ?? 0, metadata: Object.fromEntries(Object.entries(r.payload).filter(([k]) => !MEM0_RECORD_KEYS.has(k))) as Record<string, JsonValue> });
    }
    return hits;
  }

  async get(memoryId: string): Promise<MemoryHit | null> {
    const r = await this.guard('get', () => this.memory.get(memoryId));
    return r ? { id: r.id, text: r.memory, score: 1, metadata: (r.metadata ?? {}) as Record<string, JsonValue> } : null;
  }

  /** From the ledger's entity index, each memory read back from the store. */
  async entityMemories(entity: string, limit = 100): Promise<MemoryHit[]> {
    const rows = this.ledger.prepare('SELECT memory_id FROM memory_entities WHERE entity = ? AND namespace = ? LIMIT ?').all(entity, 'live', limit) as { memory_id: string }[];
    const hits = await Promise.all(rows.map((r) => this.get(r.memory_id)));
    return hits.filter((h): h is MemoryHit => h !== null);
  }

  async history(memoryId: string): Promise<JsonValue[]> {
    return (await this.guard('history', () => this.memory.history(memoryId))) as JsonValue[];
  }

  async count(namespace?: MemoryNamespace): Promise<number> {
    const row = (namespace
      ? this.ledger.prepare('SELECT count(*) AS n FROM memory_entities WHERE namespace = ?').get(namespace)
      : this.ledger.prepare('SELECT count(*) AS n FROM memory_entities').get()) as { n: number };
    return row.n;
  }

  async ping(): Promise<void> {
    await this.guard('ping', async () => {
      this.ledger.prepare('SELECT 1').get();
    });
  }

  async close(): Promise<void> {
    this.vectors?.close();
    this.entities?.close();
    this.vectors = this.entities = undefined;
    this.ledger?.close();
  }
}
