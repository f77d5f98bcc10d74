import { createHash, randomUUID } from 'node:crypto';
import { BusRuntime, TopicView } from '@phoenix/bus';
import { createEnvelope, GatewayClaim, TOPICS } from '@phoenix/contracts';
import { applyClaim, KeyState, StoredResponse } from './claim-state';
import { PhoenixError } from '@phoenix/errors';
import { Backoff } from '@phoenix/concurrency';

export const CLAIMS_TOPIC = TOPICS.gatewayClaims;

export type ClaimOutcome =
  | { kind: 'new'; claimId: string; eventIds: string[] }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  /** Another request holds or answered the key (webhooks: a replay). */
  | { kind: 'taken' };

/** The claim log did not decide in time (the broker is slow or away): the request can be retried. */
export class ClaimTimeoutError extends PhoenixError<'CLAIM_TIMEOUT'> {
  constructor(key: string) {
    super('CLAIM_TIMEOUT', `no decision for ${key} from ${CLAIMS_TOPIC} in time`, { kind: 'unavailable' });
  }
}

/**
 * Requests that must be answered once whichever gateway replica receives them — webhook nonces
 * and `Idempotency-Key`s — decided on Kafka itself: a replica appends a claim to
 * `gateway.claims` (keyed, so every claim of a key lands in one partition), reads the topic back
 * and owns the key only if its claim is the first live one in that partition's order
 * ({@link applyClaim}); the owner appends the answer (or a release after a failure), which the
 * others serve to retries. No replica trusts its own memory alone, so a request accepted by
 * one is refused (or answered the same) by all, and the state survives restarts.
 */
export class ClaimLog {
  private readonly view: TopicView<GatewayClaim>;
  private readonly keys = new Map<string, KeyState>();
  private readonly decisions = new Map<string, (won: boolean) => void>();
  private readonly changes = new Map<string, Set<() => void>>();
  private pruner?: NodeJS.Timeout;
  private started?: Promise<void>;

  constructor(
    private readonly bus: BusRuntime,
    private readonly opts: { inFlightMs: number; decideMs: number },
  ) {
    this.view = new TopicView<GatewayClaim>(bus.kafka, bus.codec, CLAIMS_TOPIC, bus.logger);
    this.view.onChange((key, event) => this.apply(key, event?.payload ?? null));
  }

  static fingerprint(scope: string, body: unknown): string {
    return createHash('sha256').update(scope).update('\0').update(JSON.stringify(body) ?? '').digest('hex');
  }

  /** Reads the log up to its end (once; a failed start is tried again by the next caller). */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.view.start();
      await this.view.ready();
      this.pruner = setInterval(() => this.prune(), 60_000);
      this.pruner.unref();
    })();
    this.started.catch(() => (this.started = undefined));
    return this.started;
  }

  async stop(): Promise<void> {
    if (this.pruner) clearInterval(this.pruner);
    await this.view.stop();
  }

  /**
   * Claims `key`. `wait`: while another request holds it, wait for its answer (Idempotency-Key
   * retries get the first answer); `refuse`: answer `taken` at once (webhook replays).
   */
  async claim(key: string, fingerprint: string | null, eventIds: string[], mode: 'wait' | 'refuse'): Promise<ClaimOutcome> {
    await this.start();
    const deadline = Date.now() + this.opts.decideMs;
    for (;;) {
      const claimId = randomUUID();
      const decided = new Promise<boolean>((resolve) => this.decisions.set(claimId, resolve));
      const at = Date.now();
      let won: boolean;
      try {
        await this.write(key, { op: 'claim', claimId, fingerprint, eventIds, status: null, body: null, at, expiresAt: at + this.opts.inFlightMs });
        won = await this.within(decided, deadline, key);
      } catch (err) {
        // Undecided (the broker is away or slow): the claim may still land and win later, with
        // nobody to answer it. Its release follows it into the log once the broker takes it.
        this.appendEventually(key, { op: 'release', claimId, fingerprint: null, eventIds, status: null, body: null, at, expiresAt: at });
        throw err;
      } finally {
        this.decisions.delete(claimId);
      }
      if (won) return { kind: 'new', claimId, eventIds: this.keys.get(key)!.owner!.eventIds };
      const s = this.keys.get(key) ?? {};
      if (s.answer) return s.answer.fingerprint === fingerprint ? (mode === 'refuse' ? { kind: 'taken' } : { kind: 'replay', response: s.answer.response }) : { kind: 'mismatch' };
      if (s.owner && s.owner.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (mode === 'refuse') return { kind: 'taken' };
      // In progress elsewhere: wait for its answer or release, then look again.
      await this.within(new Promise<boolean>((resolve) => this.onChange(key, () => resolve(true))), deadline, key);
    }
  }

  /**
   * The owner's answer: served to every retry of the key until `ttlMs` passes. Not awaited by
   * the request: it is appended (retried while the broker is away) behind the request's answer;
   * a retry that arrives first waits for it.
   */
  answer(key: string, claimId: string, response: StoredResponse, ttlMs: number): void {
    const at = Date.now();
    this.appendEventually(key, { op: 'answer', claimId, fingerprint: null, eventIds: [], status: response.status, body: JSON.stringify(response.body ?? null), at, expiresAt: at + ttlMs });
  }

  /** The owner failed (e.g. the broker refused the publish): the key is free again, with these event ids. */
  release(key: string, claimId: string, eventIds: string[]): void {
    const at = Date.now();
    this.appendEventually(key, { op: 'release', claimId, fingerprint: null, eventIds, status: null, body: null, at, expiresAt: at });
  }

  /** Appends in the background, retrying until it lands or the claim it closes has expired anyway. */
  private appendEventually(key: string, payload: GatewayClaim): void {
    const giveUpAt = Date.now() + this.opts.inFlightMs;
    const backoff = new Backoff(200, 5000);
    const attempt = (): void => {
      this.write(key, payload).catch((err: Error) => {
        const wait = backoff.next();
        if (Date.now() + wait > giveUpAt) {
          this.bus.logger.warn({ key, op: payload.op, err: err.message }, 'could not append to gateway.claims; the claim expires on its own');
          return;
        }
        setTimeout(attempt, wait).unref();
      });
    };
    attempt();
  }

  private async write(key: string, payload: GatewayClaim): Promise<void> {
    await this.bus.producer.publish(CLAIMS_TOPIC, createEnvelope({ type: `claim.${payload.op}`, source: 'gateway', key, payload }));
  }

  private apply(key: string, c: GatewayClaim | null): void {
    if (c === null) this.keys.delete(key);
    else {
      const r = applyClaim(this.keys.get(key), c);
      this.keys.set(key, r.state);
      if (c.op === 'claim') this.decisions.get(c.claimId)?.(r.won === true);
    }
    const listeners = this.changes.get(key);
    if (listeners) {
      this.changes.delete(key);
      for (const l of listeners) l();
    }
  }

  private onChange(key: string, listener: () => void): void {
    const set = this.changes.get(key) ?? new Set();
    set.add(listener);
    this.changes.set(key, set);
  }

  private async within<T>(p: Promise<T>, deadline: number, key: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ClaimTimeoutError(key)), Math.max(0, deadline - Date.now()))));
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drops keys whose claim and answer no longer count. */
  private prune(): void {
    const now = Date.now();
    for (const [key, s] of this.keys) {
      if ((!s.owner || s.owner.expiresAt <= now) && (!s.answer || s.answer.expiresAt <= now) && !s.freeEventIds) this.keys.delete(key);
    }
  }
}
