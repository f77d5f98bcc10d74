import { phoenixVersion } from '@phoenix/config';
import { CallToolResult, Client, ProtocolError, SdkError, SdkErrorCode, StreamableHTTPClientTransport, Tool } from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { PhoenixLogger } from '@phoenix/observability';
import { McpCallError, McpErrorCode } from './mcp.exception';
import { McpServerConfig } from './mcp-servers.config';
import { Backoff } from '@phoenix/concurrency';

export interface ServerInfo {
  name?: string;
  version?: string;
  instructions?: string;
  /** The MCP revision this connection speaks (2026-07-28, or 2025-11-25 with an older server). */
  protocolVersion?: string;
  tools: Tool[];
}

type State = 'idle' | 'connecting' | 'up' | 'down' | 'closed';

/** One live `tools/list` against a server, as `phoenix validate` asks for it. */
export interface ServerProbe {
  server: string;
  transport: 'stdio' | 'http';
  status: 'up' | 'down';
  /** Tools the worker may call (the allow-list applied), as the capability registry lists them. */
  tools: string[];
  /** Time to (re)connect if needed and list every page of tools. */
  latencyMs: number;
  error: string | null;
}

/**
 * One MCP server as the worker sees it: connects with the official SDK client over stdio or
 * Streamable HTTP, lists its tools, and reconnects with backoff when the connection is lost —
 * for stdio that restarts the server process.
 */
export class McpServerConnection {
  private client?: Client;
  private state: State = 'idle';
  private connecting?: Promise<void>;
  private info: ServerInfo = { tools: [] };
  /** Reconnect waits: 250 ms doubling to 30 s while connects fail. */
  private readonly backoff = new Backoff(250, 30_000);
  private get backoffMs(): number {
    return Math.max(this.backoff.last, 250);
  }
  private reconnectTimer?: NodeJS.Timeout;
  private readonly changeListeners: ((info: ServerInfo, up: boolean) => void)[] = [];

  constructor(
    readonly config: McpServerConfig,
    private readonly logger: PhoenixLogger,
    private readonly clientInfo = { name: 'phoenix-mcp-worker', version: phoenixVersion() },
  ) {}

  get isUp(): boolean {
    return this.state === 'up';
  }

  get serverInfo(): ServerInfo {
    return this.info;
  }

  /** Called after (re)connecting and whenever the tool list changes or the server goes down. */
  onChange(listener: (info: ServerInfo, up: boolean) => void): void {
    this.changeListeners.push(listener);
  }

