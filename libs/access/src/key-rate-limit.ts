/**
 * Per-key token buckets that answer at once (admit or not, and when to retry), for `rate:<n>`
 * scopes: a key may burst up to one second's worth, then n per second. One noisy key is shed
 * while the others keep their rate.
 */
export class KeyRateLimits {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes one token for `key` at `perSecond`; the seconds to wait when there is none. */
  take(key: string, perSecond: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: perSecond, at: t };
    b.tokens = Math.min(perSecond, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };
  }
}
