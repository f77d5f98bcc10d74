import { z } from 'zod';
import { redriveRequestSchema } from '@phoenix/console';
import { startTaskSchema } from '@phoenix/phoenix-mcp';
import { dryRunRequestSchema } from '@phoenix/routing';
import { forgetRequestSchema } from '../memory/memory.controller';
import { actionInputSchema, chatInputSchema, eventInputSchema, feedbackFields, publishResultSchema, TOPICS } from '@phoenix/contracts';

type JsonSchema = Record<string, unknown>;

/** A zod schema as the JSON Schema (2020-12, OpenAPI 3.1) of what a client sends. */
export function inputSchema(schema: z.ZodType, required: string[] = []): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as JsonSchema;
  // zod treats `unknown` fields as optional; those the code refines to be present are required.
  if (required.length) json.required = [...new Set([...((json.required as string[]) ?? []), ...required])];
  return json;
}

/** A zod schema as the JSON Schema of what the gateway answers. */
export function outputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'output' }) as JsonSchema;
  return json;
}


const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable error code, e.g. BAD_REQUEST, EVENT_INVALID, UNKNOWN_TOPIC'),
    message: z.string(),
    violations: z.array(z.object({ path: z.string().describe('JSON pointer (RFC 6901) into the request body'), message: z.string() })).optional(),
  }),
});

const topicsSchema = z.object({
  topics: z.array(z.object({ name: z.string(), family: z.string(), partitions: z.number().int(), description: z.string().optional() })),
});

const batchItemResult = z.object({
  index: z.number().int().optional(),
  status: z.number().int().describe('The status this event alone would have had (201, 400, 403, 404, 503 …)'),
  id: z.string().optional(),
  topic: z.string().optional(),
  partition: z.number().int().optional(),
  offset: z.string().optional(),
  correlationId: z.string().optional(),
  error: errorSchema.shape.error.optional(),
});

const batchResult = z.object({ accepted: z.number().int(), failed: z.number().int(), results: z.array(batchItemResult) });

const interactionReceipt = z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }).catchall(z.unknown());

const jsonRpcRequest = z
  .object({
    jsonrpc: z.literal('2.0'),
    id: z.union([z.string(), z.number().int()]).optional().describe('Absent for notifications'),
    method: z.string().min(1).describe('server/discover, initialize, tools/list, tools/call …'),
    params: z.object({ _meta: z.record(z.string(), z.unknown()).optional() }).catchall(z.unknown()).optional(),
  })
  .strict()
  .describe('A JSON-RPC 2.0 request or notification (Model Context Protocol, Streamable HTTP, stateless)');

const jsonRpcResponse = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
  result: z.unknown().optional(),
  error: z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }).optional(),
});

const health = z.object({
  status: z.enum(['up', 'down']),
  app: z.string().optional(),
  checks: z.record(z.string(), z.object({ status: z.string(), latencyMs: z.number().optional(), detail: z.string().optional() }).catchall(z.unknown())).optional(),
});

const feedEvent = z.object({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  timestamp: z.number().int().describe('Kafka record time, epoch ms'),
  headers: z.record(z.string(), z.string()),
  event: z.object({ id: z.string(), type: z.string(), source: z.string() }).catchall(z.unknown()).describe('The decoded envelope'),
});

const tailEvents = z.object({ topic: z.string(), events: z.array(feedEvent) });

const lineageNode = z.object({
  id: z.string(),
  type: z.string(),
  source: z.string(),
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: z.string().nullable(),
  occurredAt: z.number().int(),
  ingestedAt: z.number().int(),
  correlationId: z.string().nullable(),
  causationId: z.string().nullable(),
  tenant: z.string().nullable(),
  preview: z.string().describe('The payload as JSON text, cut to 400 characters'),
});

interface LineageTreeShape {
  node: unknown;
  afterRootMs: number | null;
  children: LineageTreeShape[];
}
const lineageTree: z.ZodType<LineageTreeShape> = z.lazy(() =>
  z.object({
    node: z.union([lineageNode, z.object({ id: z.string(), hidden: z.literal(true) })]),
    afterRootMs: z.number().nullable().describe("Milliseconds from the root's ingestion"),
    children: z.array(lineageTree),
  }),
);

const lineage = z.object({
  eventId: z.string(),
  root: lineageTree,
  path: z.array(z.string()).describe('Ids from the root down to the event asked for'),
  causeOutsideIndex: z.string().nullable().describe("The root's own cause, when it is older than what the gateway has read"),
  nodes: z.number().int(),
  truncated: z.boolean(),
  memories: z.array(z.object({ memoryId: z.string().nullable(), op: z.enum(['add', 'delete']), causedBy: z.string().nullable() })).describe('Memories written or deleted for events of the tree (memory.changes)'),
  warehouse: z
    .object({
      group: z.string().describe("The memory-writer's consumer group"),
      rows: z.record(z.string(), z.enum(['stored', 'pending'])).describe('Per event id: its RAW_EVENTS row is written (below the offset the memory-writer committed after its warehouse transaction), or not yet'),
      error: z.string().optional(),
    })
    .describe('Warehouse rows of the events of the tree; events on topics the memory-writer does not read are left out'),
});

