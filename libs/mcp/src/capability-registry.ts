import { EventProducer } from '@phoenix/bus';
import { createEnvelope, JsonValue, MCP_CAPABILITIES_TOPIC, ServerCapabilities } from '@phoenix/contracts';
import { PhoenixLogger } from '@phoenix/observability';
import { McpServerConnection, ServerInfo } from './mcp-connection';

export const CAPABILITIES_TOPIC = MCP_CAPABILITIES_TOPIC;

export function toCapabilities(connection: McpServerConnection, info: ServerInfo, up: boolean): ServerCapabilities {
  const cfg = connection.config;
  return {
    server: cfg.name,
    serverName: info.name ?? null,
    serverVersion: info.version ?? null,
    description: cfg.description ?? info.instructions ?? null,
    transport: cfg.transport.type,
    status: up ? 'up' : 'down',
    tools: info.tools
      .filter((t) => !cfg.allowTools || cfg.allowTools.includes(t.name))
      .map((t) => ({ name: t.name, description: t.description ?? null, inputSchema: t.inputSchema as unknown as JsonValue, outputSchema: (t.outputSchema ?? null) as JsonValue })),
  };
}

/**
 * Publishes each server's capabilities to the compacted `mcp.capabilities` topic on connect and
 * whenever its tools change or it goes down, so planners and other pods see one registry.
 */
export class CapabilityRegistry {
  private readonly last = new Map<string, string>();
  private readonly current = new Map<string, ServerCapabilities>();

  constructor(
    private readonly connections: Map<string, McpServerConnection>,
    private readonly producer: EventProducer,
    private readonly logger: PhoenixLogger,
  ) {
    for (const c of connections.values()) {
      this.current.set(c.config.name, toCapabilities(c, c.serverInfo, false));
      c.onChange((info, up) => void this.publish(toCapabilities(c, info, up)));
    }
  }

  /** This worker's servers, as last seen. */
  list(): ServerCapabilities[] {
    return [...this.current.values()];
  }

  private async publish(caps: ServerCapabilities): Promise<void> {
    this.current.set(caps.server, caps);
    const json = JSON.stringify(caps);
    if (this.last.get(caps.server) === json) return;
    this.last.set(caps.server, json);
    try {
      await this.producer.publish(CAPABILITIES_TOPIC, createEnvelope({ type: 'mcp.capabilities.updated', source: 'mcp-worker', key: caps.server, payload: caps }));
    } catch (err) {
      this.last.delete(caps.server);
      this.logger.warn({ server: caps.server, err: (err as Error).message }, 'could not publish capabilities; will retry on next change');
    }
  }
}