  /** Connects (or waits for the connection in progress). */
  async connect(): Promise<void> {
    if (this.state === 'up') return;
    if (this.state === 'closed') throw new McpCallError(McpErrorCode.Unavailable, `${this.config.name}: connection closed`);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Waits until connected, up to `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.connect();
        return;
      } catch (err) {
        if (this.state === 'closed' || Date.now() + this.backoffMs > deadline) {
          throw err instanceof McpCallError ? err : new McpCallError(McpErrorCode.Unavailable, `${this.config.name}: ${(err as Error).message}`, err);
        }
        await new Promise((r) => setTimeout(r, this.backoffMs));
      }
    }
  }

  async callTool(name: string, args: Record<string, unknown>, opts: { timeoutMs: number; meta?: Record<string, unknown> }): Promise<CallToolResult> {
    await this.ready(opts.timeoutMs);
    const client = this.client!;
    try {
      return await client.callTool({ name, arguments: args, _meta: opts.meta }, { timeout: opts.timeoutMs });
    } catch (err) {
      if (err instanceof SdkError && err.code === SdkErrorCode.RequestTimeout) {
        throw new McpCallError(McpErrorCode.Timeout, `${this.config.name}/${name}: no answer within ${opts.timeoutMs} ms`, err);
      }
      if (err instanceof ProtocolError) throw new McpCallError(McpErrorCode.Protocol, `${this.config.name}/${name}: ${err.message}`, err);
      // The connection closed, an HTTP failure or a network error: the server is unavailable.
      this.lost(err);
      const closed = err instanceof SdkError && err.code === SdkErrorCode.ConnectionClosed;
      throw new McpCallError(McpErrorCode.Unavailable, closed ? `${this.config.name}: connection closed during the call` : `${this.config.name}: ${(err as Error).message}`, err);
    }
  }

  /**
   * Asks the server for its tools now — a round trip, never the cached list — connecting first
   * when the connection is down. A read: the tools the worker serves are not replaced by it.
   */
  async probe(timeoutMs: number): Promise<ServerProbe> {
    const started = Date.now();
    const cfg = this.config;
    const base = { server: cfg.name, transport: cfg.transport.type };
    try {
      await this.ready(timeoutMs);
      const client = this.client!;
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const remaining = Math.max(1, timeoutMs - (Date.now() - started));
        const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: remaining, cacheMode: 'bypass' });
        names.push(...page.tools.map((t) => t.name));
        cursor = page.nextCursor;
      } while (cursor);
      const tools = names.filter((n) => !cfg.allowTools || cfg.allowTools.includes(n)).sort();
      return { ...base, status: 'up', tools, latencyMs: Date.now() - started, error: null };
    } catch (err) {
      // A transport failure means the connection is gone: reconnect as a failed call would.
      if (!(err instanceof McpCallError) && !(err instanceof ProtocolError) && !(err instanceof SdkError && err.code === SdkErrorCode.RequestTimeout)) this.lost(err);
      return { ...base, status: 'down', tools: [], latencyMs: Date.now() - started, error: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    await this.client?.close().catch(() => undefined);
  }

  private transport(): Transport {
    const t = this.config.transport;
    if (t.type === 'stdio') {
      const stdio = new StdioClientTransport({ command: t.command, args: t.args, env: { ...getDefaultEnvironment(), ...t.env }, cwd: t.cwd, stderr: 'pipe' });
      stdio.stderr?.on('data', (chunk: Buffer) => this.logger.debug({ server: this.config.name, stderr: chunk.toString().trimEnd() }, 'mcp server stderr'));
      return stdio;
    }
    return new StreamableHTTPClientTransport(new URL(t.url), { requestInit: { headers: t.headers } });
  }

  private async open(): Promise<void> {
    this.state = 'connecting';
    // 2026-07-28 when the server offers it (server/discover), else the 2025-11-25 handshake.
    const client = new Client(this.clientInfo, { capabilities: {}, versionNegotiation: { mode: negotiation(this.config.protocol) } });
    try {
      await client.connect(this.transport());
      client.onclose = () => {
        if (this.client === client) this.lost(new Error('connection closed'));
      };
      client.setNotificationHandler('notifications/tools/list_changed', async () => {
        await this.refreshTools(client).catch((err) => this.logger.warn({ server: this.config.name, err: (err as Error).message }, 'tools refresh failed'));
      });
      this.client = client;
      await this.refreshTools(client);
      this.state = 'up';
      this.backoff.reset();
      this.logger.info({ server: this.config.name, tools: this.info.tools.length }, 'mcp server connected');
      this.emit();
    } catch (err) {
      await client.close().catch(() => undefined);
      if ((this.state as State) !== 'closed') this.state = 'down';
      this.backoff.next();
      throw new McpCallError(McpErrorCode.Unavailable, `${this.config.name}: cannot connect (${(err as Error).message})`, err);
    }
  }

  private async refreshTools(client: Client): Promise<void> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined);
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    const version = client.getServerVersion();
    this.info = { name: version?.name, version: version?.version, instructions: client.getInstructions(), protocolVersion: client.getNegotiatedProtocolVersion(), tools };
    if (this.state === 'up') this.emit();
  }

  /** The connection dropped: mark down and reconnect in the background. */
  private lost(reason: unknown): void {
    if (this.state === 'closed' || this.state === 'down') return;
    this.logger.warn({ server: this.config.name, err: (reason as Error)?.message }, 'mcp server connection lost; reconnecting');
    this.state = 'down';
    const old = this.client;
    this.client = undefined;
    void old?.close().catch(() => undefined);
    this.emit();
    const retry = () => {
      if (this.state === 'closed') return;
      this.connect().catch(() => {
        this.reconnectTimer = setTimeout(retry, this.backoffMs);
      });
    };
    this.reconnectTimer = setTimeout(retry, this.backoffMs);
  }

  private emit(): void {
    for (const l of this.changeListeners) l(this.info, this.state === 'up');
  }
}

function negotiation(protocol: McpServerConfig['protocol'] | undefined): 'auto' | 'legacy' | { pin: string } {
  if (protocol === 'legacy') return 'legacy';
  if (protocol === '2026-07-28') return { pin: protocol };
  return 'auto';
}
