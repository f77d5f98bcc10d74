import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BusTransport, BusTransportOptions } from '@phoenix/bus';
import { NestPinoLogger } from '@phoenix/observability';
import { AppContext } from './app-context';
import { PhoenixCoreModule } from './app-modules';

export interface ConsumerAppOptions {
  app: string;
  /** The app's own module (handlers as @OnEvent methods, optional HTTP controllers). */
  module: DynamicModule;
  groupId: string;
  /** Topics to consume; each needs exactly one handler. */
  topics: string[];
  ownsContext: boolean;
  /** Transport options beyond group and topics (co-partitioning, assignment callback). */
  transport?: Pick<BusTransportOptions, 'partitionAssigners' | 'onAssignment' | 'fromBeginning' | 'discover'>;
}

/**
 * A consumer app: Nest microservice on {@link BusTransport} for its topics, plus an HTTP side that
 * serves only /health, /metrics and what the app's module adds. Call `startAllMicroservices()`
 * and then `listen(port)` (or `init()` when hosted by the standalone runner).
 */
export async function createConsumerApp(ctx: AppContext, opts: ConsumerAppOptions): Promise<INestApplication> {
  @Module({ imports: [PhoenixCoreModule.forContext(ctx, { app: opts.app, ownsContext: opts.ownsContext }), opts.module] })
  class ConsumerRootModule {}

  const logger = ctx.logger.child({ app: opts.app });
  const app = await NestFactory.create(ConsumerRootModule, { logger: new NestPinoLogger(logger), abortOnError: false });
  const { bus, config, metrics } = ctx;
  app.connectMicroservice(
    {
      strategy: new BusTransport(
        { kafka: bus.kafka, codec: bus.codec, producer: bus.producer, bus: config.bus, logger, metrics, app: opts.app, health: ctx.health },
        { groupId: opts.groupId, topics: opts.topics, ...opts.transport },
      ),
    },
    { inheritAppConfig: true },
  );
  return app;
}

/** An app whose work is not a Nest transport (e.g. a sink with its own consumer): HTTP side only. */
export async function createServiceApp(ctx: AppContext, opts: Omit<ConsumerAppOptions, 'groupId' | 'topics' | 'transport'>): Promise<INestApplication> {
  @Module({ imports: [PhoenixCoreModule.forContext(ctx, { app: opts.app, ownsContext: opts.ownsContext }), opts.module] })
  class ServiceRootModule {}
  return NestFactory.create(ServiceRootModule, { logger: new NestPinoLogger(ctx.logger.child({ app: opts.app })), abortOnError: false });
}
