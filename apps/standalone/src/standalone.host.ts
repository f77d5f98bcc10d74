import { INestApplication } from '@nestjs/common';
import { createGatewayApp, listenGateway } from '@phoenix/gateway';
import { McpWorker, McpWorkerModule } from '@phoenix/mcp';
import { Ingestor, loadIngestConfig } from '@phoenix/cdc';
import { loadN8nConfig, N8nBridge } from '@phoenix/n8n';
import { createMemoryWriter, createSqlAssistant, MemoryWriterModule } from '@phoenix/memory-writer';
import { Router, ROUTER_TOPIC_PATTERNS, RoutingModule } from '@phoenix/routing';
import { AppContext, createConsumerApp, createServiceApp } from '@phoenix/runtime';
import { SUPERVISOR_TOPICS, Supervisor, SupervisorModule } from '@phoenix/supervisor';

export interface StandaloneHost {
  gatewayUrl: string;
  internalUrl: string;
  close(): Promise<void>;
}

/**
 * Runs every app on one shared context (one producer, one metrics registry). Each app keeps
 * its own entry point for k8s; this is the laptop/CI shape of the same code. Health and
 * metrics of all of them are served by the gateway.
 */
export async function startAllApps(ctx: AppContext): Promise<StandaloneHost> {
  const results = await ctx.bus.admin.apply();
  const changed = results.filter((r) => r.action !== 'unchanged');
  if (changed.length) ctx.logger.info({ topics: changed.map((r) => `${r.topic}:${r.action}`) }, 'topic catalogue applied');
  await ctx.bus.codec.prepare(ctx.bus.catalogue.topics().map((t) => t.name));
  const prefix = ctx.config.instance;
  const apps: INestApplication[] = [];

  // The memory-writer first: its HTTP port serves the phoenix-memory and phoenix-warehouse MCP servers.
  const writer = await createMemoryWriter(ctx);
  const writerApp = await createServiceApp(ctx, { app: 'memory-writer', module: MemoryWriterModule.forWriter(writer, createSqlAssistant(ctx, writer.warehouse)), ownsContext: false });
  await writer.start();
  await writerApp.listen(ctx.config.health.port, ctx.config.gateway.host);
  apps.push(writerApp);

  const worker = McpWorker.fromConfig(ctx, undefined);
  await worker.start();
  const supervisor = new Supervisor(ctx, writer.memory);
  await supervisor.start();
  const router = new Router(ctx);
  const consumers = [
    await createConsumerApp(ctx, { app: 'mcp-worker', module: McpWorkerModule.forWorker(worker), groupId: worker.groupId(true), topics: worker.topics, ownsContext: false }),
    await createConsumerApp(ctx, { app: 'supervisor', module: SupervisorModule.forSupervisor(supervisor), groupId: `${prefix}-supervisor`, topics: SUPERVISOR_TOPICS, ownsContext: false, transport: supervisor.transport() }),
    await createConsumerApp(ctx, { app: 'router', module: RoutingModule.forRouter(router, { watch: true }), groupId: `${prefix}-router`, topics: router.topics(ctx), transport: { discover: ROUTER_TOPIC_PATTERNS }, ownsContext: false }),
  ];
  for (const app of consumers) {
    await app.startAllMicroservices();
    await app.init();
    apps.push(app);
  }

  // Deliveries to n8n pause (health: degraded) until an n8n answers at n8n.baseUrl.
  const bridge = new N8nBridge(ctx, loadN8nConfig(ctx.config.paths.config, ctx.env));
  await bridge.start();

  // CDC sources, when config/ingest.yaml names any.
  const ingestCfg = loadIngestConfig(ctx.config.paths.config, ctx.env);
  const ingestor = ingestCfg ? new Ingestor(ctx, ingestCfg) : undefined;
  await ingestor?.start();

  const gateway = await createGatewayApp(ctx, { ownsContext: false, memory: async () => writer.memory });
  await listenGateway(gateway, { port: ctx.config.gateway.port, host: ctx.config.gateway.host });
  apps.push(gateway);
  const gatewayUrl = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');

  return {
    gatewayUrl,
    internalUrl: (await writerApp.getUrl()).replace('[::1]', '127.0.0.1'),
    async close() {
      // Every part is stopped even when one fails, so none is left holding a group or a file.
      const step = async (name: string, fn: () => Promise<unknown>) => {
        try {
          await fn();
        } catch (err) {
          ctx.logger.warn({ part: name, err: (err as Error).message }, 'stopping failed; stopping the rest');
        }
      };
      await step('ingest', async () => ingestor?.stop());
      await step('n8n bridge', () => bridge.stop());
      for (const app of apps.reverse()) await step('app', () => app.close());
      await step('context', () => ctx.close());
    },
  };
}
