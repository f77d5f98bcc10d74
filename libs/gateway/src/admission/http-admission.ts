import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { GatewayErrorCode } from '../errors/gateway.exception';
import { AdaptiveLimit } from './adaptive-limit';

/** Requests that publish (and so wait for the broker): the ones admission bounds. */
const BOUNDED = /^\/v1\/(events|interactions|webhooks)(\/|\?|$)/;

/**
 * The limit's floor per process, and how far past its best median latency it lets requests go
 * before shrinking. Measured with the overload tool (SOAK.md, two workers): a floor of 32 with
 * tolerance 4 let accepted work take two thirds of the CPU during a flood, leaving too little to
 * answer the shed requests (5.2× the maximum rate answered); 8 with tolerance 2 answered 7.9–9.8×
 * but shed at the maximum rate itself (32 connections over two workers, under the floor) in one
 * run of two. 16 keeps the maximum-rate phase unshed. Tolerance 2 answered more of a flood but
 * shed at a plain closed-loop maximum (the bench's 64 webhook connections); 4 does not.
 */
const MIN_LIMIT = 16;
const TOLERANCE = 4;

/**
 * Bounds the publish requests the gateway holds at once: an {@link AdaptiveLimit} that follows
 * their latency, under the ceiling `GATEWAY_MAX_IN_FLIGHT`. It sits on the HTTP server itself,
 * in front of Express and Nest: past the limit a request is answered 429 with `Retry-After` and
 * the gateway's JSON error body before any routing, parsing or auth, because shedding must cost
 * far less than serving — otherwise the shed requests eat the CPU the accepted ones need. (The
 * one error answer not written by the error filter, for that reason.)
 */
export class HttpAdmission {
  private inFlight = 0;
  private readonly limiter: AdaptiveLimit;
  shed = 0;

  /**
   * @param floor the least the limit may shrink to; behind the edge, the edge's own bound (it
   * already admits no more than that, and all of it may land on one worker).
   */
  constructor(
    maxInFlight: number,
    private readonly onShed: () => void = () => undefined,
    floor = MIN_LIMIT,
  ) {
    this.limiter = new AdaptiveLimit({ min: Math.min(floor, maxInFlight), max: maxInFlight, windowSize: 50, tolerance: TOLERANCE });
  }

  get limit(): number {
    return this.limiter.limit;
  }

  /** Puts admission in front of the server's request handlers (call before listen). */
  attach(server: Server): void {
    const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'POST' && BOUNDED.test(req.url ?? '')) {
        if (!this.admit(res)) return;
      }
      for (const h of handlers) h.call(server, req, res);
    });
  }

  private admit(res: ServerResponse): boolean {
    const limit = this.limiter.limit;
    if (this.inFlight >= limit) {
      this.shed++;
      this.onShed();
      const body = JSON.stringify({ error: { code: GatewayErrorCode.Overloaded, message: `the gateway is at its limit of ${limit} requests in flight; retry after the time in Retry-After` } });
      res.writeHead(429, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': '1' });
      res.end(body);
      return false;
    }
    this.inFlight++;
    const started = performance.now();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.limiter.completed(performance.now() - started);
    };
    res.once('finish', release);
    res.once('close', release);
    return true;
  }
}
