/** One dependency's state as reported at /health/ready. */
export interface HealthStatus {
  status: 'up' | 'down' | 'degraded';
  detail?: string;
  latencyMs?: number;
}

export type HealthCheck = () => Promise<HealthStatus>;

/**
 * Readiness is the conjunction of named checks contributed by libs (kafka, registry …).
 * `degraded` keeps the app ready but is visible; `down` makes it unready.
 */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async evaluate(timeoutMs = 3000): Promise<{ ready: boolean; checks: Record<string, HealthStatus> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<HealthStatus>((resolve) => {
          timer = setTimeout(() => resolve({ status: 'down', detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
        });
        try {
          const s = await Promise.race([check(), timeout]);
          return [name, { latencyMs: Date.now() - started, ...s }] as const;
        } catch (err) {
          return [name, { status: 'down', detail: (err as Error).message, latencyMs: Date.now() - started }] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries) as Record<string, HealthStatus>;
    return { ready: entries.every(([, s]) => s.status !== 'down'), checks };
  }
}
