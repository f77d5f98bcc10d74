// Generated from schemas/ by `npm run schemas:types`. Do not edit by hand.
import { JsonValue } from '../json';

/** Every Phoenix event. Topic families replace `payload` with their own payload record; on free-form topics the payload is JSON text. */
export interface Envelope<TPayload = JsonValue> {
  /** UUIDv7; unique per event, consumers deduplicate on it. */
  id: string;
  /** What happened, dotted and past tense: deal.updated, chat.message.sent. */
  type: string;
  /** Version of the payload shape for this type. */
  version: number;
  /** Producing system or app: hubspot, gateway, cli, supervisor. */
  source: string;
  /** Entity key; also the Kafka message key, so per-entity order holds. */
  key: null | string;
  /** When it happened at the source. */
  occurredAt: number;
  /** When Phoenix accepted it. */
  ingestedAt: number;
  /** Shared by every event of one conversation, task or flow. */
  correlationId: null | string;
  /** Id of the event that caused this one. */
  causationId: null | string;
  /** The tenant the event belongs to, from the publishing key's tenant:<id> binding; memories and warehouse rows carry it, and tenant-bound keys read only their tenant's. */
  tenant: null | string;
  /** Free-form JSON document. */
  payload: TPayload;
}

export type GenericEvent = Envelope<JsonValue>;

export type ChangeOp = 'create' | 'update' | 'delete' | 'snapshot' | 'truncate';

export interface SourcePosition {
  lsn: null | string;
  txId: null | string;
  /** Estuary `_meta.uuid`. */
  uuid: null | string;
  /** MySQL/MariaDB binlog coordinate `file:pos:row` (Debezium `source.file/pos/row`, Estuary `_meta.source.cursor`). */
  binlog: null | string;
}

/** One row change from a source system, normalized from Estuary Flow or Debezium. */
export interface ChangeEvent {
  /** Source system: hubspot, zendesk, postgres-erp. */
  system: string;
  /** Source schema or namespace. */
  schema: null | string;
  /** Source table or collection. */
  table: string;
  /** Primary key columns and values. */
  primaryKey: JsonValue;
  op: ChangeOp;
  /** Row before the change, when the source has it. */
  before: null | JsonValue;
  /** Row after the change; null for deletes. */
  after: null | JsonValue;
  changedFields: string[];
  position: SourcePosition;
  sourceTs: null | number;
  /** True for snapshot/backfill reads; these never trigger actions. */
  snapshot: boolean;
}

export type CdcEvent = Envelope<ChangeEvent>;

export type CodeProvider = 'github' | 'gitlab';

export type CodeEventKind = 'push' | 'pull_request' | 'review' | 'pipeline' | 'release';

export interface CodeRepository {
  /** owner/name on GitHub, the path with namespace on GitLab (group/subgroup/project). */
  fullName: string;
  name: string;
  /** The repository's web page. */
  url: null | string;
  defaultBranch: null | string;
}

/** A person (or bot) as the provider names them. */
export interface CodeActor {
  /** Username on the provider. */
  login: null | string;
  name: null | string;
  email: null | string;
}

export interface CodeCommit {
  id: string;
  message: string;
  url: null | string;
  timestamp: null | number;
  author: null | CodeActor;
  added: string[];
  modified: string[];
  removed: string[];
}

export interface CodePush {
  /** The ref's commit before the push (all zeros when it was created). */
  before: string;
  /** The ref's commit after the push (all zeros when it was deleted). */
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  /** The pushed commits, oldest first, as the provider lists them (GitHub up to 2,048, GitLab up to 20). */
  commits: CodeCommit[];
  /** How many commits the push carried, also past the provider's list limit. */
  totalCommits: number;
  /** Every path the listed commits added, modified or removed, sorted, once each. */
  files: string[];
}

/** A GitHub pull request or a GitLab merge request (also the one a review is on). */
export interface CodePullRequest {
  /** GitHub's number, GitLab's iid. */
  number: number;
  title: string;
  body: null | string;
  /** open, closed or merged. */
  state: string;
  draft: boolean;
  merged: boolean;
  sourceBranch: string;
  targetBranch: string;
  headSha: null | string;
  url: null | string;
  author: null | CodeActor;
}

export interface CodeReview {
  /** approved, changes_requested, commented, dismissed, unapproved. */
  state: string;
  body: null | string;
  url: null | string;
}

/** A finished GitHub Actions workflow run or GitLab pipeline. */
export interface CodePipeline {
  id: string;
  name: null | string;
  /** succeeded, failed, cancelled, skipped, or the provider's word for another ending. */
  status: string;
  /** What started it: push, pull_request, merge_request_event, schedule … */
  trigger: null | string;
  startedAt: null | number;
  finishedAt: null | number;
  durationMs: null | number;
}

