import { phoenixVersion } from '@phoenix/config';
import { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { BusRuntime, TopicView } from '@phoenix/bus';
import { AccessAuditLog, Action, effectiveUserId, Principal } from '@phoenix/access';
import { actionInputSchema, chatInputSchema, ContractError, createEnvelope, envelopeFromInput, eventInputSchema, feedbackFields, interactionEvent, interactionIds, JsonValue, newEventId, RouterStatus, ServerCapabilities, TaskRequest, TaskState, TOPICS, zodViolations } from '@phoenix/contracts';
import { MemoryReader } from '@phoenix/memory';
import { parseTaskRuntime, TaskStateInvalidError, toOutcome } from '@phoenix/supervisor';
import { LineageIndex } from '@phoenix/console';
import { registerSearchMemory } from './data-tools';

/** Read models Phoenix's MCP tools answer from (compacted topics, kept current in memory). */
export class PhoenixViews {
  readonly tasks: TopicView<TaskState>;
  readonly capabilities: TopicView<ServerCapabilities>;
  /** Every router's rules and counts (started on first use by {@link routerStatuses}). */
  readonly routers: TopicView<RouterStatus>;
  private started?: Promise<void>;
  private routersStarted?: Promise<void>;

  private memoryStore?: Promise<MemoryReader>;
  /** Cause and effect across topics, where this process reads every topic (the gateway's console feed). */
  lineage?: LineageIndex;

  /** `memory` opens the memory store on first use (the gateway only needs it for search_memory). */
  constructor(
    readonly bus: BusRuntime,
    private readonly memoryFactory?: () => Promise<MemoryReader>,
  ) {
    this.tasks = new TopicView<TaskState>(bus.kafka, bus.codec, TOPICS.supervisorState, bus.logger);
    this.capabilities = new TopicView<ServerCapabilities>(bus.kafka, bus.codec, TOPICS.mcpCapabilities, bus.logger);
    this.routers = new TopicView<RouterStatus>(bus.kafka, bus.codec, TOPICS.routerStatus, bus.logger);
  }

  /** The latest status of every router process. */
  async routerStatuses(): Promise<RouterStatus[]> {
    this.routersStarted ??= this.routers.start().then(() => this.routers.ready());
    this.routersStarted.catch(() => (this.routersStarted = undefined));
    await this.routersStarted;
    return this.routers.values().map((e) => e.payload);
  }

  /** Starts the views on first use (once; a failed start is tried again by the next caller). */
  start(): Promise<void> {
    this.started ??= (async () => {
      await Promise.all([this.tasks.start(), this.capabilities.start()]);
      await Promise.all([this.tasks.ready(), this.capabilities.ready()]);
    })();
    this.started.catch(() => (this.started = undefined));
    return this.started;
  }

  memory(): Promise<MemoryReader> | undefined {
    if (!this.memoryFactory) return undefined;
    this.memoryStore ??= this.memoryFactory();
    this.memoryStore.catch(() => (this.memoryStore = undefined));
    return this.memoryStore;
  }

  async stop(): Promise<void> {
    await Promise.all([this.tasks.stop(), this.capabilities.stop(), this.routers.stop()]);
  }
}

/** A reader that opens the real store on first search. */
class LazyMemory implements MemoryReader {
  constructor(private readonly open: () => Promise<MemoryReader>) {}
  async search(query: string, opts?: Parameters<MemoryReader['search']>[1]) {
    return (await this.open()).search(query, opts);
  }
  async entityMemories(entity: string, limit?: number) {
    const m = await this.open();
    if (!m.entityMemories) throw new Error('this memory store cannot list memories by entity');
    return m.entityMemories(entity, limit);
  }
}

const ok = (value: unknown): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> });
const error = (message: string, details?: unknown): CallToolResult => ({ isError: true, content: [{ type: 'text', text: details ? `${message}\n${JSON.stringify(details, null, 2)}` : message }] });

/** What starting a supervisor task takes (the `start_task` tool and `POST /v1/tasks`). */
export const startTaskSchema = z.object({
  goal: z.string().min(1).max(2000),
  inputs: z.record(z.string(), z.any()).optional(),
  playbook: z.string().max(200).optional().describe('Force a playbook (config/playbooks)'),
  planner: z.enum(['playbook', 'llm']).optional(),
  timeoutMs: z.number().int().min(1000).optional(),
  memory: z.boolean().optional().describe('false: plan and answer without reading memory'),
});

