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

/** Used until a memory store is configured: planning proceeds without context. */
export class NoopMemoryReader implements MemoryReader {
  async search(): Promise<MemoryHit[]> {
    return [];
  }
}
