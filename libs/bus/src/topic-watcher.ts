import { Kafka } from 'kafkajs';
import { TopicCatalogue } from '@phoenix/contracts';
import { PhoenixLogger } from '@phoenix/observability';

/**
 * Finds topics created while the app runs: every `intervalMs` it lists the broker's topics and
 * reports the main topics (never `.retry` / `.dlq` companions) that `accepts` and that are not
 * known yet, declaring them in the catalogue (their family follows from the name). A consumer
 * subscribed by pattern calls it to pick new topics up within one refresh, without a restart.
 */
export class TopicWatcher {
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly catalogue: TopicCatalogue,
    private readonly logger: PhoenixLogger,
    private readonly opts: { intervalMs: number; accepts: (topic: string) => boolean; known: () => Iterable<string>; onNew: (topics: string[], existing: Set<string>) => Promise<void> },
  ) {}

  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.inflight = this.check();
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops looking; resolves once a look in progress has finished. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inflight;
  }

  private inflight?: Promise<unknown>;

  /** One look at the broker (also what the timer runs); returns the topics it reported. */
  async check(): Promise<string[]> {
    if (this.checking) return [];
    this.checking = true;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const known = new Set(this.opts.known());
      const fresh = [...existing]
        .filter((t) => !known.has(t) && !t.endsWith('.retry') && !t.endsWith('.dlq') && !t.startsWith('__') && this.opts.accepts(t))
        .filter((t) => {
          if (this.catalogue.resolve(t)) return true;
          try {
            this.catalogue.declare(t);
            return true;
          } catch {
            return false; // no topic family for this name: not an event topic Phoenix can decode
          }
        })
        .sort();
      if (fresh.length) {
        this.logger.info({ topics: fresh }, 'new topics matching this consumer; subscribing');
        await this.opts.onNew(fresh, existing);
      }
      return fresh;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not look for new topics; trying again at the next refresh');
      return [];
    } finally {
      this.checking = false;
      await admin.disconnect().catch(() => undefined);
    }
  }
}