export interface CodeRelease {
  tag: string;
  name: null | string;
  body: null | string;
  draft: boolean;
  prerelease: boolean;
}

/** One event of a code repository (push, pull/merge request, review, pipeline run, release), normalized from GitHub or GitLab webhooks. Exactly the part named by `kind` is set; `raw` keeps the provider's payload as received. */
export interface CodeEvent {
  provider: CodeProvider;
  kind: CodeEventKind;
  /** What happened to it: pushed, opened, updated, merged, closed, reopened, approved, changes_requested, commented, succeeded, failed, cancelled, published … */
  action: string;
  repository: CodeRepository;
  /** Who did it (the pusher, the pull request's actor, the reviewer, the release author). */
  actor: null | CodeActor;
  /** The provider's delivery id (X-GitHub-Delivery, X-Gitlab-Event-UUID); a redelivery carries the same one. */
  deliveryId: string;
  /** The provider's event name as sent (X-GitHub-Event, X-Gitlab-Event). */
  providerEvent: string;
  /** Full ref: refs/heads/main, refs/tags/v1.2.0. */
  ref: null | string;
  /** Branch the event is on (a pull request's target branch). */
  branch: null | string;
  tag: null | string;
  /** The commit the event is about: the pushed head, the pull request's head, the run's commit. */
  sha: null | string;
  /** Web page of what happened: the compare view, the pull request, the run, the release. */
  url: null | string;
  push: null | CodePush;
  pullRequest: null | CodePullRequest;
  review: null | CodeReview;
  pipeline: null | CodePipeline;
  release: null | CodeRelease;
  /** The provider's payload as received. */
  raw: JsonValue;
}

export type CodeRepoEvent = Envelope<CodeEvent>;

/** A request to call one tool on one MCP server (topic mcp.commands.<server>). */
export interface McpCommand {
  /** Configured MCP server name. */
  server: string;
  tool: string;
  /** Tool arguments; validated against the tool's input schema before the call. */
  arguments: JsonValue;
  /** A command with a key already executed is not executed again. */
  idempotencyKey: string;
  /** Not run after this instant. */
  deadline: null | number;
  /** Per-call timeout; the server's default when null. */
  timeoutMs: null | number;
  /** Supervisor task this call is a step of. */
  taskId: null | string;
  stepId: null | string;
  /** Routing rule that issued it. */
  rule: null | string;
}

export type McpCommandEvent = Envelope<McpCommand>;

export type McpResultStatus = 'ok' | 'tool_error' | 'timeout' | 'rejected' | 'failed';

/** The outcome of one McpCommand (topic mcp.results), with the command's correlation id. */
export interface McpResult {
  server: string;
  tool: string;
  idempotencyKey: string;
  /** ok; tool_error: the tool ran and reported an error; timeout; rejected: not run (unknown tool, invalid arguments, expired deadline, duplicate); failed: could not reach the server. */
  status: McpResultStatus;
  /** The tool's content blocks. */
  content: null | JsonValue;
  structuredContent: null | JsonValue;
  error: null | string;
  durationMs: number;
  attempts: number;
  taskId: null | string;
  stepId: null | string;
  /** For a duplicate command: the id of the result event of the first execution. */
  duplicateOf: null | string;
}

export type McpResultEvent = Envelope<McpResult>;

export type McpTransportKind = 'stdio' | 'http';

export type McpServerStatus = 'up' | 'down';

export interface ToolDescriptor {
  name: string;
  description: null | string;
  inputSchema: JsonValue;
  outputSchema: null | JsonValue;
}

/** What one MCP server offers (compacted topic mcp.capabilities, keyed by server). */
export interface ServerCapabilities {
  server: string;
  /** Name the server reports in its initialize answer. */
  serverName: null | string;
  serverVersion: null | string;
  description: null | string;
  transport: McpTransportKind;
  status: McpServerStatus;
  tools: ToolDescriptor[];
}

export type McpCapabilitiesEvent = Envelope<ServerCapabilities>;

export type LedgerState = 'started' | 'completed';

/** Idempotency ledger of the MCP workers (compacted topic mcp.ledger, keyed by server:idempotencyKey). */
export interface LedgerEntry {
  server: string;
  idempotencyKey: string;
  /** started is written before the call: after a crash the call may have run, so it is not repeated. */
  state: LedgerState;
  resultEventId: null | string;
}

export type McpLedgerEvent = Envelope<LedgerEntry>;

export type PlannerKind = 'playbook' | 'llm';

