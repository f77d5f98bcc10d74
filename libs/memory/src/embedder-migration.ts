import type Database from 'better-sqlite3';
import { EmbeddedVectorStore } from './embedded-vector-store';

/** The model a store's vectors were made with, from before Phoenix recorded it. */
export const LEGACY_EMBEDDER = 'local:all-MiniLM-L6-v2';

/** The embedder a store's vectors were made with (null: a new store), kept in the ledger. */
export function storedEmbedder(ledger: Database.Database, hasVectors: boolean): string | null {
  ledger.exec('CREATE TABLE IF NOT EXISTS memory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const row = ledger.prepare("SELECT value FROM memory_meta WHERE key = 'embedder'").get() as { value: string } | undefined;
  return row?.value ?? (hasVectors ? LEGACY_EMBEDDER : null);
}

export function recordEmbedder(ledger: Database.Database, embedder: string): void {
  ledger.prepare("INSERT OR REPLACE INTO memory_meta VALUES ('embedder', ?)").run(embedder);
}

/**
 * Embeds every entry of `store` again from its text (`payload.data`), in batches, keeping ids and
 * payloads: after a change of embedding model, old vectors are not comparable with new queries.
 * Returns how many entries were re-embedded.
 */
export async function reembed(store: EmbeddedVectorStore, embed: (texts: string[]) => Promise<number[][]>, progress: (done: number, total: number) => void, batch = 256): Promise<number> {
  const [rows, total] = await store.list(undefined, Number.MAX_SAFE_INTEGER);
  let done = 0;
  for (let i = 0; i < rows.length; i += batch) {
    const chunk = rows.slice(i, i + batch);
    const vectors = await embed(chunk.map((r) => String(r.payload.data ?? '')));
    await store.insert(
      vectors,
      chunk.map((r) => r.id),
      chunk.map((r) => r.payload),
    );
    done += chunk.length;
    progress(done, total);
  }
  return done;
}
