import cluster, { Worker } from 'node:cluster';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serveClusterMetrics } from '@phoenix/observability';
import { edgeMaxConnections, HaproxyEdge } from '../edge/haproxy-edge';
import { edgeMetricsText } from '../edge/haproxy-stats';
import { Backoff } from '@phoenix/concurrency';

/** A worker that dies sooner than this after its start counts as a crash loop (backoff). */
const HEALTHY_AFTER_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

export interface GatewayClusterLog {
  info(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** HAProxy in front of the workers (GATEWAY_EDGE=haproxy): where it listens and what it admits. */
export interface GatewayEdgeOptions {
  bin: string;
  listen: { host: string; port: number };
  maxInFlight: number;
  queue: number;
  /** 0: one per core. */
  threads: number;
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
 *
 * With an edge, HAProxy listens on the gateway's port instead and the workers share a Unix socket
 * behind it; the primary starts HAProxy once a worker listens, stops it first at shutdown, and
 * adds its figures to every scrape.
 */
export async function runGatewayCluster(workers: number, log: GatewayClusterLog, edgeOptions?: GatewayEdgeOptions): Promise<void> {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let edge: HaproxyEdge | undefined;
  let edgeDir: string | undefined;
  const workerEnv: Record<string, string> = {};
  if (edgeOptions) {
    // A short path: Unix socket paths are limited to ~107 bytes.
    edgeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-gw-edge-'));
    workerEnv.GATEWAY_SOCKET = path.join(edgeDir, 'workers.sock');
    edge = new HaproxyEdge({
      bin: edgeOptions.bin,
      dir: edgeDir,
      log,
      config: { listen: edgeOptions.listen, upstreamSocket: workerEnv.GATEWAY_SOCKET, statsSocket: path.join(edgeDir, 'stats.sock'), maxInFlight: edgeOptions.maxInFlight, queue: edgeOptions.queue, threads: edgeOptions.threads || os.availableParallelism(), maxConnections: edgeMaxConnections() },
    });
  }
  serveClusterMetrics(edge ? () => edge.stats().then(edgeMetricsText, () => edgeMetricsText(undefined)) : undefined);
  let stopping = false;
  const crashes = new Backoff(250, MAX_BACKOFF_MS);
  const startedAt = new Map<Worker, number>();
  const fork = () => {
    const w = cluster.fork(workerEnv);
    startedAt.set(w, Date.now());
  };
  const firstListening = new Promise<void>((resolve) => cluster.once('listening', () => resolve()));
  for (let i = 0; i < workers; i++) fork();
  if (edge) {
    await firstListening;
    try {
      await edge.start();
    } catch (err) {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      if (edgeDir) fs.rmSync(edgeDir, { recursive: true, force: true });
      throw err;
    }
  }

  return new Promise((resolve) => {
    cluster.on('exit', (w, code, signal) => {
      const lived = Date.now() - (startedAt.get(w) ?? Date.now());
      startedAt.delete(w);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          if (edgeDir) fs.rmSync(edgeDir, { recursive: true, force: true });
          resolve();
        }
        return;
      }
      if (lived >= HEALTHY_AFTER_MS) crashes.reset();
      const backoffMs = lived >= HEALTHY_AFTER_MS ? 0 : crashes.next();
      log.error({ pid: w.process.pid, code, signal, restartInMs: backoffMs }, 'gateway worker exited; starting another');
      setTimeout(() => {
        if (!stopping) fork();
      }, backoffMs);
    });
    const stop = async (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig, workers: Object.keys(cluster.workers ?? {}).length }, 'gateway cluster stopping');
      // The edge first: it stops accepting and lets what it passed on finish, then the workers go.
      await edge?.stop().catch((err: Error) => log.error({ err: err.message }, 'gateway edge did not stop cleanly'));
      const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
      if (live.length === 0) resolve();
      for (const w of live) w.process.kill(sig);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });
}
