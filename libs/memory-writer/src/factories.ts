import { LlmClient } from '@phoenix/llm';
import { createMemoryStore, loadMemoryConfig } from '@phoenix/memory';
import { AppContext } from '@phoenix/runtime';
import { Completer, CortexCompleter, DuckDbWarehouse, OpenAiCompleter, SnowflakeWarehouse, SqlAssistant, WarehouseDriver } from '@phoenix/warehouse';
import { MemoryWriter } from './memory-writer';

/** The configured warehouse: embedded DuckDB unless a Snowflake account is configured. */
export function createWarehouse(ctx: AppContext): WarehouseDriver {
  const w = ctx.config.warehouse;
  if (w.kind === 'snowflake') return new SnowflakeWarehouse(w.snowflake!, ctx.logger);
  return new DuckDbWarehouse(w.duckdbPath);
}

export async function createMemoryWriter(ctx: AppContext): Promise<MemoryWriter> {
  const memory = await createMemoryStore(ctx.config, ctx.env, (m) => ctx.logger.info(m));
  return new MemoryWriter(ctx, createWarehouse(ctx), memory, loadMemoryConfig(ctx.config.paths.config, ctx.env));
}

/** NL→SQL over the writer's warehouse: Cortex on Snowflake, else the configured LLM, else SQL only. */
export function createSqlAssistant(ctx: AppContext, warehouse: WarehouseDriver): SqlAssistant {
  let completer: Completer | undefined;
  if (warehouse instanceof SnowflakeWarehouse) completer = new CortexCompleter((sql, binds) => warehouse.scalarText(sql, binds));
  else if (ctx.config.llm) completer = new OpenAiCompleter(new LlmClient(ctx.config.llm));
  const schema = ctx.config.warehouse.snowflake?.schema ?? 'main';
  return new SqlAssistant(warehouse, completer, {
    dialect: warehouse.kind === 'snowflake' ? 'snowflake' : 'postgresql',
    allowedTables: ['RAW_EVENTS'],
    allowedSchemas: [schema, 'main', 'public'],
    maxRows: ctx.config.warehouse.queryMaxRows,
  });
}
