import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { HealthRegistry } from './health';
import { PhoenixLogger } from './logger';
import { PhoenixMetrics } from './metrics';
import { ObservabilityController } from './observability.controller';

import { APP_NAME, PHOENIX_LOGGER } from './observability.tokens';

export { APP_NAME, PHOENIX_LOGGER };
export const InjectLogger = (): ParameterDecorator => Inject(PHOENIX_LOGGER);
export const InjectAppName = (): ParameterDecorator => Inject(APP_NAME);

export interface ObservabilityOptions {
  app: string;
  logger: PhoenixLogger;
  /** Shared across apps hosted in one process (standalone) so /metrics shows them all. */
  metrics: PhoenixMetrics;
  health: HealthRegistry;
  /** Serve /health and /metrics from this module's controller (false when the app has its own HTTP setup for them). */
  http?: boolean;
}

@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(opts: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: opts.http === false ? [] : [ObservabilityController],
      providers: [
        { provide: APP_NAME, useValue: opts.app },
        { provide: PHOENIX_LOGGER, useValue: opts.logger.child({ app: opts.app }) },
        { provide: PhoenixMetrics, useValue: opts.metrics },
        { provide: HealthRegistry, useValue: opts.health },
      ],
      exports: [APP_NAME, PHOENIX_LOGGER, PhoenixMetrics, HealthRegistry],
    };
  }
}
