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
    if (cluster.isPrimary && config.gateway.workers > 1) {
      const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: 'phoenix-gateway' });
      logger.info({ workers: config.gateway.workers, port: config.gateway.port }, 'gateway cluster starting');
      await runGatewayCluster(config.gateway.workers, logger);
      return;
    }
    const ctx = AppContext.create('gateway');
    const app = await createGatewayApp(ctx, { ownsContext: true });
    app.enableShutdownHooks();
    await listenGateway(app, ctx.config.gateway.port, ctx.config.gateway.host);
    ctx.logger.info({ url: await app.getUrl(), worker: cluster.isWorker ? cluster.worker?.id : undefined }, 'gateway listening');
  });
}
