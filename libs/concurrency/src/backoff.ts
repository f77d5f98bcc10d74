/**
 * Exponential backoff: each failure doubles the wait, from `initialMs` up to `maxMs`; a success
 * resets it. One formula for every retry loop in Phoenix (consumers pausing a partition, clients
 * reconnecting, supervisors restarting a crashed child).
 */
export class Backoff {
  private current = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  /** The wait after one more failure. */
  next(): number {
    this.current = this.current === 0 ? this.initialMs : Math.min(this.current * 2, this.maxMs);
    return this.current;
  }

  /** The wait the last failure got (0 after a reset). */
  get last(): number {
    return this.current;
  }

  reset(): void {
    this.current = 0;
  }
}

/** The wait before attempt `attempt` (1-based) of a retry scheduled by attempt number: base, 2·base, 4·base … up to max. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
}

/** Keyed backoffs (per partition, per key), forgotten on success. */
export class KeyedBackoff {
  private readonly byKey = new Map<string, Backoff>();

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  next(key: string): number {
    let b = this.byKey.get(key);
    if (!b) this.byKey.set(key, (b = new Backoff(this.initialMs, this.maxMs)));
    return b.next();
  }

  reset(key: string): void {
    this.byKey.delete(key);
  }

  /** Keys that are backing off now. */
  get size(): number {
    return this.byKey.size;
  }
}
