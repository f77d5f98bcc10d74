import { GatewayErrorCode } from '../errors/gateway.exception';

/** What the edge needs to know to stand in front of the gateway's workers. */
export interface EdgeConfigInput {
  /** Where clients connect (GATEWAY_HOST / GATEWAY_PORT). */
  listen: { host: string; port: number };
  /** The Unix socket the gateway's workers share (they listen there instead of on the port). */
  upstreamSocket: string;
  /** HAProxy's own stats socket (read for the edge's metrics). */
  statsSocket: string;
  /** Publish requests passed to the workers at once (GATEWAY_EDGE_MAX_IN_FLIGHT). */
  maxInFlight: number;
  /** Publish requests that may wait at the edge for a free slot; past this, 429 (GATEWAY_EDGE_QUEUE). */
  queue: number;
  /** HAProxy threads (GATEWAY_EDGE_THREADS). */
  threads: number;
  /** Connections the edge holds at once; past this the kernel's backlog holds them. */
  maxConnections: number;
}

/** The publish routes admission bounds — the same ones the workers' own admission bounds. */
export const EDGE_BOUNDED_PATH = '^/v1/(events|interactions|webhooks)(/|$)';

/** The body of a 429 from the edge: the gateway's error shape, so clients see one contract. */
export function edgeShedBody(): string {
  return JSON.stringify({ error: { code: GatewayErrorCode.Overloaded, message: 'the gateway is at its limit of publish requests in flight; retry after the time in Retry-After' } });
}

/** The body of an answer the edge gives itself when the workers cannot (down, or a slot not free in time). */
export function edgeUnavailableBody(): string {
  return JSON.stringify({ error: { code: GatewayErrorCode.Unavailable, message: 'the gateway could not take the request now; retry after the time in Retry-After' } });
}

/** A string literal in HAProxy's configuration language (double-quoted, escapes per its rules). */
function quoted(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The HAProxy configuration of the gateway's edge. Publish requests go to a backend whose one
 * server (the workers' socket) takes `maxInFlight` at a time; up to `queue` more wait at the edge,
 * and any beyond that are answered 429 + `Retry-After` by HAProxy itself — in C, on threads of its
 * own, so a flood is shed without taking the CPU of the Node event loops that serve the admitted
 * requests. Everything else (health, metrics, the console's streams, MCP) goes to an unbounded
 * backend on the same socket. Timeouts are long enough for the console's and MCP's streams.
 */
export function renderHaproxyConfig(c: EdgeConfigInput): string {
  const shed = `http-request deny deny_status 429 content-type ${quoted('application/json; charset=utf-8')} string ${quoted(edgeShedBody())} hdr Retry-After 1 if post bounded { queue(publish) ge ${c.queue} }`;
  return [
    '# Rendered by Phoenix (libs/gateway/src/edge/haproxy.config.ts) at every start; edits are lost.',
    'global',
    `  nbthread ${c.threads}`,
    `  maxconn ${c.maxConnections}`,
    `  stats socket ${c.statsSocket} mode 600 level user`,
    '',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  option forwardfor',
    '  timeout connect 5s',
    '  timeout client 1h',
    '  timeout server 1h',
    '  timeout http-request 30s',
    '  timeout http-keep-alive 120s',
    // A request that waits this long for a slot was not shed in time: 503, never a hang.
    '  timeout queue 10s',
    ...[502, 503, 504].map((status) => `  http-error status ${status} content-type ${quoted('application/json; charset=utf-8')} string ${quoted(edgeUnavailableBody())} hdr Retry-After 1`),
    '',
    'frontend gateway',
    `  bind ${c.listen.host}:${c.listen.port} backlog 4096`,
    '  acl post method POST',
    `  acl bounded path_reg ${EDGE_BOUNDED_PATH}`,
    `  ${shed}`,
    '  use_backend publish if post bounded',
    '  default_backend rest',
    '',
    'backend publish',
    '  http-reuse always',
    `  server workers unix@${c.upstreamSocket} maxconn ${c.maxInFlight}`,
    '',
    'backend rest',
    '  http-reuse always',
    `  server workers unix@${c.upstreamSocket}`,
    '',
  ].join('\n');
}
