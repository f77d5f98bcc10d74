import { TokenBucket } from '@phoenix/concurrency';
/**
 * Per-key token buckets that answer at once (admit or not, and when to retry), for `rate:<n>`
 * scopes: a key may burst up to one second's worth, then n per second. One noisy key is shed
 * while the others keep their rate.
 */
export class KeyRateLimits {
  private readonly buckets = new Map<string, { perSecond: number; bucket: TokenBucket }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes one token for `key` at `perSecond`; the seconds to wait when there is none. */
  take(key: string, perSecond: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b || b.perSecond !== perSecond) this.buckets.set(key, (b = { perSecond, bucket: new TokenBucket(perSecond, t) }));
    const r = b.bucket.take(t);
    return r.ok ? r : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(r.waitMs / 1000)) };
  }
}