export interface TaskConstraints {
  /** Whole-task deadline. */
  timeoutMs: null | number;
  maxSteps: null | number;
  /** Force a playbook instead of letting the planner choose. */
  playbook: null | string;
  planner: null | PlannerKind;
  /** false: plan and answer without reading memory (null or true: read it). */
  memory: null | boolean;
}

/** A high-level task for the supervisor (topic supervisor.tasks, keyed by taskId). */
export interface TaskRequest {
  taskId: string;
  /** What to achieve, in words: analyze last week's sales calls. */
  goal: string;
  /** Parameters for the plan. */
  inputs: JsonValue;
  constraints: TaskConstraints;
  requestedBy: string;
}

export type TaskRequestEvent = Envelope<TaskRequest>;

export type TaskStatus = 'planning' | 'running' | 'succeeded' | 'partial' | 'failed' | 'timed_out';

export type StepStatus = 'pending' | 'dispatched' | 'ok' | 'tool_error' | 'timeout' | 'rejected' | 'failed' | 'skipped';

export interface StepOutcome {
  stepId: string;
  server: null | string;
  tool: null | string;
  status: StepStatus;
  result: null | JsonValue;
  error: null | string;
  startedAt: null | number;
  finishedAt: null | number;
  durationMs: null | number;
}

/** Progress (supervisor.progress) or the final result (supervisor.outcomes) of a task. */
export interface TaskOutcome {
  taskId: string;
  goal: string;
  status: TaskStatus;
  /** playbook:<name> or llm:<model>. */
  planner: string;
  steps: StepOutcome[];
  /** The synthesis of the step results. */
  summary: null | JsonValue;
  error: null | string;
  startedAt: number;
  finishedAt: null | number;
  durationMs: null | number;
}

export type TaskOutcomeEvent = Envelope<TaskOutcome>;

/** The supervisor's durable state of one task (compacted topic supervisor.state, keyed by taskId); a restarted supervisor resumes from it. */
export interface TaskState {
  taskId: string;
  /** Incremented on every change. */
  revision: number;
  terminal: boolean;
  /** Task, plan, step states and results. */
  state: JsonValue;
}

export type TaskStateEvent = Envelope<TaskState>;

/** An event to hand to an n8n workflow (topic n8n.outbound.<flow>). */
export interface N8nDelivery {
  flow: string;
  rule: null | string;
  sourceTopic: string;
  /** The source event's envelope, as JSON. */
  event: JsonValue;
  /** Body mapped by the rule, when it maps one. */
  data: null | JsonValue;
}

export type N8nDeliveryEvent = Envelope<N8nDelivery>;

export type MemoryOp = 'add' | 'delete';

/** One change to semantic memory (topic memory.changes), so memory is auditable and can be rebuilt from Kafka. */
export interface MemoryChange {
  memoryId: string;
  /** The event the memory was made from (or that deleted it). */
  eventId: string;
  sourceTopic: string;
  op: MemoryOp;
  text: null | string;
  /** Entity the memory is about (source system/table/key), for deletes by entity. */
  entity: null | string;
  userId: null | string;
  agentId: null | string;
  runId: null | string;
  /** live, or shadow for replays into the live system. */
  namespace: string;
}

export type MemoryChangeEvent = Envelope<MemoryChange>;

/** What an n8n workflow answered to a delivery (topic n8n.responses), with the delivery's correlation id. */
export interface N8nResponse {
  flow: string;
  /** The n8n.outbound event that was delivered. */
  deliveryEventId: string;
  /** HTTP status n8n answered (2xx here; 4xx go to the DLQ). */
  status: number;
  body: null | JsonValue;
  attempts: number;
  durationMs: number;
}

export type N8nResponseEvent = Envelope<N8nResponse>;

export type ChatRole = 'user' | 'assistant' | 'system' | 'tool';

/** One message of a conversation between a user and an AI (topic interactions.chat). */
export interface ChatMessage {
  conversationId: string;
  messageId: string;
  role: ChatRole;
  text: string;
  userId: null | string;
  /** For assistant messages: the id feedback refers to. */
  responseId: null | string;
  /** The message this one answers. */
  replyTo: null | string;
  model: null | string;
  metadata: null | JsonValue;
}

export type ChatMessageEvent = Envelope<ChatMessage>;

/** Something a user did in a UI (topic interactions.actions): a click, an approval, a copy. */
export interface UiAction {
  userId: null | string;
  sessionId: null | string;
  /** clicked, approved, copied, dismissed … */
  action: string;
  /** What it was done to. */
  target: string;
  value: null | JsonValue;
  responseId: null | string;
}

export type UiActionEvent = Envelope<UiAction>;

