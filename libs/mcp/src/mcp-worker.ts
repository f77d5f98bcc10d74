import { TopicView } from '@phoenix/bus';
import { LedgerEntry, mcpCommandsTopic } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { CapabilityRegistry } from './capability-registry';
import { CommandExecutor } from './command-executor';
import { IdempotencyLedger, LEDGER_TOPIC } from './idempotency-ledger';
import { McpServerConnection } from './mcp-connection';
import { loadMcpServers, McpServerConfig } from './mcp-servers.config';

/** Everything one worker process runs: connections to its servers, the ledger, the executor. */
export class McpWorker {
  readonly connections = new Map<string, McpServerConnection>();
  readonly ledger: IdempotencyLedger;
  readonly executor: CommandExecutor;
  readonly capabilities: CapabilityRegistry;

  constructor(
    private readonly ctx: AppContext,
    readonly servers: McpServerConfig[],
  ) {
    const logger = ctx.logger.child({ component: 'mcp-worker' });
    for (const s of servers) this.connections.set(s.name, new McpServerConnection(s, logger));
    this.ledger = new IdempotencyLedger(new TopicView<LedgerEntry>(ctx.bus.kafka, ctx.bus.codec, LEDGER_TOPIC, logger), ctx.bus.producer);
    this.executor = new CommandExecutor(this.connections, this.ledger, ctx.bus.producer, logger, ctx.metrics, 'mcp-worker');
    this.capabilities = new CapabilityRegistry(this.connections, ctx.bus.producer, logger);
  }

  /**
   * The servers this process serves: all in config/mcp-servers.yaml, or the `only` subset
   * (one deployment per server in k8s). Unknown names are a boot error.
   */
  static fromConfig(ctx: AppContext, only: string[] | undefined): McpWorker {
    const all = loadMcpServers(ctx.config.paths.config, ctx.config.paths.root, ctx.env);
    const unknown = (only ?? []).filter((n) => !all.some((s) => s.name === n));
    if (unknown.length) throw new Error(`MCP_WORKER_SERVERS names unknown servers: ${unknown.join(', ')} (configured: ${all.map((s) => s.name).join(', ')})`);
    const disabled = (only ?? []).filter((n) => all.some((s) => s.name === n && !s.enabled));
    if (disabled.length) throw new Error(`MCP_WORKER_SERVERS names servers that are off (enabled: false in mcp-servers.yaml): ${disabled.join(', ')}`);
    const enabled = all.filter((s) => s.enabled);
    return new McpWorker(ctx, only ? enabled.filter((s) => only.includes(s.name)) : enabled);
  }

  /** Command topics this worker consumes. */
  get topics(): string[] {
    return this.servers.map((s) => mcpCommandsTopic(s.name));
  }

  /** Consumer group: one per set of servers, so per-server deployments do not share partitions. */
  groupId(all: boolean): string {
    const base = `${this.ctx.config.instance}-mcp-worker`;
    return all ? base : `${base}.${this.servers.map((s) => s.name).join('+')}`;
  }

  async start(): Promise<void> {
    await this.ledger.start();
    // Connect in the background: a server that is down must not stop the others.
    for (const c of this.connections.values()) {
      c.connect().catch((err) => this.ctx.logger.warn({ server: c.config.name, err: (err as Error).message }, 'mcp server not reachable yet; retrying on demand'));
    }
    this.ctx.health.register('mcp-servers', async () => {
      const down = [...this.connections.values()].filter((c) => !c.isUp).map((c) => c.config.name);
      return down.length ? { status: 'degraded', detail: `down: ${down.join(', ')}` } : { status: 'up', detail: `${this.connections.size} server(s)` };
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    await this.ledger.stop();
  }
}
