import { phoenixVersion } from '@phoenix/config';
import { LlmError } from '@phoenix/llm';
import { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AccessAuditLog, AccessError, Action, describeScope, effectiveUserId, globMatches, Principal } from '@phoenix/access';
import { EventProducer } from '@phoenix/bus';
import { createEnvelope, TOPICS } from '@phoenix/contracts';
import { MemoryHit, MemoryReader } from '@phoenix/memory';
import { RowScope, SqlAssistant, WarehouseError } from '@phoenix/warehouse';

const ok = (value: unknown): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> });
const error = (message: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text: message }] });

/** What each data tool needs; the HTTP endpoint refuses a call without it (403) before it runs. */
export const MEMORY_TOOL_ACTIONS: Record<string, Action[]> = { search_memory: ['memory:read'], add_memory: ['memory:write'] };
export const WAREHOUSE_TOOL_ACTIONS: Record<string, Action[]> = { query: ['read'], nl_to_sql: ['read'], ask: ['read'] };

/**
 * Memory search narrowed to what `caller` may read, by construction: a key bound to a user
 * searches that user's memories only, and a key with `memory:read:<glob>` sees memories made
 * from matching topics only (it over-fetches, then filters by the memory's source topic, so it
 * may return fewer than `limit`). Every search leaves an `audit.access` event.
 */
export async function scopedMemorySearch(
  memory: MemoryReader,
  caller: Principal,
  query: string,
  opts: { limit?: number; userId?: string; runId?: string; namespace?: 'shadow'; rerank?: boolean },
  audit: AccessAuditLog | undefined,
  surface: string,
): Promise<MemoryHit[]> {
  const limit = opts.limit ?? 10;
  const userId = effectiveUserId(caller, opts.userId);
  const topics = caller.memoryTopics();
  const tenant = caller.tenant;
  const scope = describeScope(topics, userId, tenant);
  const narrowed = topics !== null || tenant !== undefined;
  const visible = (h: MemoryHit) => (topics === null || (typeof h.metadata.topic === 'string' && topics.some((g) => globMatches(g, h.metadata.topic as string)))) && (tenant === undefined || h.metadata.tenant === tenant);
  try {
    const fetched = await memory.search(query, { limit: narrowed ? Math.min(200, limit * 5) : limit, ...(userId || opts.runId ? { scope: { ...(userId ? { userId } : {}), ...(opts.runId ? { runId: opts.runId } : {}) } } : {}), ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.rerank === false ? { rerank: false } : {}) } as never);
    const hits = narrowed ? fetched.filter(visible).slice(0, limit) : fetched;
    await audit?.record(caller, { surface, action: 'memory:read', operation: 'search_memory', outcome: 'allowed', scope, count: hits.length });
    return hits;
  } catch (err) {
    await audit?.record(caller, { surface, action: 'memory:read', operation: 'search_memory', outcome: 'failed', scope, reason: (err as Error).message.slice(0, 200) }).catch(() => undefined);
    throw err;
  }
}

/** The rows of RAW_EVENTS `caller` may read (every row for admin and `read:*` keys). */
export function rowScopeOf(caller: Principal): RowScope | undefined {
  const topics = caller.readableTopics();
  if (topics === null && !caller.userId && !caller.tenant) return undefined;
  return { topics, ...(caller.userId ? { userId: caller.userId } : {}), ...(caller.tenant ? { tenant: caller.tenant } : {}) };
}

export function registerSearchMemory(server: McpServer, memory: MemoryReader, caller: Principal, audit: AccessAuditLog | undefined, surface: string): void {
  server.registerTool(
    'search_memory',
    {
      description: 'Semantic search over what Phoenix remembers: every memory-worthy event, rendered as a sentence. Narrowed to the memories your key may read.',
      inputSchema: z.object({ query: z.string().min(1), limit: z.number().int().min(1).max(100).optional(), userId: z.string().optional(), runId: z.string().optional().describe("Only this run's memories (a chat message's conversationId)") }),
    },
    async ({ query, limit, userId, runId }) => {
      try {
        return ok({ memories: await scopedMemorySearch(memory, caller, query, { limit, userId, runId }, audit, surface) });
      } catch (err) {
        if (err instanceof AccessError) return error(`forbidden: ${err.message}`);
        return error(`memory unavailable: ${(err as Error).message}`);
      }
    },
  );
}

