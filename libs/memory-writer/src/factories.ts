import * as path from 'node:path';
import { loadMemoryConfig, Mem0MemoryStore } from '@phoenix/memory';
import { AppContext } from '@phoenix/runtime';
import { DuckDbWarehouse, WarehouseDriver } from '@phoenix/warehouse';
import { MemoryWriter } from './memory-writer';

/** The configured warehouse: embedded DuckDB unless a Snowflake account is configured. */
export function createWarehouse(ctx: AppContext): WarehouseDriver {
  const w = ctx.config.warehouse;
  if (w.kind === 'snowflake') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SnowflakeWarehouse } = require('@phoenix/warehouse') as typeof import('@phoenix/warehouse');
    return new SnowflakeWarehouse(w.snowflake!, ctx.logger);
  }
  return new DuckDbWarehouse(w.duckdbPath);
}

/** Mem0 with the configured providers; embedded default under <data>/memory. */
export async function createMemoryStore(ctx: AppContext): Promise<Mem0MemoryStore> {
  const cfg = loadMemoryConfig(ctx.config.paths.config, ctx.env);
  const store = new Mem0MemoryStore({ dir: path.join(ctx.config.paths.data, 'memory'), modelsDir: ctx.config.paths.models, store: cfg.store, llm: ctx.config.llm });
  await store.init();
  return store;
}

export async function createMemoryWriter(ctx: AppContext): Promise<MemoryWriter> {
  const memory = await createMemoryStore(ctx);
  return new MemoryWriter(ctx, createWarehouse(ctx), memory, loadMemoryConfig(ctx.config.paths.config, ctx.env));
}