/** Publishes a `task.requested` on supervisor.tasks for `caller` (who must hold tasks:start). */
export async function requestTask(bus: BusRuntime, caller: Principal, source: string, args: z.infer<typeof startTaskSchema>): Promise<{ taskId: string; correlationId: string | null }> {
  const taskId = `task-${newEventId()}`;
  const payload: TaskRequest = {
    taskId,
    goal: args.goal,
    inputs: (args.inputs ?? {}) as JsonValue,
    constraints: { timeoutMs: args.timeoutMs ?? null, maxSteps: null, playbook: args.playbook ?? null, planner: args.planner ?? null, memory: args.memory ?? null },
    requestedBy: source,
  };
  const event = createEnvelope({ type: 'task.requested', source, key: taskId, payload, tenant: caller.tenant ?? null });
  await bus.producer.publish(TOPICS.supervisorTasks, event);
  return { taskId, correlationId: event.correlationId };
}

/** What each of Phoenix's own tools needs; `/mcp` refuses a call without it (403) before it runs. */
export const PHOENIX_TOOL_ACTIONS: Record<string, Action[]> = {
  publish_event: ['publish'],
  start_task: ['tasks:start'],
  get_task: ['tasks:read'],
  list_capabilities: ['tasks:read', 'tasks:start'],
  record_chat: ['publish'],
  record_action: ['publish'],
  record_feedback: ['publish'],
  search_memory: ['memory:read'],
  get_lineage: ['read'],
};

/**
 * Phoenix as an MCP server: the tools any MCP client (an AI coder, an agent) uses to drive it.
 * The same server is mounted on the gateway at `/mcp` (Streamable HTTP) and run over stdio by
 * `apps/mcp-phoenix`. `caller` bounds what it may do: topics it may publish to, tasks, memory;
 * writes leave an `audit.access` event when `audit` is given.
 */
