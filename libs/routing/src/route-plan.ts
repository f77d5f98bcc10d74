import { HEADERS } from '@phoenix/bus';
import { ChangeEvent, Envelope, followUp, JsonValue, McpCommand, N8nDelivery, render, TaskRequest } from '@phoenix/contracts';
import { CompiledRoute } from './route-matcher';
import { targetTopic } from './route-table';
import { EmitConfig } from './routes.config';

/** Emitted events count their routing hops; a rule loop stops here. */
export const MAX_HOPS = 8;
export const HOPS_HEADER = 'phoenix-route-hops';

export type EmitKind = 'mcp' | 'task' | 'n8n' | 'topic';
export type EmitOutcome = 'emitted' | 'skipped-snapshot' | 'skipped-replay';

/** What one emit of a matching rule does with one event: the event it publishes, or why not. */
export interface PlannedEmit {
  route: string;
  index: number;
  kind: EmitKind;
  target: string;
  outcome: EmitOutcome;
  /** The event to publish (absent when skipped). */
  event?: Envelope<unknown>;
  headers: Record<string, string>;
}

const isSnapshot = (payload: unknown): boolean => {
  const c = payload as Partial<ChangeEvent> | null;
  return !!c && typeof c === 'object' && (c.snapshot === true || c.op === 'snapshot');
};

const kindOf = (emit: EmitConfig): EmitKind => ('mcp' in emit ? 'mcp' : 'task' in emit ? 'task' : 'n8n' in emit ? 'n8n' : 'topic');

/**
 * What a matching rule emits for one event, without publishing anything: the router publishes
 * these, the console's dry-run shows them. CDC snapshot/backfill events and replayed events never
 * produce MCP commands, tasks or n8n deliveries. Every emitted event keeps the source's
 * correlation id, names the source as its cause and uses the source's key (per-entity order).
 */
export function planEmits(route: CompiledRoute, topic: string, event: Envelope<unknown>, opts: { hops: number; replay: boolean; now?: number }): PlannedEmit[] {
  return route.config.emit.map((emit, index) => {
    const kind = kindOf(emit);
    const headers: Record<string, string> = { [HOPS_HEADER]: String(opts.hops + 1), ...(opts.replay ? { [HEADERS.replay]: 'true' } : {}) };
    const base = { route: route.config.name, index, kind, target: targetTopic(emit), headers };
    if (kind !== 'topic' && opts.replay) return { ...base, outcome: 'skipped-replay' };
    if (kind !== 'topic' && isSnapshot(event.payload)) return { ...base, outcome: 'skipped-snapshot' };
    return { ...base, outcome: 'emitted', event: buildEvent(route.config.name, emit, index, topic, event, opts.now ?? Date.now()) };
  });
}

function buildEvent(rule: string, emit: EmitConfig, index: number, topic: string, event: Envelope<unknown>, now: number): Envelope<unknown> {
  const source = `router/${rule}`;
  // Deterministic, so re-processing the same event after a crash yields the same keys downstream.
  const stableId = `${event.id}:${rule}:${index}`;
  if ('mcp' in emit) {
    const m = emit.mcp;
    const payload: McpCommand = {
      server: m.server,
      tool: m.tool,
      arguments: (render(m.arguments as JsonValue, event) ?? {}) as JsonValue,
      idempotencyKey: stableId,
      deadline: m.deadlineMs ? now + m.deadlineMs : null,
      timeoutMs: m.timeoutMs ?? null,
      taskId: null,
      stepId: null,
      rule,
    };
    return followUp(event, { type: 'mcp.command', source, key: event.key ?? stableId, payload });
  }
  if ('task' in emit) {
    const t = emit.task;
    const payload: TaskRequest = {
      taskId: stableId,
      goal: String(render(t.goal, event)),
      inputs: (render(t.inputs as JsonValue, event) ?? {}) as JsonValue,
      constraints: { timeoutMs: t.timeoutMs ?? null, maxSteps: null, playbook: t.playbook ?? null, planner: null, memory: null },
      requestedBy: source,
    };
    return followUp(event, { type: 'task.requested', source, key: stableId, payload });
  }
  if ('n8n' in emit) {
    const payload: N8nDelivery = {
      flow: emit.n8n.flow,
      rule,
      sourceTopic: topic,
      event: event as unknown as JsonValue,
      data: emit.n8n.data ? ((render(emit.n8n.data as JsonValue, event) ?? null) as JsonValue) : null,
    };
    return followUp(event, { type: 'n8n.delivery', source, key: event.key ?? stableId, payload });
  }
  const t = emit.topic;
  return followUp(event, { type: t.type ?? event.type, source, key: event.key, payload: t.payload !== undefined ? render(t.payload, event) : event.payload });
}