const feedStats = z.object({
  lineageEvents: z.number().int(),
  undecodable: z.number().int(),
  topics: z.array(z.object({ topic: z.string(), read: z.number().int(), perSecond: z.array(z.number().int()).describe('Events per second over the last 60 s, oldest first') })),
});

const redriveMark = z.object({ topic: z.string(), partition: z.number().int(), offset: z.string(), eventId: z.string().nullable(), at: z.number().int() });

const deadLetter = z.object({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  timestamp: z.number().int(),
  key: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
  originalTopic: z.string().nullable(),
  originalPosition: z.string().nullable().describe('`<topic>/<partition>/<offset>` where it was first read'),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  errorKind: z.string().nullable().describe('decode, fatal or exhausted'),
  attempts: z.number().int().nullable(),
  event: z.object({ id: z.string(), type: z.string() }).catchall(z.unknown()).nullable().describe('The envelope, when the bytes decode'),
  rawPreview: z.string().nullable(),
  redriven: redriveMark.nullable().describe('Where the redriven copy landed, once the gateway has read it'),
});

const deadLetterTopics = z.object({ topics: z.array(z.object({ topic: z.string(), held: z.number().int(), redriven: z.number().int() })) });
const deadLetters = z.object({ topic: z.string(), deadLetters: z.array(deadLetter) });

const redriveResults = z.object({
  topic: z.string(),
  redriven: z.number().int(),
  failed: z.number().int(),
  results: z.array(z.union([z.object({ position: z.string(), to: z.string(), partition: z.number().int(), offset: z.string() }), z.object({ position: z.string(), error: z.string() })])),
});

const taskList = z.object({
  tasks: z.array(
    z.object({
      taskId: z.string(),
      goal: z.string(),
      status: z.string(),
      planner: z.string().nullable(),
      steps: z.number().int(),
      stepsDone: z.number().int(),
      startedAt: z.number().int(),
      finishedAt: z.number().int().nullable(),
      durationMs: z.number().int().nullable(),
    }),
  ),
});

const taskStarted = z.object({ taskId: z.string(), correlationId: z.string().nullable() });

const memoryHits = z.object({
  memories: z.array(z.object({ id: z.string(), text: z.string(), score: z.number(), metadata: z.record(z.string(), z.unknown()) })),
});

const lagHistory = z.object({
  samples: z.array(
    z.object({
      at: z.number().int(),
      groups: z.array(z.object({ group: z.string(), state: z.string(), members: z.number().int(), lag: z.number().int() })),
      deadLetters: z.record(z.string(), z.number().int()),
    }),
  ),
});

const ruleOverview = z.object({
  name: z.string(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  topics: z.array(z.string()),
  targets: z.array(z.string()),
  hits: z.number().int(),
  emitted: z.number().int(),
  skipped: z.number().int().describe('Emits left out because the event was a CDC snapshot or a replay'),
  errors: z.number().int().describe('Emits the broker refused'),
  lastHitAt: z.number().int().nullable(),
  lastErrorAt: z.number().int().nullable(),
  lastErrorMessage: z.string().nullable(),
  config: z.record(z.string(), z.json()).describe('The rule as loaded (config/routes.yaml)'),
});

const routesOverview = z.object({
  routers: z.array(z.object({ process: z.string(), file: z.string(), loadedAt: z.number().int(), startedAt: z.number().int(), updatedAt: z.number().int(), stale: z.boolean(), rejectedNow: z.boolean() })),
  rules: z.array(ruleOverview),
  lastRejected: z.object({ process: z.string(), at: z.number().int(), error: z.string(), rejectedNow: z.boolean().describe('The file on disk is rejected now; older rules are active') }).nullable(),
});

const dryRunResult = z.object({
  topic: z.string(),
  event: z.record(z.string(), z.json()).describe('The envelope the event would have'),
  results: z.array(
    z.object({
      rule: z.string(),
      matched: z.boolean(),
      reason: z.string().nullable().describe('Why the rule does not match'),
      emits: z.array(
        z.object({
          index: z.number().int(),
          kind: z.enum(['mcp', 'task', 'n8n', 'topic']),
          target: z.string(),
          outcome: z.enum(['emitted', 'skipped-snapshot', 'skipped-replay']),
          event: z.record(z.string(), z.json()).optional().describe('The event it would publish'),
          headers: z.record(z.string(), z.string()),
        }),
      ),
    }),
  ),
});

const preferenceDataset = z.object({
  messages: z.number().int().describe('Chat messages read'),
  feedback: z.number().int().describe('Feedback events read'),
  skipped: z.number().int().describe('Events left out: undecodable, or of another tenant'),
  pairs: z.array(z.object({ prompt: z.string(), chosen: z.string(), rejected: z.string(), source: z.enum(['correction', 'ranking']), responseIds: z.array(z.string()), conversationId: z.string() })),
  sft: z.array(z.object({ prompt: z.string(), completion: z.string(), source: z.enum(['rated', 'correction']), responseId: z.string(), conversationId: z.string() })),
});

/**
 * zod writes recursive parts (z.json()) as local `$defs`, which OpenAPI tools do not resolve inside
 * a component: each becomes a component of its own, `<Component>_<def>`, and references follow.
 */
function hoistDefs(schemas: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const { $defs, ...rest } = schema as { $defs?: Record<string, JsonSchema> };
    const rewrite = (v: unknown) => JSON.parse(JSON.stringify(v).replace(/"#\/\$defs\/([^"]+)"/g, (_m, def: string) => `"#/components/schemas/${name}_${def}"`));
    out[name] = $defs ? rewrite(rest) : schema;
    for (const [def, body] of Object.entries($defs ?? {})) out[`${name}_${def}`] = rewrite(body);
  }
  return out;
}

