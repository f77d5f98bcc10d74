/**
 * A concurrency limit that follows latency (the idea of TCP Vegas and Netflix's gradient
 * limiters): the gateway admits as many requests at once as it can serve without queueing.
 * While the median latency of recent requests stays near the best seen (`baseline`), the limit
 * grows by one per window; when it climbs past `tolerance` × baseline the limit shrinks in
 * proportion, so requests over it are shed instead of waiting. The baseline drifts up slowly,
 * so a permanently slower broker does not shed forever. Pure: latencies come in as numbers.
 */
export class AdaptiveLimit {
  private current: number;
  private baselineMs = Infinity;
  private window: number[] = [];

  constructor(
    private readonly opts: {
      /** Never admit fewer than this (the shed path must not starve a healthy gateway). */
      min: number;
      /** GATEWAY_MAX_IN_FLIGHT: the hard ceiling. */
      max: number;
      /** Completions per adjustment. */
      windowSize: number;
      /** Latency above tolerance × baseline means requests are queueing. */
      tolerance: number;
    },
  ) {
    this.current = Math.min(opts.max, Math.max(opts.min, 32));
  }

  get limit(): number {
    return Math.floor(this.current);
  }

  get baseline(): number {
    return this.baselineMs;
  }

  /** One admitted request finished after `ms`. */
  completed(ms: number): void {
    this.window.push(ms);
    if (this.window.length < this.opts.windowSize) return;
    const sorted = this.window.sort((a, b) => a - b);
    this.window = [];
    const median = sorted[Math.floor(sorted.length / 2)];
    // The best median seen, drifting up 1% a window so it can follow a slower steady state.
    this.baselineMs = Math.min(this.baselineMs * 1.01, median);
    const threshold = this.baselineMs * this.opts.tolerance;
    if (median > threshold) this.current = Math.max(this.opts.min, this.current * Math.max(0.5, threshold / median));
    else this.current = Math.min(this.opts.max, this.current + 1);
  }
}
