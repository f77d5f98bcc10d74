import * as http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface OverloadPhase {
  url: string;
  apiKey: string;
  topic: string;
  /** Open loop at this many requests/s; or closed loop with `concurrency` clients when 0. */
  rate: number;
  concurrency: number;
  durationMs: number;
  timeoutMs: number;
  /** Connections an open-loop client keeps (default 2048); a probe keeps a few, opened before the flood. */
  sockets?: number;
}

export interface OverloadPhaseResult {
  sent: number;
  saturated: number;
  statuses: Record<string, number>;
  timeouts: number;
  /** Latencies in ms by class: accepted (2xx) and shed (429). */
  accepted: number[];
  shed: number[];
}

/** One load phase on its own thread, so the generator does not share the measured server's loop. */
async function main(o: OverloadPhase): Promise<OverloadPhaseResult> {
  const url = new URL(o.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.rate ? (o.sockets ?? 2048) : o.concurrency });
  const statuses: Record<string, number> = {};
  const accepted: number[] = [];
  const shed: number[] = [];
  let timeouts = 0;
  let sent = 0;
  /** Sends skipped because every socket of this client was busy (the generator's own limit). */
  let saturated = 0;
  const started = Date.now();
  const end = started + o.durationMs;
  const once = (n: number) =>
    new Promise<void>((resolve) => {
      const body = `{"topic":"${o.topic}","type":"overload.probe","key":"k-${n % 1000}","payload":{"n":${n},"pad":"${'x'.repeat(120)}"}}`;
      const t0 = performance.now();
      const req = http.request({ host: url.hostname, port: url.port, path: '/v1/events', method: 'POST', agent, timeout: o.timeoutMs, headers: { 'content-type': 'application/json', authorization: `Bearer ${o.apiKey}`, 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => {
          const ms = performance.now() - t0;
          const s = res.statusCode ?? 0;
          statuses[s] = (statuses[s] ?? 0) + 1;
          if (s >= 200 && s < 300) accepted.push(ms);
          else if (s === 429) shed.push(ms);
          resolve();
        });
      });
      req.on('timeout', () => {
        timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => resolve());
      req.end(body);
    });
  const pending = new Set<Promise<void>>();
  if (o.rate > 0) {
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.floor(((Math.min(Date.now(), end) - started) / 1000) * o.rate);
        while (sent + saturated < due) {
          if (pending.size >= 2048) {
            saturated++;
            continue;
          }
          const p = once(sent++);
          pending.add(p);
          void p.finally(() => pending.delete(p));
        }
        if (Date.now() >= end) {
          clearInterval(tick);
          resolve();
        }
      }, 2);
    });
  } else {
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (Date.now() < end) await once(sent++);
      }),
    );
  }
  await Promise.all([...pending]);
  agent.destroy();
  return { sent, saturated, statuses, timeouts, accepted, shed };
}

main(workerData as OverloadPhase).then(
  (r) => parentPort!.postMessage({ ok: true, result: r }),
  (err: Error) => parentPort!.postMessage({ ok: false, error: err.stack ?? String(err) }),
);
