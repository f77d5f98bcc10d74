import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { PhoenixConfig } from './phoenix-config';

export const PHOENIX_CONFIG = Symbol('PHOENIX_CONFIG');

/** Injects the validated {@link PhoenixConfig}. */
export const InjectConfig = (): ParameterDecorator => Inject(PHOENIX_CONFIG);

@Global()
@Module({})
export class ConfigModule {
  /** Config is loaded and validated before Nest starts (see each app's bootstrap). */
  static forRoot(config: PhoenixConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: PHOENIX_CONFIG, useValue: config }],
      exports: [PHOENIX_CONFIG],
    };
  }
}
