import * as path from 'node:path';
import { z } from 'zod';
import { loadYamlConfig } from '@phoenix/config';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _');

const stdioTransport = z
  .object({
    type: z.literal('stdio'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
  })
  .strict();

const httpTransport = z
  .object({
    type: z.literal('http'),
    url: z.url(),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const mcpServerSchema = z
  .object({
    name,
    description: z.string().optional(),
    /**
     * Off: the server keeps its command topic (routes and playbooks naming it validate) but no
     * worker connects to it — for servers that need a local install first (e.g. `git`).
     */
    enabled: z.boolean().default(true),
    transport: z.discriminatedUnion('type', [stdioTransport, httpTransport]),
    /** Calls in flight at once on this server. */
    concurrency: z.number().int().min(1).max(1000).default(4),
    /** Per-call timeout unless the command sets a shorter one. */
    timeoutMs: z.number().int().min(100).default(30000),
    /** Only these tools may be called (all when absent). */
    allowTools: z.array(z.string()).optional(),
    /** Attempts for transient failures (connection lost, server restarting) before a `failed` result. */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /**
     * MCP revision: `auto` asks the server (`server/discover`) and speaks 2026-07-28 when offered,
     * else the 2025-11-25 handshake; `legacy` goes straight to 2025-11-25 (for a stdio server on an
     * older SDK, this saves the probe process); `2026-07-28` insists on it and fails otherwise.
     */
    protocol: z.enum(['auto', 'legacy', '2026-07-28']).default('auto'),
  })
  .strict();

export const mcpServersFileSchema = z
  .object({ servers: z.array(mcpServerSchema).default([]) })
  .strict()
  .refine((f) => new Set(f.servers.map((s) => s.name)).size === f.servers.length, 'server names must be unique');

export type McpServerConfig = z.infer<typeof mcpServerSchema>;

/**
 * `config/mcp-servers.yaml`: the MCP servers Phoenix's workers call. `${VAR}` in it comes from
 * the environment (tokens in headers/env). Relative stdio `cwd`s resolve against the project root.
 */
export function loadMcpServers(configDir: string, root: string, env?: NodeJS.ProcessEnv): McpServerConfig[] {
  const file = path.join(configDir, 'mcp-servers.yaml');
  const { servers } = loadYamlConfig(file, mcpServersFileSchema, env);
  return servers.map((s) => (s.transport.type === 'stdio' ? { ...s, transport: { ...s.transport, cwd: path.resolve(root, s.transport.cwd ?? '.') } } : s));
}
