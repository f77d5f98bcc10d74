import * as path from 'node:path';
import { PhoenixConfig } from '@phoenix/config';
import { Mem0MemoryStore } from './mem0.store';
import { loadMemoryConfig } from './memory.config';

/** Mem0 with the configured providers; embedded default under <data>/memory. */
export async function createMemoryStore(config: PhoenixConfig, env?: NodeJS.ProcessEnv, log?: (message: string) => void): Promise<Mem0MemoryStore> {
  const cfg = loadMemoryConfig(config.paths.config, env);
  const store = new Mem0MemoryStore({ dir: path.join(config.paths.data, 'memory'), modelsDir: config.paths.models, store: cfg.store, search: cfg.search, llm: config.llm, log });
  await store.init();
  return store;
}
