import { loadConfig, PhoenixConfig } from '@phoenix/config';
import { BusRuntime } from '@phoenix/bus';
import { createLogger, HealthRegistry, PhoenixMetrics } from '@phoenix/observability';

/** The bus clients a CLI command needs; logs go to stderr at warn so stdout stays clean. */
export function cliRuntime(): { config: PhoenixConfig; bus: BusRuntime } {
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, pretty: false, name: 'phoenix-cli' });
  const bus = new BusRuntime(config, logger, new PhoenixMetrics(), 'cli');
  bus.registerHealth(new HealthRegistry());
  return { config, bus };
}
