import { EventProducer, MessageMeta, headerString } from '@phoenix/bus';
import { Envelope } from '@phoenix/contracts';
import { PhoenixLogger, PhoenixMetrics } from '@phoenix/observability';
import { EmitKind, EmitOutcome, HOPS_HEADER, MAX_HOPS, planEmits } from './route-plan';
import { RouteStats } from './route-stats';
import { RouteTable } from './route-table';

export interface RouteDecision {
  route: string;
  target: string;
  kind: EmitKind;
  outcome: EmitOutcome;
}

/**
 * Applies the route table to one event: every matching rule emits to its targets (one event may
 * match several rules), as planned by {@link planEmits}. Counts hits, emits and errors per rule.
 */
export class RouterService {
  constructor(
    private readonly table: RouteTable,
    private readonly producer: EventProducer,
    private readonly logger: PhoenixLogger,
    private readonly metrics: PhoenixMetrics,
    readonly stats = new RouteStats(),
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
      const rule = route.config.name;
      this.stats.hit(rule);
      for (const p of planEmits(route, topic, event, { hops, replay: meta.replay })) {
        decisions.push({ route: p.route, target: p.target, kind: p.kind, outcome: p.outcome });
        this.metrics.routed.inc({ app: this.app, rule, target: p.kind, outcome: p.outcome });
        this.stats.outcome(rule, p.outcome);
        if (p.event) {
          sends.push(
            this.producer.publish(p.target, p.event, { headers: p.headers }).catch((err: Error) => {
              this.stats.error(rule, err);
              throw err;
            }),
          );
        }
      }
    }
    // The offset is committed only when every emitted event is acknowledged.
    await Promise.all(sends);
    return decisions;
  }
}
