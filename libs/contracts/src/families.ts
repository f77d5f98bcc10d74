import { JsonValue } from './json';
import { CODE_TOPIC_PREFIX, MCP_COMMANDS_PREFIX, N8N_OUTBOUND_PREFIX } from './topic-names';
import {
  AccessAudit,
  ChangeEvent,
  ChatMessage,
  CodeEvent,
  Envelope,
  Feedback,
  GatewayClaim,
  LedgerEntry,
  McpCommand,
  McpResult,
  MemoryChange,
  MemoryRequest,
  N8nDelivery,
  N8nResponse,
  RouterStatus,
  ServerCapabilities,
  TaskOutcome,
  TaskRequest,
  TaskState,
  UiAction,
} from './generated/events.generated';

/**
 * Topic families: every topic belongs to exactly one, and the family fixes the value schema.
 * `payload` names a file under schemas/payloads/ (null: free-form JSON payload).
 */
export const FAMILIES = {
  generic: { payload: null, eventName: 'GenericEvent', doc: 'Application events with a free-form JSON payload.' },
  cdc: { payload: 'cdc-change.avsc', eventName: 'CdcEvent', doc: 'Normalized change events from source systems.' },
  code: { payload: 'code-event.avsc', eventName: 'CodeRepoEvent', doc: 'Events of code repositories (GitHub, GitLab), normalized across providers.' },
  'mcp-command': { payload: 'mcp-command.avsc', eventName: 'McpCommandEvent', doc: 'Tool calls for the MCP workers.' },
  'mcp-result': { payload: 'mcp-result.avsc', eventName: 'McpResultEvent', doc: 'Outcomes of tool calls.' },
  'mcp-capabilities': { payload: 'mcp-capabilities.avsc', eventName: 'McpCapabilitiesEvent', doc: 'What each MCP server offers.' },
  'mcp-ledger': { payload: 'mcp-ledger.avsc', eventName: 'McpLedgerEvent', doc: 'Idempotency ledger of the MCP workers.' },
  'supervisor-task': { payload: 'supervisor-task.avsc', eventName: 'TaskRequestEvent', doc: 'High-level tasks for the supervisor.' },
  'supervisor-outcome': { payload: 'supervisor-outcome.avsc', eventName: 'TaskOutcomeEvent', doc: 'Task progress and outcomes.' },
  'supervisor-state': { payload: 'supervisor-state.avsc', eventName: 'TaskStateEvent', doc: "The supervisor's durable task state." },
  'n8n-delivery': { payload: 'n8n-delivery.avsc', eventName: 'N8nDeliveryEvent', doc: 'Events for n8n workflows.' },
  'memory-change': { payload: 'memory-change.avsc', eventName: 'MemoryChangeEvent', doc: 'Changes to semantic memory.' },
  'n8n-response': { payload: 'n8n-response.avsc', eventName: 'N8nResponseEvent', doc: 'Answers of n8n workflows.' },
  'interaction-chat': { payload: 'interaction-chat.avsc', eventName: 'ChatMessageEvent', doc: 'Conversation messages.' },
  'interaction-action': { payload: 'interaction-action.avsc', eventName: 'UiActionEvent', doc: 'User actions in UIs.' },
  'interaction-feedback': { payload: 'interaction-feedback.avsc', eventName: 'FeedbackEvent', doc: 'Feedback on AI responses.' },
  'access-audit': { payload: 'access-audit.avsc', eventName: 'AccessAuditEvent', doc: 'Reads of memory and the warehouse, writes through MCP.' },
  'gateway-claim': { payload: 'gateway-claim.avsc', eventName: 'GatewayClaimEvent', doc: 'Webhook nonces and Idempotency-Key answers shared by every gateway replica.' },
  'memory-request': { payload: 'memory-request.avsc', eventName: 'MemoryRequestEvent', doc: 'Requests to the memory-writer: forget an entity.' },
  'router-status': { payload: 'router-status.avsc', eventName: 'RouterStatusEvent', doc: "Each router process's rules, hits and errors per rule, last rejected routes file." },
} as const;

export type FamilyName = keyof typeof FAMILIES;

