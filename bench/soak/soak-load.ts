import * as http from 'node:http';
import { sign } from '@phoenix/n8n';

export type SoakKind = 'memo' | 'tool' | 'hook' | 'plain';

export interface SoakLoadOptions {
  gatewayUrl: string;
  apiKey: string;
  topic: string;
  /** Events to send in all. */
  events: number;
  /** Target send rate (open loop: events are started on schedule, whatever the answers). */
  rate: number;
  /** Share of memory-worthy events (0..1) and of events routed to an MCP tool. */
  memoryShare: number;
  toolShare: number;
  /** Share sent as signed n8n webhook calls (`POST /v1/webhooks/n8n/<webhookFlow>`). */
  webhookShare: number;
  webhookFlow: string;
  webhookSecret: string;
  /** Distinct entity keys; a fifth of the events go to one hot key (skew). */
  keys: number;
  /** Give up on an event after this many attempts (429/503/timeouts are retried). */
  maxAttempts: number;
}

export interface AcceptedEvent {
  id: string;
  correlationId: string;
  kind: SoakKind;
  /** Where the gateway said it stored the event (webhook answers carry no receipt). */
  partition?: number;
  offset?: string;
}

export interface SoakLoadResult {
  accepted: Map<string, AcceptedEvent>;
  /** Events that never got a 2xx within maxAttempts. */
  abandoned: number;
  statuses: Record<string, number>;
  timeouts: number;
  retries: number;
  seconds: number;
}

/**
 * Open-loop load through the gateway: events are started at `rate` per second regardless of
 * how fast answers come. Each event has its own Idempotency-Key and is retried on 429 (after
 * Retry-After), 503 and timeouts, as a well-behaved client would; the gateway answers a retry
 * with the same event id, so an event counts once however often it was sent.
 */
export async function runLoad(o: SoakLoadOptions, onProgress: (sent: number, accepted: number) => void): Promise<SoakLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const url = new URL(`${o.gatewayUrl}/v1/events`);
  const accepted = new Map<string, AcceptedEvent>();
  const statuses: Record<string, number> = {};
  let abandoned = 0;
  let timeouts = 0;
  let retries = 0;
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();

  const post = (body: string, key: string, webhook: boolean) =>
    new Promise<{ status: number; body: string; retryAfter?: number }>((resolve) => {
      const ts = String(Math.floor(Date.now() / 1000));
      // A webhook retry is signed again (fresh timestamp) under the same nonce.
      const headers: Record<string, string | number> = webhook
        ? { 'content-type': 'application/json', 'x-phoenix-timestamp': ts, 'x-phoenix-nonce': key, 'x-phoenix-signature': sign(o.webhookSecret, ts, body), 'content-length': Buffer.byteLength(body) }
        : { 'content-type': 'application/json', authorization: `Bearer ${o.apiKey}`, 'idempotency-key': key, 'content-length': Buffer.byteLength(body) };
      const req = http.request(
        { host: url.hostname, port: url.port, path: webhook ? `/v1/webhooks/n8n/${o.webhookFlow}` : url.pathname, method: 'POST', agent, timeout: 15_000, headers },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, retryAfter: Number(res.headers['retry-after']) || undefined }));
          res.on('error', () => resolve({ status: 0, body: '' }));
        },
      );
      req.on('timeout', () => {
        timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => resolve({ status: 0, body: '' }));
      req.end(body);
    });

  const sendOne = async (i: number): Promise<void> => {
    const r = (i * 2654435761) % 1000 / 1000;
    const kind: SoakKind = r < o.memoryShare ? 'memo' : r < o.memoryShare + o.toolShare ? 'tool' : r < o.memoryShare + o.toolShare + o.webhookShare ? 'hook' : 'plain';
    const key = i % 5 === 0 ? 'hot-key' : `k-${i % o.keys}`;
    const payload = kind === 'memo' ? { text: `Soak note ${i}: customer ${key} asked about renewal option ${i % 97}.`, n: i } : { n: i, pad: 'x'.repeat(120) };
    // A webhook's body is the payload; the flow config names topic and type.
    const body = kind === 'hook' ? JSON.stringify(payload) : JSON.stringify({ topic: o.topic, type: `soak.${kind}`, key, payload });
    const idem = `soak-${started}-${i}`;
    for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
      const res = await post(body, idem, kind === 'hook');
      statuses[String(res.status)] = (statuses[String(res.status)] ?? 0) + 1;
      if (res.status >= 200 && res.status < 300) {
        const answer = JSON.parse(res.body) as { id: string; correlationId: string; partition?: number; offset?: string };
        accepted.set(answer.id, { id: answer.id, correlationId: answer.correlationId, kind, partition: answer.partition, offset: answer.offset });
        return;
      }
      if (res.status !== 0 && res.status !== 429 && res.status !== 503) {
        throw new Error(`gateway answered ${res.status} to a valid event: ${res.body.slice(0, 300)}`);
      }
      retries++;
      await new Promise((r) => setTimeout(r, (res.retryAfter ?? 1) * 1000 * (0.5 + Math.random())));
    }
    abandoned++;
  };

  let sent = 0;
  await new Promise<void>((resolve, reject) => {
    const tick = setInterval(() => {
      const due = Math.min(o.events, Math.floor(((Date.now() - started) / 1000) * o.rate));
      while (sent < due) {
        const p = sendOne(sent++).catch((err) => {
          clearInterval(tick);
          reject(err);
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      onProgress(sent, accepted.size);
      if (sent >= o.events) {
        clearInterval(tick);
        resolve();
      }
    }, 10);
  });
  while (inFlight.size) await Promise.all([...inFlight]);
  agent.destroy();
  return { accepted, abandoned, statuses, timeouts, retries, seconds: (Date.now() - started) / 1000 };
}
