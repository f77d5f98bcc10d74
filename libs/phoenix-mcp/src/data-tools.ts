import { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { EventProducer } from '@phoenix/bus';
import { createEnvelope } from '@phoenix/contracts';
import { MemoryReader } from '@phoenix/memory';
import { SqlAssistant, WarehouseError } from '@phoenix/warehouse';

const ok = (value: unknown): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> });
const error = (message: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text: message }] });

export function registerSearchMemory(server: McpServer, memory: MemoryReader): void {
  server.registerTool(
    'search_memory',
    {
      description: 'Semantic search over what Phoenix remembers: every memory-worthy event, rendered as a sentence.',
      inputSchema: z.object({ query: z.string().min(1), limit: z.number().int().min(1).max(100).optional(), userId: z.string().optional() }),
    },
    async ({ query, limit, userId }) => {
      try {
        const hits = await memory.search(query, { limit: limit ?? 10, ...(userId ? { scope: { userId } } : {}) });
        return ok({ memories: hits });
      } catch (err) {
        return error(`memory unavailable: ${(err as Error).message}`);
      }
    },
  );
}

/** `phoenix-memory`: search and add memories. Adding goes through Kafka like every other event. */
export function createMemoryMcpServer(memory: MemoryReader, producer: EventProducer): McpServer {
  const server = new McpServer({ name: 'phoenix-memory', version: '0.1.0' }, { capabilities: { tools: {} }, instructions: 'Search and add to the semantic memory agents read before acting.' });
  registerSearchMemory(server, memory);
  server.registerTool(
    'add_memory',
    {
      description: 'Remember a fact. It is published as an event (events.agent, type memory.note) and stored by the memory-writer, exactly once.',
      inputSchema: z.object({ text: z.string().min(1).max(4000), userId: z.string().optional(), key: z.string().optional() }),
    },
    async ({ text, userId, key }) => {
      const event = createEnvelope({ type: 'memory.note', source: 'mcp/phoenix-memory', key: key ?? null, payload: { text, ...(userId ? { userId } : {}) } });
      const receipt = await producer.publish('events.agent', event);
      return ok({ eventId: event.id, ...receipt, note: 'stored by the memory-writer shortly; search_memory will find it' });
    },
  );
  return server;
}

/** `phoenix-warehouse`: read-only SQL, NL→SQL and questions over RAW_EVENTS. */
export function createWarehouseMcpServer(assistant: SqlAssistant): McpServer {
  const server = new McpServer({ name: 'phoenix-warehouse', version: '0.1.0' }, { capabilities: { tools: {} }, instructions: 'Query every event Phoenix has seen (table RAW_EVENTS). All SQL passes a read-only guard.' });
  const guarded = async <T>(work: () => Promise<T>) => {
    try {
      return ok(await work());
    } catch (err) {
      return error(err instanceof WarehouseError ? `${err.code}: ${err.message}` : (err as Error).message);
    }
  };
  server.registerTool(
    'query',
    { description: 'Run one read-only SELECT over RAW_EVENTS (guarded: no DDL/DML, allowed tables only, row limit).', inputSchema: z.object({ sql: z.string().min(1) }) },
    ({ sql }) => guarded(() => assistant.query(sql)),
  );
  server.registerTool(
    'nl_to_sql',
    { description: 'Turn a question into SQL (Snowflake Cortex or the configured LLM); the SQL is checked by the guard, not run.', inputSchema: z.object({ question: z.string().min(1) }) },
    ({ question }) => guarded(() => assistant.nlToSql(question)),
  );
  server.registerTool(
    'ask',
    { description: 'Answer a question from the warehouse: NL→SQL, guard, run, summarize.', inputSchema: z.object({ question: z.string().min(1) }) },
    ({ question }) => guarded(() => assistant.ask(question)),
  );
  return server;
}
