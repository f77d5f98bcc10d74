import { EventProducer, HEADERS, MessageMeta, headerString } from '@phoenix/bus';
import { ChangeEvent, Envelope, followUp, JsonValue, McpCommand, N8nDelivery, render, TaskRequest } from '@phoenix/contracts';
import { PhoenixLogger, PhoenixMetrics } from '@phoenix/observability';
import { CompiledRoute } from './route-matcher';
import { RouteTable, targetTopic } from './route-table';
import { EmitConfig } from './routes.config';

/** Emitted events count their routing hops; a rule loop stops here. */
export const MAX_HOPS = 8;
export const HOPS_HEADER = 'phoenix-route-hops';

export interface RouteDecision {
  route: string;
  target: string;
  kind: 'mcp' | 'task' | 'n8n' | 'topic';
  outcome: 'emitted' | 'skipped-snapshot' | 'skipped-replay';
}

const isSnapshot = (payload: unknown): boolean => {
  const c = payload as Partial<ChangeEvent> | null;
  return !!c && typeof c === 'object' && (c.snapshot === true || c.op === 'snapshot');
};

/**
 * Applies the route table to one event: every matching rule emits to its targets (one event may
 * match several rules). CDC snapshot/backfill events and replayed events never produce MCP
 * commands, tasks or n8n deliveries. Every emitted event keeps the source's correlation id,
 * names the source as its cause and uses the source's key, so per-entity order holds downstream.
 */
export class RouterService {
  constructor(
    private readonly table: RouteTable,
    private readonly producer: EventProducer,
    private readonly logger: PhoenixLogger,
    private readonly metrics: PhoenixMetrics,
    private readonly app = 'router',
  ) {}

  async route(topic: string, event: Envelope<unknown>, meta: Pick<MessageMeta, 'replay' | 'headers'>): Promise<RouteDecision[]> {
    const hops = Number(headerString(meta.headers, HOPS_HEADER) ?? 0);
    if (hops >= MAX_HOPS) {
      this.logger.error({ topic, eventId: event.id, hops }, 'routing loop: event not routed further');
      return [];
    }
    const decisions: RouteDecision[] = [];
    const sends: Promise<unknown>[] = [];
    for (const route of this.table.active()) {
      if (!route.matches(topic, event)) continue;
      route.config.emit.forEach((emit, i) => {
        const decision = this.decide(route, emit, event, meta.replay);
        decisions.push(decision);
        this.metrics.routed.inc({ app: this.app, rule: route.config.name, target: decision.kind, outcome: decision.outcome });
        if (decision.outcome === 'emitted') sends.push(this.emit(route, emit, i, topic, event, hops, meta.replay));
      });
    }
    // The offset is committed only when every emitted event is acknowledged.
    await Promise.all(sends);
    return decisions;
  }

  private decide(route: CompiledRoute, emit: EmitConfig, event: Envelope<unknown>, replay: boolean): RouteDecision {
    const kind = 'mcp' in emit ? 'mcp' : 'task' in emit ? 'task' : 'n8n' in emit ? 'n8n' : 'topic';
    const base = { route: route.config.name, target: targetTopic(emit), kind } as const;
    if (kind === 'topic') return { ...base, outcome: 'emitted' };
    if (replay) return { ...base, outcome: 'skipped-replay' };
    if (isSnapshot(event.payload)) return { ...base, outcome: 'skipped-snapshot' };
    return { ...base, outcome: 'emitted' };
  }

  private emit(route: CompiledRoute, emit: EmitConfig, index: number, topic: string, event: Envelope<unknown>, hops: number, replay: boolean) {
    const rule = route.config.name;
    const source = `router/${rule}`;
    // Deterministic, so re-processing the same event after a crash yields the same keys downstream.
    const stableId = `${event.id}:${rule}:${index}`;
    const headers: Record<string, string> = { [HOPS_HEADER]: String(hops + 1), ...(replay ? { [HEADERS.replay]: 'true' } : {}) };
    if ('mcp' in emit) {
      const m = emit.mcp;
      const payload: McpCommand = {
        server: m.server,
        tool: m.tool,
        arguments: (render(m.arguments as JsonValue, event) ?? {}) as JsonValue,
        idempotencyKey: stableId,
        deadline: m.deadlineMs ? Date.now() + m.deadlineMs : null,
        timeoutMs: m.timeoutMs ?? null,
        taskId: null,
        stepId: null,
        rule,
      };
      return this.producer.publish(targetTopic(emit), followUp(event, { type: 'mcp.command', source, key: event.key ?? stableId, payload }), { headers });
    }
    if ('task' in emit) {
      const t = emit.task;
      const payload: TaskRequest = {
        taskId: stableId,
        goal: String(render(t.goal, event)),
        inputs: (render(t.inputs as JsonValue, event) ?? {}) as JsonValue,
        constraints: { timeoutMs: t.timeoutMs ?? null, maxSteps: null, playbook: t.playbook ?? null, planner: null },
        requestedBy: source,
      };
      return this.producer.publish('supervisor.tasks', followUp(event, { type: 'task.requested', source, key: stableId, payload }), { headers });
    }
    if ('n8n' in emit) {
      const payload: N8nDelivery = {
        flow: emit.n8n.flow,
        rule,
        sourceTopic: topic,
        event: event as unknown as JsonValue,
        data: emit.n8n.data ? ((render(emit.n8n.data as JsonValue, event) ?? null) as JsonValue) : null,
      };
      return this.producer.publish(targetTopic(emit), followUp(event, { type: 'n8n.delivery', source, key: event.key ?? stableId, payload }), { headers });
    }
    const t = emit.topic;
    return this.producer.publish(
      t.name,
      followUp(event, { type: t.type ?? event.type, source, key: event.key, payload: t.payload !== undefined ? render(t.payload, event) : event.payload }),
      { headers },
    );
  }
}
