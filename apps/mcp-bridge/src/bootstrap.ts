import { CommanderError } from 'commander';
import { createBridgeCommand } from '@phoenix/mcp-http';

/**
 * The sidecar of an mcp-worker pod: one stdio MCP server served as Streamable HTTP on the pod's
 * loopback (`mcp-bridge --port 8931 -- <command> [args...]`). It needs no Kafka and none of
 * Phoenix's settings, and loads none of the apps' runtime (a sidecar per server adds up).
 */
export async function bootstrap(): Promise<void> {
  try {
    await createBridgeCommand().exitOverride().parseAsync(process.argv);
    process.exit(0);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    process.stderr.write(`phoenix mcp-bridge failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  }
}
