import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { loadYamlConfig } from '@phoenix/config';
import { DEFAULT_LOCAL_EMBEDDER, DEFAULT_LOCAL_RERANKER } from './local-model';

/** Replies read again in context per search (see `rerank`): off until the full eval has measured it. */
const DEFAULT_IN_CONTEXT = 10;

const globs = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

export const memoryFileSchema = z
  .object({
    /** Topics the memory-writer consumes: every event on them goes to the warehouse. */
    topics: z.object({ include: globs.default(['*']), exclude: globs.default([]) }).strict().default({ include: ['*'], exclude: [] }),
    /** Which of those events become memories; first match wins. */
    memories: z
      .array(
        z
          .object({
            match: z.object({ topics: globs, types: globs.optional() }).strict(),
            /** Leave out events that match (an exclusion rule). */
            skip: z.boolean().default(false),
            /** A template with {{ $.json.path }} placeholders; the built-in rendering when absent. */
            text: z.string().optional(),
            /** Mem0 scopes; templates allowed. Memories default to the shared agent scope "phoenix". */
            scope: z.object({ userId: z.string().optional(), agentId: z.string().optional(), runId: z.string().optional() }).strict().optional(),
          })
          .strict(),
      )
      .default([]),
    store: z
      .object({
        /** local (in-process; `config.model`: e5-small-v2 by default, or all-MiniLM-L6-v2), or a Mem0 provider: openai, ollama, huggingface (TEI) … */
        embedder: z.object({ provider: z.string().default('local'), config: z.record(z.string(), z.unknown()).default({}) }).default({ provider: 'local', config: {} }),
        /** memory (SQLite on disk), or a Mem0 provider: pgvector, qdrant, redis … */
        vectorStore: z.object({ provider: z.string().default('memory'), config: z.record(z.string(), z.unknown()).default({}) }).default({ provider: 'memory', config: {} }),
        /** LLM fact extraction: auto = on when LLM_BASE_URL is configured. */
        infer: z.enum(['auto', 'on', 'off']).default('auto'),
      })
      .strict()
      .default({ embedder: { provider: 'local', config: {} }, vectorStore: { provider: 'memory', config: {} }, infer: 'auto' }),
    search: z
      .object({
        /**
         * Second stage of every search: the first `candidates` hits of the vector + keyword search
         * are re-ordered by a cross-encoder (local, in-process), or left as they are (off).
         */
        rerank: z
          .object({
            provider: z.enum(['local', 'off']).default('local'),
            model: z.string().default(DEFAULT_LOCAL_RERANKER),
            candidates: z.number().int().min(1).max(200).default(30),
            /** How many of the best reranked replies are read again after the message they reply to (0: none). */
            inContext: z.number().int().min(0).max(200).default(DEFAULT_IN_CONTEXT),
          })
          .strict()
          .default({ provider: 'local', model: DEFAULT_LOCAL_RERANKER, candidates: 30, inContext: DEFAULT_IN_CONTEXT }),
      })
      .strict()
      .default({ rerank: { provider: 'local', model: DEFAULT_LOCAL_RERANKER, candidates: 30, inContext: DEFAULT_IN_CONTEXT } }),
  })
  .strict();

/** The local embedding model a store config names (`store.embedder.config.model`), or null for a remote provider. */
export function localEmbedderModel(store: MemoryFileConfig['store']): string | null {
  if (store.embedder.provider !== 'local') return null;
  const model = store.embedder.config.model;
  return typeof model === 'string' && model ? model : DEFAULT_LOCAL_EMBEDDER;
}

export type MemoryFileConfig = z.infer<typeof memoryFileSchema>;

/** `config/memory.yaml`, or defaults (everything, built-in renderings) when the file is absent. */
export function loadMemoryConfig(configDir: string, env?: NodeJS.ProcessEnv): MemoryFileConfig {
  const file = path.join(configDir, 'memory.yaml');
  if (!fs.existsSync(file)) return memoryFileSchema.parse({});
  return loadYamlConfig(file, memoryFileSchema, env);
}
