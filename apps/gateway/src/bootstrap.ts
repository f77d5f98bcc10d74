import { AppContext, runOrExit } from '@phoenix/runtime';
import { createGatewayApp, listenGateway } from '@phoenix/gateway';

/** Loads and validates config, then serves the gateway's HTTP API. */
export async function bootstrap(): Promise<void> {
  await runOrExit('gateway', async () => {
    const ctx = AppContext.create('gateway');
    const app = await createGatewayApp(ctx, { ownsContext: true });
    app.enableShutdownHooks();
    await listenGateway(app, ctx.config.gateway.port, ctx.config.gateway.host);
    ctx.logger.info({ url: await app.getUrl() }, 'gateway listening');
  });
}
