import { loadConfig, PhoenixConfig } from '@phoenix/config';
import { BusRuntime } from '@phoenix/bus';
import { createLogger, flushTracing, HealthRegistry, initTracing, PhoenixLogger, PhoenixMetrics } from '@phoenix/observability';

/**
 * What every Phoenix app needs before Nest starts: validated config, logger, metrics, health
 * registry and the bus clients. The standalone runner builds one and hosts every app on it.
 */
export class AppContext {
  private constructor(
    readonly config: PhoenixConfig,
    readonly logger: PhoenixLogger,
    readonly metrics: PhoenixMetrics,
    readonly health: HealthRegistry,
    readonly bus: BusRuntime,
    /** The environment the config was loaded from (config files interpolate `${VAR}` from it). */
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Loads config (failing fast with every problem listed) and builds the shared clients. */
  static create(app: string, env: NodeJS.ProcessEnv = process.env, opts: { logToStderr?: boolean } = {}): AppContext {
    const config = loadConfig(env);
    const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: `phoenix-${app}`, destination: opts.logToStderr ? 2 : undefined });
    initTracing({ serviceName: config.tracing.serviceName ?? `phoenix-${app}`, otlpEndpoint: config.tracing.otlpEndpoint });
    const metrics = new PhoenixMetrics();
    const health = new HealthRegistry();
    const bus = new BusRuntime(config, logger, metrics, app);
    bus.registerHealth(health);
    return new AppContext(config, logger, metrics, health, bus, env);
  }

  /** For command-line tools: quieter logs (warn unless LOG_LEVEL says otherwise), on stderr. */
  static forCli(app: string): AppContext {
    return AppContext.create(app, { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, { logToStderr: true });
  }

  async close(): Promise<void> {
    await this.bus.close();
    await flushTracing();
  }
}