/** Every schema the document refers to, derived from the zod schemas the handlers validate with. */
export function componentSchemas(opts: { batchMaxEvents: number; topics: { name: string; payload: JsonSchema; compacted: boolean }[] }) {
  const event = inputSchema(eventInputSchema, ['payload']);
  const properties = event.properties as Record<string, JsonSchema>;
  return hoistDefs({
    Error: outputSchema(errorSchema),
    // One branch per catalogue topic: its name and the payload its schema accepts.
    PublishEvent: {
      description: event.description,
      oneOf: opts.topics.map((t) => ({
        ...event,
        title: t.name,
        properties: {
          ...properties,
          topic: { ...properties.topic, const: t.name },
          payload: { ...t.payload, description: properties.payload?.description },
          // A compacted topic keeps the latest event per key: the key is required.
          ...(t.compacted ? { key: { type: 'string', minLength: 1, maxLength: 1024, description: 'Entity key (required: this topic is compacted)' } } : {}),
        },
        ...(t.compacted ? { required: [...((event.required as string[]) ?? []), 'key'] } : {}),
      })),
    },
    PublishBatch: {
      type: 'object',
      properties: {
        events: {
          type: 'array',
          minItems: 1,
          maxItems: opts.batchMaxEvents,
          items: { description: 'A PublishEvent. Each item is checked alone: one that is not a valid event gets status 400 in `results` and the others are published (207)' },
        },
      },
      required: ['events'],
      additionalProperties: false,
    },
    PublishResult: outputSchema(publishResultSchema),
    BatchResult: outputSchema(batchResult),
    Topics: outputSchema(topicsSchema),
    ChatInput: inputSchema(chatInputSchema),
    ActionInput: inputSchema(actionInputSchema),
    // The cross-field rule of feedbackInputSchema: each kind needs its own field.
    FeedbackInput: { ...inputSchema(feedbackFields), allOf: (['rating', 'thumbs', 'correction', 'label'] as const).map((k) => ({ if: { properties: { kind: { const: k } } }, then: { required: [k] } })) },
    InteractionReceipt: outputSchema(interactionReceipt),
    JsonRpcRequest: inputSchema(jsonRpcRequest),
    JsonRpcResponse: outputSchema(jsonRpcResponse),
    Health: outputSchema(health),
    TailEvents: outputSchema(tailEvents),
    Lineage: outputSchema(lineage),
    FeedStats: outputSchema(feedStats),
    DeadLetterTopics: outputSchema(deadLetterTopics),
    DeadLetters: outputSchema(deadLetters),
    RedriveRequest: inputSchema(redriveRequestSchema),
    RedriveResults: outputSchema(redriveResults),
    TaskList: outputSchema(taskList),
    StartTask: inputSchema(startTaskSchema.strict()),
    TaskStarted: outputSchema(taskStarted),
    MemoryHits: outputSchema(memoryHits),
    LagHistory: outputSchema(lagHistory),
    RoutesOverview: outputSchema(routesOverview),
    PreferenceDataset: outputSchema(preferenceDataset),
    ForgetRequest: inputSchema(forgetRequestSchema),
    ForgetAccepted: outputSchema(z.object({ requestId: z.string(), entity: z.string().describe('<topic>/<key>'), topic: z.literal(TOPICS.memoryRequests), partition: z.number().int(), offset: z.string() })),
    EntityMemories: outputSchema(z.object({ entity: z.string(), memories: memoryHits.shape.memories })),
    RouteDryRun: (() => {
      const body = inputSchema(dryRunRequestSchema, ['event']);
      const props = body.properties as Record<string, JsonSchema>;
      return { ...body, properties: { ...props, event: { $ref: '#/components/schemas/PublishEvent', description: props.event?.description } } };
    })(),
    RouteDryRunResult: outputSchema(dryRunResult),
  });
}

export const jsonRpcRequestSchema = jsonRpcRequest;
