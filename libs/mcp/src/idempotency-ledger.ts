import { EventProducer, TopicView } from '@phoenix/bus';
import { createEnvelope, LedgerEntry, TOPICS } from '@phoenix/contracts';

export const LEDGER_TOPIC = TOPICS.mcpLedger;

/**
 * Which commands ran, by idempotency key, kept in the compacted `mcp.ledger` topic so every
 * worker pod and every restart sees the same history. `started` is written before a call:
 * if the worker dies mid-call the command is not run again (at most once), and a result
 * with status `failed` says it may have run.
 */
export class IdempotencyLedger {
  private readonly local = new Map<string, LedgerEntry & { resultEventId: string | null }>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly view: TopicView<LedgerEntry>,
    private readonly producer: EventProducer,
  ) {}

  static key(server: string, idempotencyKey: string): string {
    return `${server}:${idempotencyKey}`;
  }

  async start(): Promise<void> {
    await this.view.start();
    await this.view.ready();
  }

  lookup(server: string, idempotencyKey: string): LedgerEntry | undefined {
    const k = IdempotencyLedger.key(server, idempotencyKey);
    return this.local.get(k) ?? this.view.get(k)?.payload;
  }

  /**
   * Runs `work` as the only execution of this key in this process; a concurrent duplicate
   * waits for it and then sees the ledger entry.
   */
  async exclusive<T>(server: string, idempotencyKey: string, work: () => Promise<T>): Promise<T> {
    const k = IdempotencyLedger.key(server, idempotencyKey);
    while (this.inFlight.has(k)) await this.inFlight.get(k);
    let done!: () => void;
    this.inFlight.set(k, new Promise<void>((r) => (done = r)));
    try {
      return await work();
    } finally {
      this.inFlight.delete(k);
      done();
    }
  }

  /**
   * The command's completion (result published, `completed` recorded) is still on its way to the
   * broker: a duplicate of it waits in {@link exclusive} until it lands, and then sees `completed`.
   */
  completing(server: string, idempotencyKey: string, done: Promise<unknown>): void {
    const k = IdempotencyLedger.key(server, idempotencyKey);
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.set(k, settled);
    void settled.then(() => {
      if (this.inFlight.get(k) === settled) this.inFlight.delete(k);
    });
  }

  async record(server: string, idempotencyKey: string, state: LedgerEntry['state'], resultEventId: string | null = null): Promise<void> {
    const entry: LedgerEntry = { server, idempotencyKey, state, resultEventId };
    const key = IdempotencyLedger.key(server, idempotencyKey);
    await this.producer.publish(LEDGER_TOPIC, createEnvelope({ type: `mcp.ledger.${state}`, source: 'mcp-worker', key, payload: entry }));
    this.local.set(key, entry);
  }

  async stop(): Promise<void> {
    await this.view.stop();
  }
}
