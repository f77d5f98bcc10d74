import { Command, InvalidArgumentError } from 'commander';
import { loadBridgeEnvironment } from '@phoenix/config';
import { createLogger } from '@phoenix/observability';
import { bridgeOptionsSchema, BridgeOptions, McpStdioBridge } from './stdio-bridge';

const whole = (flag: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${flag}: expected a whole number`);
  return Number(v);
};

/**
 * `mcp-bridge [options] -- <command> [args...]`: the sidecar's entry point (apps/mcp-bridge) and
 * `phoenix mcp-bridge`. Everything after `--` is the stdio server's command line.
 */
export function createBridgeCommand(): Command {
  return new Command('mcp-bridge')
    .description('Serve a stdio MCP server as Streamable HTTP (the sidecar bridge of an mcp-worker pod): POST <path> for MCP, GET /health/live and /health/ready for probes.')
    .argument('<command>', 'the stdio server to run')
    .argument('[args...]', 'its arguments (put -- before the command so they are not read as options)')
    .option('--name <name>', 'server name in logs and health answers', 'stdio')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', whole('--port'), 8931)
    .option('--path <path>', 'MCP endpoint path', '/mcp')
    .option('--health-port <port>', 'also answer /health/* on this port (kubelet probes the pod IP, not loopback)', whole('--health-port'))
    .option('--health-host <host>', 'address of the health listener', '0.0.0.0')
    .option('--cwd <dir>', 'working directory of the stdio server')
    .option('--protocol <mode>', 'MCP revision towards the stdio server: auto, legacy, 2026-07-28', 'auto')
    .option('--call-timeout-ms <ms>', 'longest a forwarded call may run', whole('--call-timeout-ms'), 600_000)
    .action(async (command: string, args: string[], opts: Omit<BridgeOptions, 'command' | 'args'>) => {
      const parsed = bridgeOptionsSchema.safeParse({ ...opts, command, args });
      if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
      await runMcpBridge(parsed.data);
    });
}

/** Runs a bridge until SIGTERM/SIGINT; resolves once it has stopped (the stdio server with it). */
export async function runMcpBridge(options: BridgeOptions): Promise<void> {
  const env = loadBridgeEnvironment();
  const logger = createLogger({ level: env.log.level, pretty: env.log.pretty, name: 'mcp-bridge' });
  const bridge = new McpStdioBridge(options, logger, env.childEnv);
  await bridge.start();
  await new Promise<void>((resolve) => {
    const stop = () => {
      logger.info({ server: options.name }, 'mcp bridge stopping');
      // Bounded: a stdio server that ignores its closed stdin must not hold the pod's shutdown.
      setTimeout(() => process.exit(0), 10_000).unref();
      void bridge.close().finally(resolve);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
