import { edgeShedBody, renderHaproxyConfig } from './haproxy.config';

const input = { listen: { host: '127.0.0.1', port: 8080 }, upstreamSocket: '/tmp/gw/workers.sock', statsSocket: '/tmp/gw/stats.sock', maxInFlight: 32, queue: 8, threads: 2, maxConnections: 5000 };

describe('renderHaproxyConfig', () => {
  const cfg = renderHaproxyConfig(input);
  const line = (prefix: string) => cfg.split('\n').filter((l) => l.trim().startsWith(prefix));

  it('listens where clients connect and passes publish requests to the workers at most maxInFlight at a time', () => {
    expect(line('bind')).toEqual(['  bind 127.0.0.1:8080 backlog 4096']);
    expect(cfg).toContain('backend publish\n  http-reuse always\n  server workers unix@/tmp/gw/workers.sock maxconn 32\n');
    // Everything else is not bounded: the console's streams and MCP sessions hold connections for long.
    expect(cfg).toContain('backend rest\n  http-reuse always\n  server workers unix@/tmp/gw/workers.sock\n');
  });

  it('sheds publish requests with 429, Retry-After and the gateway error body once the queue is full', () => {
    const [deny] = line('http-request deny');
    expect(deny).toContain('deny_status 429');
    expect(deny).toContain('hdr Retry-After 1');
    expect(deny).toContain('if post bounded { queue(publish) ge 8 }');
    // The body is the gateway's error shape, escaped for HAProxy's string syntax.
    expect(deny).toContain(JSON.stringify(edgeShedBody()));
    expect(JSON.parse(edgeShedBody())).toEqual({ error: { code: 'OVERLOADED', message: expect.any(String) } });
  });

  it('bounds only POSTs to the publish routes', () => {
    expect(line('acl post')).toEqual(['  acl post method POST']);
    const [bounded] = line('acl bounded');
    const re = new RegExp(bounded.split('path_reg ')[1]);
    for (const p of ['/v1/events', '/v1/events/batch', '/v1/interactions/chat', '/v1/webhooks/n8n/echo']) expect(re.test(p)).toBe(true);
    for (const p of ['/v1/eventsx', '/v1/tasks', '/health/ready', '/console/', '/mcp']) expect(re.test(p)).toBe(false);
  });

  it('answers its own 5xx in the gateway error shape and sizes threads and connections as asked', () => {
    expect(line('http-error')).toHaveLength(3);
    for (const l of line('http-error')) expect(l).toContain('UNAVAILABLE');
    expect(line('nbthread')).toEqual(['  nbthread 2']);
    expect(line('maxconn 5000')).toHaveLength(1);
    expect(line('stats socket')).toEqual(['  stats socket /tmp/gw/stats.sock mode 600 level user']);
  });
});