export type FeedbackKind = 'rating' | 'thumbs' | 'correction' | 'label';

export type Thumbs = 'up' | 'down';

/** A user's judgement of an AI response (topic interactions.feedback): rating, thumbs, correction or label. */
export interface Feedback {
  feedbackId: string;
  /** The assistant message (ChatMessage.responseId) or result this rates. */
  responseId: string;
  kind: FeedbackKind;
  userId: null | string;
  /** 1–5 for kind rating. */
  rating: null | number;
  thumbs: null | Thumbs;
  /** What the response should have said. */
  correction: null | string;
  label: null | string;
  comment: null | string;
}

export type FeedbackEvent = Envelope<Feedback>;

export type AccessOutcome = 'allowed' | 'denied' | 'failed';

/** One read of memory or the warehouse, or one write through MCP (topic audit.access): who, what, in which scope, how much. Never payloads. */
export interface AccessAudit {
  /** The key's name (never the key). */
  principal: string;
  /** key, service or local. */
  principalKind: string;
  /** The user the key is bound to. */
  userId: null | string;
  tenant: null | string;
  /** Where: http:/memory/search, mcp:phoenix-warehouse, mcp:phoenix … */
  surface: string;
  /** memory:read, memory:write, read, publish, tasks:start … */
  action: string;
  /** The route or tool: search_memory, query, add_memory … */
  operation: string;
  /** What the answer was narrowed to: topic globs, user, or null for everything. */
  scope: null | string;
  outcome: AccessOutcome;
  /** Rows or memories returned, or events written. */
  count: null | number;
  /** Why it was denied or failed. */
  reason: null | string;
}

export type AccessAuditEvent = Envelope<AccessAudit>;

export type ClaimOp = 'claim' | 'answer' | 'release';

/** One step of a request that must be answered once by any gateway replica (topic gateway.claims, keyed by webhook nonce or Idempotency-Key): a claim, its answer, or its release after a failure. The first claim in the partition's order wins. */
export interface GatewayClaim {
  op: ClaimOp;
  /** Unique per attempt; answers and releases name the claim they close. */
  claimId: string;
  /** Hash of the request (method, path, body): the same key with another body is refused. */
  fingerprint: null | string;
  /** Event ids given to the request, reused by a retry after a failure. */
  eventIds: string[];
  /** The answer's HTTP status. */
  status: null | number;
  /** The answer's JSON body, as text. */
  body: null | string;
  /** Epoch ms when written (every replica decides by these, not by its own clock). */
  at: number;
  /** Epoch ms after which the claim or answer no longer counts. */
  expiresAt: number;
}

export type GatewayClaimEvent = Envelope<GatewayClaim>;

export type MemoryRequestOp = 'forget';

/** A request to the memory-writer (topic memory.requests, keyed by entity <topic>/<key>). forget: the right to be forgotten — delete the entity's memories, soft-delete its warehouse rows, and remember none of its events ingested before the request. */
export interface MemoryRequest {
  op: MemoryRequestOp;
  /** The entity's topic, e.g. cdc.hubspot.contacts. */
  topic: string;
  /** The entity's key on that topic. */
  key: string;
  reason: null | string;
  /** The API key's name (or the CLI). */
  requestedBy: string;
}

export type MemoryRequestEvent = Envelope<MemoryRequest>;

export interface RuleStatus {
  name: string;
  /** The rule as loaded from the routes file. */
  config: JsonValue;
  /** Events the rule matched. */
  hits: number;
  /** Events the rule published. */
  emitted: number;
  /** Emits skipped because the event was a snapshot or a replay. */
  skipped: number;
  /** Emits the broker refused (the source event is retried). */
  errors: number;
  lastHitAt: null | number;
  lastErrorAt: null | number;
  lastErrorMessage: null | string;
}

/** One router process's view of its rules (compacted topic router.status, keyed by router process): the active rules, hits and errors per rule since the process started, and the last rejected routes file. */
export interface RouterStatus {
  /** host-pid of the router process (the key). */
  process: string;
  /** The routes file it watches. */
  file: string;
  /** When the active rules were loaded (epoch ms). */
  loadedAt: number;
  /** When the process started counting (epoch ms). */
  startedAt: number;
  /** When this status was published (epoch ms); a router publishes at least every 10 s. */
  updatedAt: number;
  /** When a routes file was last rejected; after loadedAt means the file on disk is rejected now and older rules are active. */
  lastRejectedAt: null | number;
  /** Why it was rejected (kept after a later file is accepted). */
  lastRejectedError: null | string;
  rules: RuleStatus[];
}

export type RouterStatusEvent = Envelope<RouterStatus>;