export function createPhoenixMcpServer(views: PhoenixViews, caller: Principal, source: string, audit?: AccessAuditLog): McpServer {
  const { bus } = views;
  const surface = 'mcp:phoenix';
  const audited = (action: Action, operation: string, scope: string) => audit?.record(caller, { surface, action, operation, outcome: 'allowed', scope, count: 1 });
  const server = new McpServer({ name: 'phoenix', version: phoenixVersion() }, { capabilities: { tools: {} }, instructions: 'Publish typed events onto Phoenix topics, start supervisor tasks and follow them, and see which MCP tools the workers offer.' });

  server.registerTool(
    'publish_event',
    {
      description: 'Publish one event on a Phoenix topic. The payload is validated against the topic schema; the answer says where the broker stored it.',
      inputSchema: z.object({
        topic: z.string().describe('Catalogue topic, e.g. events.app (see list_topics)'),
        type: z.string().describe('What happened, e.g. deal.updated'),
        payload: z.any().describe("The payload; its shape is fixed by the topic's schema"),
        key: z.string().optional().describe('Entity key: events with the same key stay in order'),
        correlationId: z.string().optional(),
      }),
    },
    async (args) => {
      const parsed = eventInputSchema.safeParse({ ...args, source: source });
      if (!parsed.success) return error('invalid event', zodViolations(parsed.error));
      const resolved = bus.catalogue.resolve(parsed.data.topic);
      if (!resolved || resolved.role !== 'main') return error(`unknown topic "${parsed.data.topic}"; call list_topics`);
      if (!caller.mayPublish(parsed.data.topic)) return error(`forbidden: this API key may not publish to ${parsed.data.topic}`);
      const envelope = { ...envelopeFromInput(parsed.data, source), tenant: caller.tenant ?? null };
      try {
        const receipt = await bus.producer.publish(parsed.data.topic, envelope);
        await audited('publish', 'publish_event', parsed.data.topic);
        return ok({ id: envelope.id, correlationId: envelope.correlationId, ...receipt });
      } catch (err) {
        if (err instanceof ContractError) return error(err.message, err.details.violations);
        return error(`not published: ${(err as Error).message}`);
      }
    },
  );

  server.registerTool(
    'start_task',
    {
      description: 'Ask the supervisor to achieve a goal (e.g. "analyze last week\'s sales calls"). Returns a taskId; follow it with get_task.',
      inputSchema: startTaskSchema,
    },
    async (args) => {
      if (!caller.can('tasks:start')) return error('forbidden: this API key may not start tasks (scope tasks:start)');
      const started = await requestTask(bus, caller, source, args);
      await audited('tasks:start', 'start_task', TOPICS.supervisorTasks);
      return ok(started);
    },
  );

  server.registerTool(
    'get_task',
    { description: 'Status, plan and per-step results of a supervisor task.', inputSchema: z.object({ taskId: z.string() }) },
    async ({ taskId }) => {
      await views.start();
      const stored = views.tasks.get(taskId)?.payload.state;
      if (stored === undefined) return error(`no task ${taskId} yet (it may still be queued)`);
      try {
        const rt = parseTaskRuntime(stored, `${TOPICS.supervisorState}/${taskId}`);
        // Another key's task reads as absent: its existence is not revealed.
        if (!caller.mayReadTask(rt.task.requestedBy)) return error(`no task ${taskId} yet (it may still be queued)`);
        return ok(toOutcome(rt, null));
      } catch (err) {
        if (err instanceof TaskStateInvalidError) return error(err.message);
        throw err;
      }
    },
  );

  server.registerTool('list_capabilities', { description: 'MCP servers the workers call, with their tools and input schemas.' }, async () => {
    await views.start();
    return ok({ servers: views.capabilities.values().map((e) => e.payload) });
  });

  const record = async (kind: 'chat' | 'actions' | 'feedback', args: unknown) => {
    let built: ReturnType<typeof interactionEvent>;
    try {
      built = interactionEvent(kind, args, source);
    } catch (err) {
      return error(`invalid ${kind}`, err instanceof z.ZodError ? zodViolations(err) : (err as Error).message);
    }
    if (!caller.mayPublish(built.topic)) return error(`forbidden: this API key may not publish to ${built.topic}`);
    const payload = built.event.payload as { userId: string | null };
    try {
      payload.userId = effectiveUserId(caller, payload.userId) ?? null;
      built.event.tenant = caller.tenant ?? null;
    } catch (err) {
      return error(`forbidden: ${(err as Error).message}`);
    }
    const receipt = await bus.producer.publish(built.topic, built.event);
    await audited('publish', `record_${kind === 'actions' ? 'action' : kind}`, built.topic);
    return ok({ ...interactionIds(built.event), ...receipt });
  };
  server.registerTool(
    'record_chat',
    { description: 'Record a chat message (user or assistant). Assistant messages get a responseId that feedback can refer to.', inputSchema: chatInputSchema },
    (args) => record('chat', args),
  );
  server.registerTool(
    'record_action',
    { description: 'Record a UI action (clicked, accepted, copied, dismissed …) on a target, optionally on an AI response by responseId.', inputSchema: actionInputSchema },
    (args) => record('actions', args),
  );
  server.registerTool(
    'record_feedback',
    { description: 'Record feedback on an AI response by responseId: rating 1–5, thumbs up/down, a correction or a label.', inputSchema: feedbackFields },
    (args) => record('feedback', args),
  );

  if (views.memory()) registerSearchMemory(server, new LazyMemory(() => views.memory()!), caller, audit, surface);

  server.registerTool(
    'get_lineage',
    {
      description: 'What caused an event and everything it caused, across topics (routed commands, tool results, task steps, n8n deliveries, memory changes), as a tree with timings. Events on topics your key may not read show as hidden.',
      inputSchema: z.object({ eventId: z.string().min(1).max(200) }),
    },
    async ({ eventId }) => {
      if (!views.lineage) return error('lineage is answered by the gateway (its console feed reads every topic); this server has none');
      const node = views.lineage.get(eventId);
      if (!node || !caller.mayRead(node.topic)) return error(`no event ${eventId} among the last ${views.lineage.maxEntries} events read`);
      return ok(await views.lineage.resolve(eventId, (n) => caller.mayRead(n.topic)));
    },
  );

  server.registerTool('list_topics', { description: 'Topics in the catalogue, with their schema family.' }, async () =>
    ok({ topics: bus.catalogue.topics().map((t) => ({ name: t.name, family: t.family, description: t.description })) }),
  );

  return server;
}
