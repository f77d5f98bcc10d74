import cluster from 'node:cluster';
import { loadConfig } from '@phoenix/config';
import { createGatewayApp, listenGateway, runGatewayCluster } from '@phoenix/gateway';
import { createLogger } from '@phoenix/observability';
import { AppContext, runOrExit } from '@phoenix/runtime';

/**
 * Loads and validates config, then serves the gateway's HTTP API — in this process, or in
 * `GATEWAY_WORKERS` worker processes sharing the port.
 */
export async function bootstrap(): Promise<void> {
  await runOrExit('gateway', async () => {
    const config = loadConfig();
    const { gateway } = config;
    const edge = gateway.edge.kind === 'haproxy' ? { bin: gateway.edge.bin, listen: { host: gateway.host, port: gateway.port }, maxInFlight: gateway.edge.maxInFlight, queue: gateway.edge.queue, threads: gateway.edge.threads } : undefined;
    if (cluster.isPrimary && (gateway.workers > 1 || edge)) {
      const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: 'phoenix-gateway' });
      logger.info({ workers: gateway.workers, port: gateway.port, edge: gateway.edge.kind }, 'gateway cluster starting');
      await runGatewayCluster(gateway.workers, logger, edge);
      return;
    }
    const ctx = AppContext.create('gateway');
    const app = await createGatewayApp(ctx, { ownsContext: true });
    app.enableShutdownHooks();
    await listenGateway(app, ctx.config.gateway);
    ctx.logger.info({ url: gateway.socket ?? (await app.getUrl()), worker: cluster.isWorker ? cluster.worker?.id : undefined }, 'gateway listening');
  });
}