/** `phoenix-memory`: search and add memories. Adding goes through Kafka like every other event. */
export function createMemoryMcpServer(memory: MemoryReader, producer: EventProducer, caller: Principal, audit?: AccessAuditLog): McpServer {
  const surface = 'mcp:phoenix-memory';
  const server = new McpServer({ name: 'phoenix-memory', version: phoenixVersion() }, { capabilities: { tools: {} }, instructions: 'Search and add to the semantic memory agents read before acting.' });
  registerSearchMemory(server, memory, caller, audit, surface);
  server.registerTool(
    'add_memory',
    {
      description: 'Remember a fact. It is published as an event (events.agent, type memory.note) and stored by the memory-writer, exactly once.',
      inputSchema: z.object({ text: z.string().min(1).max(4000), userId: z.string().optional(), key: z.string().optional() }),
    },
    async ({ text, userId, key }) => {
      let user: string | undefined;
      try {
        user = effectiveUserId(caller, userId);
      } catch (err) {
        await audit?.record(caller, { surface, action: 'memory:write', operation: 'add_memory', outcome: 'denied', reason: (err as Error).message });
        return error(`forbidden: ${(err as Error).message}`);
      }
      const event = createEnvelope({ type: 'memory.note', source: `mcp/phoenix-memory/${caller.name}`, key: key ?? null, payload: { text, ...(user ? { userId: user } : {}) }, tenant: caller.tenant ?? null });
      const receipt = await producer.publish(TOPICS.eventsAgent, event);
      await audit?.record(caller, { surface, action: 'memory:write', operation: 'add_memory', outcome: 'allowed', scope: describeScope(null, user), count: 1 });
      return ok({ eventId: event.id, ...receipt, note: 'stored by the memory-writer shortly; search_memory will find it' });
    },
  );
  return server;
}

/** `phoenix-warehouse`: read-only SQL, NL→SQL and questions over RAW_EVENTS, narrowed to the caller's rows. */
export function createWarehouseMcpServer(assistant: SqlAssistant, caller: Principal, audit?: AccessAuditLog): McpServer {
  const surface = 'mcp:phoenix-warehouse';
  const server = new McpServer({ name: 'phoenix-warehouse', version: phoenixVersion() }, { capabilities: { tools: {} }, instructions: 'Query every event Phoenix has seen (table RAW_EVENTS) that your key may read. All SQL passes a read-only guard that also adds your row scope.' });
  const rows = rowScopeOf(caller);
  const scope = rows ? describeScope(rows.topics, rows.userId, rows.tenant) : null;
  const guarded = async <T>(operation: string, work: () => Promise<T>, count: (r: T) => number | null) => {
    try {
      const result = await work();
      await audit?.record(caller, { surface, action: 'read', operation, outcome: 'allowed', scope, count: count(result) });
      return ok(result);
    } catch (err) {
      await audit?.record(caller, { surface, action: 'read', operation, outcome: 'failed', scope, reason: (err as Error).message.slice(0, 200) }).catch(() => undefined);
      return error(err instanceof WarehouseError || err instanceof LlmError ? `${err.code}: ${err.message}` : (err as Error).message);
    }
  };
  server.registerTool(
    'query',
    { description: 'Run one read-only SELECT over RAW_EVENTS (guarded: no DDL/DML, allowed tables only, row limit, your row scope).', inputSchema: z.object({ sql: z.string().min(1) }) },
    ({ sql }) => guarded('query', () => assistant.query(sql, rows), (r) => r.rows.length),
  );
  server.registerTool(
    'nl_to_sql',
    { description: 'Turn a question into SQL (Snowflake Cortex or the configured LLM); the SQL is checked by the guard, not run.', inputSchema: z.object({ question: z.string().min(1) }) },
    ({ question }) => guarded('nl_to_sql', () => assistant.nlToSql(question, rows), () => null),
  );
  server.registerTool(
    'ask',
    { description: 'Answer a question from the warehouse: NL→SQL, guard, run, summarize.', inputSchema: z.object({ question: z.string().min(1) }) },
    ({ question }) => guarded('ask', () => assistant.ask(question, rows), (r) => r.rows.length),
  );
  return server;
}
