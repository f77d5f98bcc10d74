import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface LoadOptions {
  /** Full URL of the endpoint to POST to. */
  url: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  bodyBytes: number;
  /** HMAC secret for X-Phoenix-Signature; unsigned (headers without signature) when absent. */
  secret?: string;
}

export interface LoadResult {
  /** 2xx answers inside the measured window. */
  completed: number;
  seconds: number;
  perSecond: number;
  statuses: Record<string, number>;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs closed-loop HTTP load on a worker thread (see http-load.worker.ts). */
export function closedLoop(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'http-load.worker.js'), { workerData: o });
    worker.once('message', (m: { ok: boolean; result?: LoadResult; error?: string }) => {
      void worker.terminate();
      if (m.ok) resolve(m.result!);
      else reject(new Error(m.error));
    });
    worker.once('error', reject);
  });
}
