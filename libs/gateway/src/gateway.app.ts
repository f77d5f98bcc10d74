import * as path from 'node:path';
import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { httpTelemetry, NestPinoLogger } from '@phoenix/observability';
import { AppContext, PhoenixCoreModule } from '@phoenix/runtime';
import { createMemoryStore, MemoryReader } from '@phoenix/memory';
import { PhoenixViews } from '@phoenix/phoenix-mcp';
import { LagSampler } from '@phoenix/console';
import { GatewayModule } from './gateway.module';
import { serveConsole } from './console/console.static';
import { ClaimLog } from './idempotency/claim-log';
import { HttpAdmission } from './admission/http-admission';
import { buildOpenApiDocument, OpenApiRoutes } from './openapi/openapi.document';
import { N8N_CONFIG } from './webhooks/n8n-webhook.controller';
import { N8nConfig } from '@phoenix/n8n';

/**
 * The accept queue of the gateway's socket: a burst of new connections beyond Node's default
 * (511) would see SYNs dropped and retried seconds later — a client timeout instead of a 429.
 */
const LISTEN_BACKLOG = 4096;

/** The version of the HTTP contract in `/openapi.json`. */
export const GATEWAY_API_VERSION = '0.2.0';

/**
 * `app.listen` with the gateway's accept backlog (Nest forwards the extra argument to Node), on
 * host:port — or on the Unix socket the edge passes requests to.
 */
export function listenGateway(app: INestApplication, at: { port: number; host: string; socket?: string }): Promise<unknown> {
  if (at.socket) {
    const listenPath = app.listen.bind(app) as unknown as (path: string, backlog: number) => Promise<unknown>;
    return listenPath(at.socket, LISTEN_BACKLOG);
  }
  const listen = app.listen.bind(app) as unknown as (port: number, host: string, backlog: number) => Promise<unknown>;
  return listen(at.port, at.host, LISTEN_BACKLOG);
}

/** Builds the gateway on a context (its own process, or the standalone runner's). */
export async function createGatewayApp(ctx: AppContext, opts: { ownsContext: boolean; memory?: () => Promise<MemoryReader> }): Promise<INestApplication> {
  @Module({
    imports: [PhoenixCoreModule.forContext(ctx, { app: 'gateway', ownsContext: opts.ownsContext }), GatewayModule.forRoot(ctx.config, ctx.logger, new PhoenixViews(ctx.bus, opts.memory ?? (() => createMemoryStore(ctx.config, ctx.env, (m) => ctx.logger.info(m)))), ctx.env)],
  })
  class GatewayAppModule {}

  const app = await NestFactory.create(GatewayAppModule, { bodyParser: false, logger: new NestPinoLogger(ctx.logger.child({ app: 'gateway' })), abortOnError: false });
  // Nonces and Idempotency-Key answers are read up to the end of gateway.claims before the
  // gateway serves, so its first decisions already know every other replica's.
  await app.get(ClaimLog).start();
  // The console's feed starts when the console is first used (ConsoleFeed.touch); the lag sampler
  // only asks the broker for offsets every 5 s.
  if (ctx.config.gateway.console.feed) app.get(LagSampler).start();
  // Behind the edge (the workers listen on its socket) the edge bounds what arrives; all of it may reach one worker.
  const { edge, socket } = ctx.config.gateway;
  new HttpAdmission(ctx.config.gateway.maxInFlight, () => ctx.metrics.httpShed.inc({ app: 'gateway' }), socket ? edge.maxInFlight : undefined).attach(app.getHttpServer());
  app.use(httpTelemetry(ctx.metrics, 'gateway'));
  serveConsole(app, path.join(ctx.config.paths.root, 'dist', 'console'));
  const flows = app.get<N8nConfig>(N8N_CONFIG).flows.filter((f) => f.inbound).map((f) => f.name);
  app.get(OpenApiRoutes).set(buildOpenApiDocument(app, { version: GATEWAY_API_VERSION, batchMaxEvents: ctx.config.gateway.batchMaxEvents, inboundFlows: flows, topics: ctx.bus.catalogue.topics().map((t) => ({ name: t.name, payload: ctx.bus.codec.payloadJsonSchema(t.name), compacted: t.cleanupPolicy !== 'delete' })) }));
  return app;
}
