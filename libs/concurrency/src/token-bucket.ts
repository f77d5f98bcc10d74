/**
 * A token bucket: `perSecond` tokens a second on average, bursts up to one second's worth.
 * Pure: time comes in. `take` answers at once whether a token was there and, if not, how long
 * until one is.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = perSecond;
    this.at = now;
  }

  take(now: number): { ok: true } | { ok: false; waitMs: number } {
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, waitMs: Math.ceil(((1 - this.tokens) / this.perSecond) * 1000) };
  }
}

/** Waits for tokens in call order: at most `perSecond` takes a second on average. */
export class RateLimiter {
  private readonly bucket: TokenBucket;
  private queue: Promise<void> = Promise.resolve();

  constructor(perSecond: number) {
    this.bucket = new TokenBucket(perSecond, Date.now());
  }

  take(): Promise<void> {
    const next = this.queue.then(async () => {
      for (;;) {
        const r = this.bucket.take(Date.now());
        if (r.ok) return;
        await new Promise((resolve) => setTimeout(resolve, r.waitMs));
      }
    });
    this.queue = next;
    return next;
  }
}
