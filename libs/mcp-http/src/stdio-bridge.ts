import { AsyncLocalStorage } from 'node:async_hooks';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { Client, ProtocolError, Tool } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { CallToolResult, DEFAULT_MAX_REQUEST_BODY_SIZE, ListToolsResult, Server } from '@modelcontextprotocol/server';
import { phoenixVersion } from '@phoenix/config';
import type { PhoenixLogger } from '@phoenix/observability';
import { z } from 'zod';
import { McpHttpEndpoint } from './mcp-http-endpoint';

export const bridgeOptionsSchema = z
  .object({
    /** The server's name in logs and health answers (the `mcpServers` entry). */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _').default('stdio'),
    /** Loopback by default: in a pod the worker container shares the network namespace. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8931),
    /**
     * A second listener for `/health/*` only, on `healthHost`: kubelet probes a pod's own IP, so a
     * loopback-only MCP endpoint needs one. Absent: the health routes answer on the MCP listener.
     */
    healthPort: z.number().int().min(0).max(65535).optional(),
    healthHost: z.string().min(1).default('0.0.0.0'),
    path: z.string().regex(/^\/[^\s?#]*$/, 'an absolute path').default('/mcp'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    cwd: z.string().optional(),
    /** As `protocol` in mcp-servers.yaml, towards the stdio server. */
    protocol: z.enum(['auto', 'legacy', '2026-07-28']).default('auto'),
    /** Longest a forwarded call may run; the worker's own `timeoutMs` is normally the shorter. */
    callTimeoutMs: z.number().int().min(1000).default(600_000),
    /** Ceiling of the delay between restarts of a stdio server that keeps exiting. */
    maxRestartDelayMs: z.number().int().min(100).default(10_000),
  })
  .strict();

export type BridgeOptions = z.infer<typeof bridgeOptionsSchema>;

export type BridgeState = 'starting' | 'up' | 'down' | 'stopped';

/** What `/health/live` and `/health/ready` answer. */
export interface BridgeStatus {
  server: string;
  state: BridgeState;
  pid: number | null;
  restarts: number;
  tools: number;
  lastError: string | null;
}

/**
 * A stdio MCP server served as Streamable HTTP: the sidecar of an mcp-worker pod. It spawns the
 * server once, keeps it running (restarting it with backoff when it exits) and forwards
 * `tools/list` and `tools/call` from any number of HTTP clients to it with the official SDK on
 * both sides: the client speaks stdio to the child, a stateless server answers each HTTP request
 * (MCP 2026-07-28 and 2025-11-25) with one JSON body.
 *
 * While the child is down, MCP requests get HTTP 503 and `/health/ready` fails; a child that dies
 * in the middle of a call drops that HTTP connection — what a directly connected client would see
 * — so the worker counts the call as unavailable and retries, never as the tool's own error.
 */
export class McpStdioBridge {
  private client?: Client;
  private state: BridgeState = 'starting';
  private pid: number | null = null;
  private restarts = 0;
  private lastError: string | null = null;
  private delayMs = 250;
  private respawnTimer?: NodeJS.Timeout;
  private http?: http.Server;
  private healthHttp?: http.Server;
  private readonly endpoint: McpHttpEndpoint;
  private readonly tools = new Map<string, Tool>();
  /** The HTTP response of the request being forwarded, so a dead child can drop its connection. */
  private readonly response = new AsyncLocalStorage<http.ServerResponse>();

  constructor(
    readonly options: BridgeOptions,
    private readonly logger: PhoenixLogger,
    private readonly childEnv: Record<string, string>,
  ) {
    this.endpoint = new McpHttpEndpoint(() => this.proxyServer());
  }

  status(): BridgeStatus {
    return { server: this.options.name, state: this.state, pid: this.pid, restarts: this.restarts, tools: this.tools.size, lastError: this.lastError };
  }

  /** Listens, then starts the stdio server in the background (a server that fails to start is retried). */
  async start(): Promise<AddressInfo> {
    const server = http.createServer((req, res) => void this.onRequest(req, res));
    this.http = server;
    await listen(server, this.options.port, this.options.host);
    if (this.options.healthPort !== undefined) {
      this.healthHttp = http.createServer((req, res) => {
        if (!this.health(req, res)) json(res, 404, { error: 'only /health/live and /health/ready here' });
      });
      await listen(this.healthHttp, this.options.healthPort, this.options.healthHost);
    }
    void this.spawn();
    const address = server.address() as AddressInfo;
    this.logger.info({ server: this.options.name, url: `http://${address.address}:${address.port}${this.options.path}`, command: this.options.command }, 'mcp bridge listening');
    return address;
  }

  /** Waits until the stdio server answered its first `tools/list`, or throws after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.state !== 'up') {
      if (Date.now() > deadline) throw new Error(`${this.options.name}: not up within ${timeoutMs} ms (${this.lastError ?? this.state})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.respawnTimer);
    for (const server of [this.http, this.healthHttp]) {
      if (!server) continue;
      server.closeIdleConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    await this.client?.close().catch(() => undefined);
    await this.endpoint.close().catch(() => undefined);
  }

  private async spawn(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'starting';
    const o = this.options;
    // The server's diagnostics go to the sidecar's own stderr, where `kubectl logs -c` finds them.
    const transport = new StdioClientTransport({ command: o.command, args: o.args, env: this.childEnv, cwd: o.cwd, stderr: 'inherit' });
    const client = new Client({ name: 'phoenix-mcp-bridge', version: phoenixVersion() }, { capabilities: {}, versionNegotiation: { mode: negotiation(o.protocol) } });
    try {
      await client.connect(transport);
      client.onclose = () => {
        if (this.client === client) this.exited('the stdio server exited');
      };
      client.setNotificationHandler('notifications/tools/list_changed', async () => {
        await this.listAll(client).catch((err) => this.logger.warn({ server: o.name, err: (err as Error).message }, 'tools refresh failed'));
      });
      await this.listAll(client);
      if ((this.state as BridgeState) === 'stopped') {
        await client.close();
        return;
      }
      this.client = client;
      this.pid = transport.pid;
      this.state = 'up';
      this.lastError = null;
      this.delayMs = 250;
      this.logger.info({ server: o.name, childPid: this.pid, tools: this.tools.size, protocol: client.getNegotiatedProtocolVersion() }, 'stdio server up');
    } catch (err) {
      await client.close().catch(() => undefined);
      if ((this.state as BridgeState) === 'stopped') return;
      this.lastError = `cannot start ${o.command}: ${(err as Error).message}`;
      this.state = 'down';
      this.logger.warn({ server: o.name, err: this.lastError, retryInMs: this.delayMs }, 'stdio server did not start');
      this.scheduleRespawn();
    }
  }

  private exited(reason: string): void {
    if (this.state === 'stopped') return;
    this.state = 'down';
    this.client = undefined;
    this.pid = null;
    this.restarts++;
    this.lastError = reason;
    this.logger.warn({ server: this.options.name, restarts: this.restarts, retryInMs: this.delayMs }, `${reason}; restarting it`);
    this.scheduleRespawn();
  }

  private scheduleRespawn(): void {
    clearTimeout(this.respawnTimer);
    this.respawnTimer = setTimeout(() => void this.spawn(), this.delayMs);
    this.delayMs = Math.min(this.delayMs * 2, this.options.maxRestartDelayMs);
  }

  private async listAll(client: Client): Promise<ListToolsResult> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { cacheMode: 'bypass' });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    this.tools.clear();
    for (const t of tools) this.tools.set(t.name, t);
    return { tools };
  }

  /** A fresh server per HTTP request (stateless), answering from the running child. */
  private proxyServer(): Server {
    const child = this.client;
    const info = child?.getServerVersion();
    // Low-level Server: a proxy passes JSON schemas through, which McpServer's zod tools cannot.
    const server = new Server({ name: info?.name ?? this.options.name, version: info?.version ?? phoenixVersion() }, { capabilities: { tools: {} }, instructions: child?.getInstructions() });
    server.setRequestHandler('tools/list', async (req, ctx) => {
      const res = await this.forward(async (c) => c.listTools(req.params?.cursor ? { cursor: req.params.cursor } : undefined, { signal: ctx.mcpReq.signal, cacheMode: 'bypass' }));
      if (!req.params?.cursor) for (const t of res.tools) this.tools.set(t.name, t);
      return res;
    });
    server.setRequestHandler('tools/call', async (req, ctx) => {
      const { name, arguments: args } = req.params;
      const result = (await this.forward((c) => c.callTool({ name, arguments: args, _meta: ctx.mcpReq._meta }, { signal: ctx.mcpReq.signal, timeout: this.options.callTimeoutMs }))) as CallToolResult;
      return server.projectCallToolResult(result, this.tools.get(name)?.outputSchema);
    });
    return server;
  }

  /**
   * Runs one request against the child. The child's own JSON-RPC errors pass through unchanged;
   * anything else (it exited, stopped answering) drops the HTTP connection.
   */
  private async forward<T>(call: (client: Client) => Promise<T>): Promise<T> {
    const client = this.client;
    try {
      if (!client) throw new Error(`${this.options.name}: the stdio server is not running`);
      return await call(client);
    } catch (err) {
      if (ProtocolError.isInstance(err)) throw err;
      this.logger.warn({ server: this.options.name, err: (err as Error).message }, 'forwarded request lost; dropping its HTTP connection');
      this.response.getStore()?.destroy();
      throw err;
    }
  }

  /** Answers `/health/live` (the bridge runs) and `/health/ready` (the stdio server answers); false for other routes. */
  private health(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/health/live' && path !== '/health/ready')) return false;
    const ok = path === '/health/live' ? this.state !== 'stopped' : this.state === 'up';
    json(res, ok ? 200 : 503, { status: ok ? 'up' : 'down', ...this.status() });
    return true;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (this.health(req, res)) return;
      if (path !== this.options.path) return json(res, 404, { error: `not found: ${path}` });
      // Stateless: every answer is one JSON body, so there is no stream to GET and no session to DELETE.
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return json(res, 405, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Method not allowed: this endpoint is stateless (POST only)' } });
      }
      if (this.state !== 'up') {
        res.setHeader('retry-after', '1');
        return json(res, 503, { jsonrpc: '2.0', id: null, error: { code: -32000, message: `${this.options.name}: the stdio server is not running (${this.lastError ?? this.state})` } });
      }
      const body = await readJson(req, DEFAULT_MAX_REQUEST_BODY_SIZE);
      if (body === TOO_LARGE) return json(res, 413, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Request body too large' } });
      if (body === NOT_JSON) return json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the body is not JSON' } });
      await this.response.run(res, () => this.endpoint.handle(req, res, body));
    } catch (err) {
      if (!res.headersSent && !res.destroyed) json(res, 500, { jsonrpc: '2.0', id: null, error: { code: -32603, message: (err as Error).message } });
      else if (!res.writableEnded) res.destroy();
    }
  }
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

const TOO_LARGE = Symbol('too large');
const NOT_JSON = Symbol('not json');

async function readJson(req: http.IncomingMessage, max: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return TOO_LARGE;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function negotiation(protocol: BridgeOptions['protocol']): 'auto' | 'legacy' | { pin: string } {
  if (protocol === 'legacy') return 'legacy';
  if (protocol === '2026-07-28') return { pin: protocol };
  return 'auto';
}
