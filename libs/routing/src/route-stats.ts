import * as os from 'node:os';
import { EventProducer } from '@phoenix/bus';
import { createEnvelope, JsonValue, RouterStatus, RuleStatus, TOPICS } from '@phoenix/contracts';
import { PhoenixLogger } from '@phoenix/observability';
import { EmitOutcome } from './route-plan';
import { RouteTable } from './route-table';

export const ROUTER_STATUS_TOPIC = TOPICS.routerStatus;
/** A router publishes its status at least this often (and soon after a reload). */
export const STATUS_INTERVAL_MS = 5000;

type Counts = Omit<RuleStatus, 'name' | 'config'>;
const zero = (): Counts => ({ hits: 0, emitted: 0, skipped: 0, errors: 0, lastHitAt: null, lastErrorAt: null, lastErrorMessage: null });

/** Hits, emits and errors per rule since this process started. */
export class RouteStats {
  private readonly counts = new Map<string, Counts>();
  readonly startedAt = Date.now();

  private of(rule: string): Counts {
    let c = this.counts.get(rule);
    if (!c) this.counts.set(rule, (c = zero()));
    return c;
  }

  hit(rule: string): void {
    const c = this.of(rule);
    c.hits++;
    c.lastHitAt = Date.now();
  }

  outcome(rule: string, outcome: EmitOutcome): void {
    if (outcome === 'emitted') this.of(rule).emitted++;
    else this.of(rule).skipped++;
  }

  error(rule: string, err: Error): void {
    const c = this.of(rule);
    c.errors++;
    c.lastErrorAt = Date.now();
    c.lastErrorMessage = err.message.slice(0, 500);
  }

  get(rule: string): Counts {
    return this.counts.get(rule) ?? zero();
  }
}

/**
 * Publishes this router's status (active rules with their counts, the last rejected routes file)
 * to the compacted `router.status` topic, keyed by process, so the console and other pods see
 * every router. Publishes every few seconds and soon after a reload; a tombstone at a clean stop.
 */
export class RouterStatusPublisher {
  readonly process = `${os.hostname()}-${process.pid}`;
  private timer?: NodeJS.Timeout;
  private pending?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly table: RouteTable,
    private readonly stats: RouteStats,
    private readonly producer: EventProducer,
    private readonly logger: PhoenixLogger,
  ) {}

  snapshot(now = Date.now()): RouterStatus {
    const s = this.table.status();
    return {
      process: this.process,
      file: this.table.file,
      loadedAt: s.loadedAt,
      startedAt: this.stats.startedAt,
      updatedAt: now,
      lastRejectedAt: s.lastRejected?.at ?? null,
      lastRejectedError: s.lastRejected?.error ?? null,
      rules: this.table.active().map((r) => ({ name: r.config.name, config: r.config as unknown as JsonValue, ...this.stats.get(r.config.name) })),
    };
  }

  start(): void {
    this.table.onChange(() => void this.publish());
    void this.publish();
    this.timer = setInterval(() => void this.publish(), STATUS_INTERVAL_MS);
    this.timer.unref();
  }

  /** Publishes now (one at a time; a failure is logged and the next tick tries again). */
  publish(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.pending ??= this.producer
      .publish(ROUTER_STATUS_TOPIC, createEnvelope({ type: 'router.status.updated', source: 'router', key: this.process, payload: this.snapshot() }))
      .then(
        () => undefined,
        (err: Error) => this.logger.warn({ err: err.message }, 'could not publish router status; the next tick tries again'),
      )
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.pending;
    await this.producer.publishRaw(ROUTER_STATUS_TOPIC, { key: this.process, value: null }).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not remove router status'));
  }
}
