import { ConfigError } from './config.exception';
import { envSchema } from './config.schema';

export interface BridgeEnvironment {
  log: { level: string; pretty: boolean };
  /** The environment the bridged stdio server inherits, whole: its tokens come from the sidecar container's env. */
  childEnv: Record<string, string>;
}

/**
 * What `mcp-bridge` reads from its environment. Unlike the apps it needs none of Phoenix's
 * settings (no Kafka, no keys), so a sidecar container holds only the server's own variables.
 */
export function loadBridgeEnvironment(env: NodeJS.ProcessEnv = process.env): BridgeEnvironment {
  const parsed = envSchema.pick({ LOG_LEVEL: true, LOG_PRETTY: true }).safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  return { log: { level: parsed.data.LOG_LEVEL, pretty: parsed.data.LOG_PRETTY ?? process.stderr.isTTY === true }, childEnv };
}
