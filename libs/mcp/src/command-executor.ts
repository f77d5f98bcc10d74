import type { CallToolResult } from '@modelcontextprotocol/client';
import { EventProducer } from '@phoenix/bus';
import { Envelope, followUp, JsonValue, McpCommand, McpResult, TOPICS } from '@phoenix/contracts';
import { SpanStatusCode } from '@opentelemetry/api';
import { activeTraceContext, injectTraceHeaders, PhoenixLogger, PhoenixMetrics, SpanKind, startSpan } from '@phoenix/observability';
import { IdempotencyLedger } from './idempotency-ledger';
import { McpServerConnection } from './mcp-connection';
import { McpCallError, McpErrorCode } from './mcp.exception';
import { ToolArgumentsValidator } from './tool-arguments.validator';
import { Backoff, Semaphore } from '@phoenix/concurrency';

export const RESULTS_TOPIC = TOPICS.mcpResults;

export interface ExecuteOptions {
  /** The command was replayed: never call tools for it. */
  replay: boolean;
  /**
   * Takes the result's publication (and its ledger entry) instead of waiting for it, so the next
   * command can run meanwhile (see `MessageMeta.defer`); awaited here when absent.
   */
  defer?: (effect: Promise<unknown>) => void;
}

type Outcome = Pick<McpResult, 'status' | 'content' | 'structuredContent' | 'error' | 'attempts' | 'duplicateOf'>;

/**
 * Runs one `McpCommand` against its server and publishes exactly one `McpResult` for it with the
 * command's correlation id. Checks, in order: replay, server, deadline, ledger (duplicates),
 * allow-list, tool existence, arguments against the tool's input schema. Transient failures are
 * retried with backoff (the connection reconnects or restarts the server meanwhile).
 */
export class CommandExecutor {
  private readonly limits = new Map<string, Semaphore>();
  private readonly validator = new ToolArgumentsValidator();

  constructor(
    private readonly connections: Map<string, McpServerConnection>,
    private readonly ledger: IdempotencyLedger,
    private readonly producer: EventProducer,
    private readonly logger: PhoenixLogger,
    private readonly metrics: PhoenixMetrics,
    private readonly app: string,
  ) {
    for (const [name, c] of connections) this.limits.set(name, new Semaphore(c.config.concurrency));
  }

  async execute(command: Envelope<McpCommand>, opts: ExecuteOptions): Promise<void> {
    const c = command.payload;
    const started = Date.now();
    const outcome = await this.decide(command, opts);
    const result: McpResult = {
      server: c.server,
      tool: c.tool,
      idempotencyKey: c.idempotencyKey,
      taskId: c.taskId,
      stepId: c.stepId,
      durationMs: Date.now() - started,
      ...outcome,
    };
    this.metrics.mcpCalls.observe({ app: this.app, server: c.server, tool: c.tool, status: result.status }, result.durationMs / 1000);
    const event = followUp(command, { type: `mcp.result.${result.status}`, source: `mcp-worker/${c.server}`, key: c.taskId ?? command.key ?? c.idempotencyKey, payload: result });
    // Queued now, in command order; acknowledged later.
    const published = this.producer.publish(RESULTS_TOPIC, event);
    const completion = result.attempts > 0 ? published.then(() => this.ledger.record(c.server, c.idempotencyKey, 'completed', event.id)) : published;
    if (!opts.defer) {
      await completion;
      return;
    }
    if (result.attempts > 0) this.ledger.completing(c.server, c.idempotencyKey, completion);
    opts.defer(completion);
  }

