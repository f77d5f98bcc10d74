import cluster, { Worker } from 'node:cluster';
import { serveClusterMetrics } from '@phoenix/observability';

/** A worker that dies sooner than this after its start counts as a crash loop (backoff). */
const HEALTHY_AFTER_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

export interface GatewayClusterLog {
  info(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/**
 * Runs `workers` gateway processes that share one listening socket. The kernel hands each new
 * connection to whichever worker accepts it first (`SCHED_NONE`): no process forwards
 * connections, so a worker busy shedding a flood does not hold back another's accepts, and each
 * worker parses and answers on its own core. (Node's default round-robin would pass every
 * connection through this primary, which then queues the same way a single busy loop does.)
 *
 * The primary serves nothing itself. It restarts a worker that exits unexpectedly (with a
 * backoff if it keeps dying at boot), forwards SIGTERM/SIGINT for a graceful stop, and
 * aggregates the workers' metrics for `/metrics` (any worker asks; see `serveClusterMetrics`).
 * Each worker is a gateway instance of its own: its admission limit, producer and
 * `Idempotency-Key` memory are per worker, as they are per pod.
 */
export function runGatewayCluster(workers: number, log: GatewayClusterLog): Promise<void> {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  serveClusterMetrics();
  let stopping = false;
  let backoffMs = 0;
  const startedAt = new Map<Worker, number>();
  const fork = () => {
    const w = cluster.fork();
    startedAt.set(w, Date.now());
  };
  for (let i = 0; i < workers; i++) fork();

  return new Promise((resolve) => {
    cluster.on('exit', (w, code, signal) => {
      const lived = Date.now() - (startedAt.get(w) ?? Date.now());
      startedAt.delete(w);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
        return;
      }
      backoffMs = lived >= HEALTHY_AFTER_MS ? 0 : Math.min(MAX_BACKOFF_MS, Math.max(250, backoffMs * 2));
      log.error({ pid: w.process.pid, code, signal, restartInMs: backoffMs }, 'gateway worker exited; starting another');
      setTimeout(() => {
        if (!stopping) fork();
      }, backoffMs);
    });
    const stop = (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig, workers: Object.keys(cluster.workers ?? {}).length }, 'gateway cluster stopping');
      const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
      if (live.length === 0) resolve();
      for (const w of live) w.process.kill(sig);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
