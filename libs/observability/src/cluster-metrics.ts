import cluster from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';

const SCRAPE_REQ = 'phoenix:cluster-metrics-req';
const SCRAPE_RES = 'phoenix:cluster-metrics-res';
const SCRAPE_TIMEOUT_MS = 5000;

interface ScrapeRes {
  type: typeof SCRAPE_RES;
  id: number;
  text?: string;
  error?: string;
}

/**
 * Metrics of a process cluster (the gateway's workers share one port, so a scrape lands on any
 * one of them): a worker asks the primary, the primary collects every worker's registry through
 * prom-client's aggregator and sums them, and the scrape answers the whole cluster's figures.
 * `extra` adds the primary's own text (metric names of its own, e.g. the gateway's edge).
 */
export function serveClusterMetrics(extra?: () => Promise<string>): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, msg: { type?: string; id: number }) => {
    if (msg?.type !== SCRAPE_REQ) return;
    Promise.all([aggregator.clusterMetrics(), extra ? extra() : '']).then(
      ([workers, more]) => worker.send({ type: SCRAPE_RES, id: msg.id, text: workers + more } satisfies ScrapeRes),
      (err: Error) => worker.send({ type: SCRAPE_RES, id: msg.id, error: err.message } satisfies ScrapeRes),
    );
  });
}

/** In a cluster worker: lets the primary read this registry (call once, at startup). */
export function joinClusterMetrics(registry: Registry): void {
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

let nextId = 0;
const pending = new Map<number, (r: ScrapeRes) => void>();
let listening = false;

/** True in a worker whose primary aggregates metrics (see {@link serveClusterMetrics}). */
export function inMetricsCluster(): boolean {
  return cluster.isWorker && typeof process.send === 'function';
}

/** The cluster's aggregated metrics, asked of the primary from a worker. */
export function scrapeCluster(): Promise<string> {
  if (!listening) {
    listening = true;
    process.on('message', (msg: ScrapeRes) => {
      if (msg?.type !== SCRAPE_RES) return;
      pending.get(msg.id)?.(msg);
      pending.delete(msg.id);
    });
  }
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`the cluster primary did not answer a metrics scrape within ${SCRAPE_TIMEOUT_MS} ms`));
    }, SCRAPE_TIMEOUT_MS);
    pending.set(id, (r) => {
      clearTimeout(timer);
      if (r.error !== undefined) reject(new Error(`cluster metrics: ${r.error}`));
      else resolve(r.text ?? '');
    });
    process.send!({ type: SCRAPE_REQ, id });
  });
}