  private async decide(command: Envelope<McpCommand>, opts: ExecuteOptions): Promise<Outcome> {
    const c = command.payload;
    const rejected = (error: string, extra: Partial<Outcome> = {}): Outcome => ({ status: 'rejected', error, content: null, structuredContent: null, attempts: 0, duplicateOf: null, ...extra });
    if (opts.replay) return rejected('replayed command: tools are never called for replays');
    const connection = this.connections.get(c.server);
    if (!connection) return rejected(`unknown MCP server "${c.server}" (configured: ${[...this.connections.keys()].join(', ') || 'none'})`);
    if (c.deadline !== null && Date.now() > c.deadline) return rejected(`deadline ${new Date(c.deadline).toISOString()} has passed; not run`);

    return this.ledger.exclusive(c.server, c.idempotencyKey, async () => {
      const seen = this.ledger.lookup(c.server, c.idempotencyKey);
      if (seen) {
        return rejected(seen.state === 'completed' ? `duplicate of an executed command (idempotency key ${c.idempotencyKey})` : `an earlier attempt with idempotency key ${c.idempotencyKey} was interrupted and may have run; not repeated`, { duplicateOf: seen.resultEventId });
      }
      const cfg = connection.config;
      if (cfg.allowTools && !cfg.allowTools.includes(c.tool)) return rejected(`tool "${c.tool}" is not in the allow-list of ${c.server}`);
      try {
        await connection.ready(Math.min(cfg.timeoutMs, 10000));
      } catch (err) {
        return { ...rejected(''), status: 'failed', error: (err as Error).message };
      }
      const tool = connection.serverInfo.tools.find((t) => t.name === c.tool);
      if (!tool) return rejected(`unknown tool "${c.tool}" on ${c.server} (tools: ${connection.serverInfo.tools.map((t) => t.name).join(', ')})`);
      const args = (c.arguments ?? {}) as Record<string, unknown>;
      const violations = this.validator.validate(tool.inputSchema, args);
      if (violations.length) {
        return rejected(`arguments do not match the input schema of ${c.tool}: ${violations.map((v) => `${v.path} ${v.message}`).join('; ')}`, { content: { violations } as unknown as JsonValue });
      }
      const release = await this.limits.get(c.server)!.acquire();
      try {
        await this.ledger.record(c.server, c.idempotencyKey, 'started');
        return await this.call(connection, command, args);
      } finally {
        release();
      }
    });
  }

  private async call(connection: McpServerConnection, command: Envelope<McpCommand>, args: Record<string, unknown>): Promise<Outcome> {
    const c = command.payload;
    const cfg = connection.config;
    let attempt = 0;
    const backoff = new Backoff(200, 5000);
    for (;;) {
      attempt++;
      const remaining = c.deadline !== null ? c.deadline - Date.now() : Infinity;
      const timeoutMs = Math.max(1, Math.min(c.timeoutMs ?? cfg.timeoutMs, cfg.timeoutMs, remaining));
      const span = startSpan(`tools/call ${c.server}/${c.tool}`, activeTraceContext(), SpanKind.CLIENT, { 'mcp.server': c.server, 'mcp.tool': c.tool, 'phoenix.attempt': attempt });
      // The trace continues into servers that read W3C context from `_meta`.
      const traceMeta: Record<string, string> = {};
      injectTraceHeaders(span, traceMeta);
      try {
        const r: CallToolResult = await connection.callTool(c.tool, args, {
          timeoutMs,
          meta: { idempotencyKey: c.idempotencyKey, correlationId: command.correlationId, ...traceMeta },
        });
        if (r.isError) span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool_error' });
        span.end();
        return {
          status: r.isError ? 'tool_error' : 'ok',
          content: (r.content ?? null) as unknown as JsonValue,
          structuredContent: (r.structuredContent ?? null) as JsonValue,
          error: r.isError ? textOf(r) : null,
          attempts: attempt,
          duplicateOf: null,
        };
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        const e = err as McpCallError;
        if (e instanceof McpCallError && !e.retriable) {
          return { status: e.code === McpErrorCode.Timeout ? 'timeout' : 'tool_error', error: e.message, content: null, structuredContent: null, attempts: attempt, duplicateOf: null };
        }
        const wait = backoff.next();
        const outOfTime = c.deadline !== null && Date.now() + wait > c.deadline;
        if (attempt >= cfg.maxAttempts || outOfTime) {
          return { status: 'failed', error: `${e.message} (after ${attempt} attempt(s))`, content: null, structuredContent: null, attempts: attempt, duplicateOf: null };
        }
        this.logger.warn({ server: c.server, tool: c.tool, attempt, err: e.message }, 'transient MCP failure; retrying');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
}

function textOf(r: CallToolResult): string {
  const texts = (r.content ?? []).filter((b): b is { type: 'text'; text: string } => b.type === 'text').map((b) => b.text);
  return texts.join('\n').slice(0, 2000) || 'the tool reported an error';
}