/** Payload type per family; the generated types are checked against schemas/ by a spec. */
export interface FamilyPayloads {
  generic: JsonValue;
  cdc: ChangeEvent;
  code: CodeEvent;
  'mcp-command': McpCommand;
  'mcp-result': McpResult;
  'mcp-capabilities': ServerCapabilities;
  'mcp-ledger': LedgerEntry;
  'supervisor-task': TaskRequest;
  'supervisor-outcome': TaskOutcome;
  'supervisor-state': TaskState;
  'n8n-delivery': N8nDelivery;
  'memory-change': MemoryChange;
  'n8n-response': N8nResponse;
  'interaction-chat': ChatMessage;
  'interaction-action': UiAction;
  'interaction-feedback': Feedback;
  'access-audit': AccessAudit;
  'gateway-claim': GatewayClaim;
  'memory-request': MemoryRequest;
  'router-status': RouterStatus;
}

/**
 * Which family a topic belongs to, first match wins. Retry and DLQ companions
 * (`<topic>.retry`, `<topic>.dlq`) carry the original bytes, so they resolve to the same family.
 */
export const TOPIC_FAMILY_RULES = [
  { match: 'prefix', pattern: 'events.', family: 'generic' },
  { match: 'prefix', pattern: 'cdc.', family: 'cdc' },
  { match: 'prefix', pattern: CODE_TOPIC_PREFIX, family: 'code' },
  { match: 'prefix', pattern: MCP_COMMANDS_PREFIX, family: 'mcp-command' },
  { match: 'exact', pattern: 'mcp.results', family: 'mcp-result' },
  { match: 'exact', pattern: 'mcp.capabilities', family: 'mcp-capabilities' },
  { match: 'exact', pattern: 'mcp.ledger', family: 'mcp-ledger' },
  { match: 'exact', pattern: 'supervisor.tasks', family: 'supervisor-task' },
  { match: 'exact', pattern: 'supervisor.progress', family: 'supervisor-outcome' },
  { match: 'exact', pattern: 'supervisor.outcomes', family: 'supervisor-outcome' },
  { match: 'exact', pattern: 'supervisor.state', family: 'supervisor-state' },
  { match: 'prefix', pattern: N8N_OUTBOUND_PREFIX, family: 'n8n-delivery' },
  { match: 'exact', pattern: 'memory.changes', family: 'memory-change' },
  { match: 'exact', pattern: 'memory.requests', family: 'memory-request' },
  { match: 'exact', pattern: 'n8n.responses', family: 'n8n-response' },
  { match: 'exact', pattern: 'interactions.chat', family: 'interaction-chat' },
  { match: 'exact', pattern: 'interactions.actions', family: 'interaction-action' },
  { match: 'exact', pattern: 'interactions.feedback', family: 'interaction-feedback' },
  { match: 'exact', pattern: 'audit.access', family: 'access-audit' },
  { match: 'exact', pattern: 'gateway.claims', family: 'gateway-claim' },
  { match: 'exact', pattern: 'router.status', family: 'router-status' },
  { match: 'exact', pattern: 'ingest.dlq', family: 'generic' },
  { match: 'prefix', pattern: 'retrain.', family: 'generic' },
] as const;

type Rule = { match: 'prefix' | 'exact'; pattern: string; family: FamilyName };
type Resolve<T extends string, R extends readonly Rule[]> = R extends readonly [
  infer H extends Rule,
  ...infer Rest extends readonly Rule[],
]
  ? H['match'] extends 'exact'
    ? T extends H['pattern'] | `${H['pattern']}.retry` | `${H['pattern']}.dlq`
      ? H['family']
      : Resolve<T, Rest>
    : T extends `${H['pattern']}${string}`
      ? H['family']
      : Resolve<T, Rest>
  : never;

/** The family of a topic name, resolved at compile time. */
export type FamilyOfTopic<T extends string> = Resolve<T, typeof TOPIC_FAMILY_RULES>;

/** The decoded event on topic `T`: `EventOf<'cdc.hubspot.deals'>` is `Envelope<ChangeEvent>`. */
export type EventOf<T extends string> = Envelope<FamilyPayloads[FamilyOfTopic<T>]>;

/** The payload of an event on topic `T`. */
export type PayloadOf<T extends string> = FamilyPayloads[FamilyOfTopic<T>];

/** Runtime twin of {@link FamilyOfTopic}. */
export function familyOfTopic(topic: string): FamilyName | undefined {
  for (const rule of TOPIC_FAMILY_RULES as readonly Rule[]) {
    if (rule.match === 'exact') {
      if (topic === rule.pattern || topic === `${rule.pattern}.retry` || topic === `${rule.pattern}.dlq`) return rule.family;
    } else if (topic.startsWith(rule.pattern)) {
      return rule.family;
    }
  }
  return undefined;
}
