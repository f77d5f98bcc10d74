import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { httpTelemetry, NestPinoLogger } from '@phoenix/observability';
import { AppContext, PhoenixCoreModule } from '@phoenix/runtime';
import { createMemoryStore, MemoryReader } from '@phoenix/memory';
import { PhoenixViews } from '@phoenix/phoenix-mcp';
import { GatewayModule } from './gateway.module';
import { HttpAdmission } from './admission/http-admission';
import { buildOpenApiDocument } from './openapi/openapi.document';

/**
 * The accept queue of the gateway's socket: a burst of new connections beyond Node's default
 * (511) would see SYNs dropped and retried seconds later — a client timeout instead of a 429.
 */
const LISTEN_BACKLOG = 4096;

/** `app.listen` with the gateway's accept backlog (Nest forwards the extra argument to Node). */
export function listenGateway(app: INestApplication, port: number, host: string): Promise<unknown> {
  const listen = app.listen.bind(app) as unknown as (port: number, host: string, backlog: number) => Promise<unknown>;
  return listen(port, host, LISTEN_BACKLOG);
}

/** Builds the gateway on a context (its own process, or the standalone runner's). */
export async function createGatewayApp(ctx: AppContext, opts: { ownsContext: boolean; memory?: () => Promise<MemoryReader> }): Promise<INestApplication> {
  @Module({
    imports: [PhoenixCoreModule.forContext(ctx, { app: 'gateway', ownsContext: opts.ownsContext }), GatewayModule.forRoot(ctx.config, ctx.logger, new PhoenixViews(ctx.bus, opts.memory ?? (() => createMemoryStore(ctx.config, ctx.env))), ctx.env)],
  })
  class GatewayAppModule {}

  const app = await NestFactory.create(GatewayAppModule, { bodyParser: false, logger: new NestPinoLogger(ctx.logger.child({ app: 'gateway' })), abortOnError: false });
  new HttpAdmission(ctx.config.gateway.maxInFlight).attach(app.getHttpServer());
  app.use(httpTelemetry(ctx.metrics, 'gateway'));
  SwaggerModule.setup('docs', app, buildOpenApiDocument('0.1.0') as unknown as OpenAPIObject, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
