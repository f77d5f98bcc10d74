import { createHmac, randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { HttpClient } from './http';
import type { LoadOptions, LoadResult } from './http-load';
import { summarize } from './stats';

/**
 * Closed-loop HTTP load on its own thread (so it does not share the server's event loop):
 * `concurrency` clients each send a request, wait for the answer, and send the next. Each request
 * is a ~1 KB JSON body, signed like an n8n → Phoenix webhook call: X-Phoenix-Signature =
 * sha256=HMAC-SHA256(secret, "<unix seconds>.<body>"), with a unique X-Phoenix-Nonce.
 */
async function main(o: LoadOptions): Promise<LoadResult> {
  const client = new HttpClient(o.url, o.concurrency);
  const target = new URL(o.url);
  const filler = randomBytes(Math.ceil(o.bodyBytes * 0.75)).toString('base64');
  const nonceBase = randomBytes(6).toString('hex');
  let seq = 0;
  const start = Date.now();
  const measureFrom = start + o.warmupMs;
  const end = measureFrom + o.durationMs;
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let completed = 0;
  let errors = 0;
  const body = (n: number) => {
    const head = `{"seq":${n},"deliveryId":"d-${nonceBase}-${n}","data":"`;
    return `${head}${filler.slice(0, Math.max(0, o.bodyBytes - head.length - 2))}"}`;
  };
  const client1 = async () => {
    while (Date.now() < end) {
      const n = seq++;
      const b = body(n);
      const ts = String(Math.floor(Date.now() / 1000));
      const headers: Record<string, string> = { 'x-phoenix-timestamp': ts, 'x-phoenix-nonce': `${nonceBase}-${n}` };
      if (o.secret) headers['x-phoenix-signature'] = `sha256=${createHmac('sha256', o.secret).update(`${ts}.`).update(b).digest('hex')}`;
      const t0 = performance.now();
      try {
        const res = await client.post(target.pathname, b, headers);
        const t1 = performance.now();
        if (Date.now() >= measureFrom && Date.now() <= end) {
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status >= 200 && res.status < 300) {
            completed++;
            latencies.push(t1 - t0);
          }
        }
      } catch {
        errors++;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client1));
  client.close();
  const lat = summarize(latencies);
  return { completed, seconds: o.durationMs / 1000, perSecond: completed / (o.durationMs / 1000), statuses, errors, p50Ms: lat.p50, p99Ms: lat.p99 };
}

main(workerData as LoadOptions).then(
  (r) => parentPort!.postMessage({ ok: true, result: r }),
  (err: Error) => parentPort!.postMessage({ ok: false, error: err.stack ?? String(err) }),
);
