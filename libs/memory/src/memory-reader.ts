import { JsonValue } from '@phoenix/contracts';

/** Mem0 scopes: whose memory a search looks at. */
export interface MemoryScope {
  userId?: string;
  agentId?: string;
  runId?: string;
}

export interface MemoryHit {
  id: string;
  text: string;
  score: number;
  metadata: Record<string, JsonValue>;
}

/** What agents read before acting. Implemented over Mem0; the no-op driver returns nothing. */
export interface MemoryReader {
  /** `rerank: false` skips the second stage where the store has one (faster, less exact). */
  search(query: string, opts?: { scope?: MemoryScope; limit?: number; rerank?: boolean }): Promise<MemoryHit[]>;
  /** The live memories about one entity (`<topic>/<key>`), where the reader can list them. */
  entityMemories?(entity: string, limit?: number): Promise<MemoryHit[]>;
}

/**
 * A reader whose store is opened on the first search (loading the embedder takes seconds), so an
 * app that may never search starts at once; a store that fails to open is tried again next time.
 */
export class LazyMemoryReader implements MemoryReader {
  private store: Promise<MemoryReader> | null = null;

  constructor(private readonly open: () => Promise<MemoryReader>) {}

  private reader(): Promise<MemoryReader> {
    this.store ??= this.open().catch((err) => {
      this.store = null;
      throw err;
    });
    return this.store;
  }

  async search(query: string, opts?: Parameters<MemoryReader['search']>[1]): Promise<MemoryHit[]> {
    return (await this.reader()).search(query, opts);
  }

  /** The store, if it was opened (to close it). */
  opened(): Promise<MemoryReader> | null {
    return this.store;
  }
}

/** Used until a memory store is configured: planning proceeds without context. */
export class NoopMemoryReader implements MemoryReader {
  async search(): Promise<MemoryHit[]> {
    return [];
  }
}
