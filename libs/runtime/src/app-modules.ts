import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { BusModule } from '@phoenix/bus';
import { ConfigModule } from '@phoenix/config';
import { ObservabilityModule } from '@phoenix/observability';
import { AppContext } from './app-context';

const OWNED_CONTEXT = Symbol('OWNED_CONTEXT');

/** Closes the process's bus clients after Nest has stopped the app (producer flushed last). */
class ContextCloser implements OnApplicationShutdown {
  constructor(@Inject(OWNED_CONTEXT) private readonly ctx: AppContext) {}
  async onApplicationShutdown(): Promise<void> {
    await this.ctx.close();
  }
}

export interface CoreModuleOptions {
  app: string;
  /** True when this app is the only one on the context and should close it on shutdown. */
  ownsContext: boolean;
  /** Serve /health and /metrics from this app. */
  http?: boolean;
}

/** Config, observability and bus providers every Phoenix app imports. */
@Module({})
export class PhoenixCoreModule {
  static forContext(ctx: AppContext, opts: CoreModuleOptions): DynamicModule {
    return {
      module: PhoenixCoreModule,
      imports: [
        ConfigModule.forRoot(ctx.config),
        ObservabilityModule.forRoot({ app: opts.app, logger: ctx.logger, metrics: ctx.metrics, health: ctx.health, http: opts.http }),
        BusModule.forRuntime(ctx.bus),
      ],
      providers: opts.ownsContext ? [{ provide: OWNED_CONTEXT, useValue: ctx }, ContextCloser] : [],
      exports: [ConfigModule, ObservabilityModule, BusModule],
    };
  }
}
