/**
 * Every topic name Phoenix spells, in one place: core topics as constants, the families of
 * per-name topics as builders. Code elsewhere imports these; a grep for a quoted topic name
 * outside libs/contracts and config files should find nothing.
 */
export const TOPICS = {
  eventsApp: 'events.app',
  eventsAgent: 'events.agent',
  mcpResults: 'mcp.results',
  mcpCapabilities: 'mcp.capabilities',
  mcpLedger: 'mcp.ledger',
  supervisorTasks: 'supervisor.tasks',
  supervisorProgress: 'supervisor.progress',
  supervisorOutcomes: 'supervisor.outcomes',
  supervisorState: 'supervisor.state',
  gatewayClaims: 'gateway.claims',
  memoryRequests: 'memory.requests',
  memoryChanges: 'memory.changes',
  routerStatus: 'router.status',
  auditAccess: 'audit.access',
  n8nResponses: 'n8n.responses',
  interactionsChat: 'interactions.chat',
  interactionsActions: 'interactions.actions',
  interactionsFeedback: 'interactions.feedback',
  ingestDlq: 'ingest.dlq',
} as const;

export type CoreTopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** The interaction kinds, each with its `interactions.<kind>` topic. */
export const INTERACTION_KINDS = ['chat', 'actions', 'feedback'] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];
export const interactionsTopic = (kind: InteractionKind) => `interactions.${kind}` as const;

/** Every `code.*` topic starts with this (see code-topics.ts for the topics themselves). */
export const CODE_TOPIC_PREFIX = 'code.';

/** Commands for one MCP server's workers. */
export const mcpCommandsTopic = (server: string) => `mcp.commands.${server}`;
export const MCP_COMMANDS_PREFIX = 'mcp.commands.';

/** Deliveries from Phoenix to one n8n flow. */
export const n8nOutboundTopic = (flow: string) => `n8n.outbound.${flow}`;
export const N8N_OUTBOUND_PREFIX = 'n8n.outbound.';

/** The retry and dead-letter companions of a consumed topic. */
export const retryTopic = (topic: string) => `${topic}.retry`;
export const dlqTopic = (topic: string) => `${topic}.dlq`;

/** Topic patterns (subscriptions and handler registrations). */
export const TOPIC_GLOBS = {
  events: 'events.*',
  cdc: 'cdc.*',
  code: 'code.*',
  mcpCommands: 'mcp.commands.*',
  n8nOutbound: 'n8n.outbound.*',
} as const;

/** Topic patterns the router reads: every ingress family. */
export const INGRESS_TOPIC_GLOBS = [TOPIC_GLOBS.events, TOPIC_GLOBS.cdc, TOPIC_GLOBS.code];
