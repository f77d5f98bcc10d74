import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { httpTelemetry, NestPinoLogger } from '@phoenix/observability';
import { AppContext, PhoenixCoreModule } from '@phoenix/runtime';
import { createMemoryStore, MemoryReader } from '@phoenix/memory';
import { PhoenixViews } from '@phoenix/phoenix-mcp';
import { GatewayModule } from './gateway.module';
import { buildOpenApiDocument } from './openapi/openapi.document';

/** Builds the gateway on a context (its own process, or the standalone runner's). */
export async function createGatewayApp(ctx: AppContext, opts: { ownsContext: boolean; memory?: () => Promise<MemoryReader> }): Promise<INestApplication> {
  @Module({
    imports: [PhoenixCoreModule.forContext(ctx, { app: 'gateway', ownsContext: opts.ownsContext }), GatewayModule.forRoot(ctx.config, ctx.logger, new PhoenixViews(ctx.bus, opts.memory ?? (() => createMemoryStore(ctx.config, ctx.env))), ctx.env)],
  })
  class GatewayAppModule {}

  const app = await NestFactory.create(GatewayAppModule, { bodyParser: false, logger: new NestPinoLogger(ctx.logger.child({ app: 'gateway' })), abortOnError: false });
  app.use(httpTelemetry(ctx.metrics, 'gateway'));
  SwaggerModule.setup('docs', app, buildOpenApiDocument('0.1.0') as unknown as OpenAPIObject, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
