import { PhoenixLogger } from '@phoenix/observability';

/**
 * Deadlines of tasks (keyed by task id) and of their steps (`<taskId>:<stepId>`). A deadline's
 * handling that fails (the broker away while the outcome is published) is tried again a second
 * later, so a timed-out task is never left running.
 */
export class TaskTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly logger: PhoenixLogger) {}

  set(key: string, ms: number, fire: () => Promise<void>): void {
    if (this.stopped) return;
    this.clear(key);
    const t = setTimeout(() => {
      this.timers.delete(key);
      fire().catch((err) => {
        this.logger.warn({ key, err: (err as Error).message }, 'timer handling failed; retrying in 1 s');
        this.set(key, 1000, fire);
      });
    }, Math.max(0, ms));
    this.timers.set(key, t);
  }

  clear(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  /** The task's own timer and every one of its steps'. */
  clearTask(taskId: string): void {
    for (const key of [...this.timers.keys()]) if (key === taskId || key.startsWith(`${taskId}:`)) this.clear(key);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
