import { Module } from '@nestjs/common';
import { loadN8nConfig, N8nBridge } from '@phoenix/n8n';
import { AppContext, createServiceApp, runOrExit } from '@phoenix/runtime';

@Module({})
class N8nBridgeModule {}

/** n8n-bridge: delivers n8n.outbound.<flow> to n8n's production webhooks, commit on 2xx. */
export async function bootstrap(): Promise<void> {
  await runOrExit('n8n-bridge', async () => {
    const ctx = AppContext.create('n8n-bridge');
    const bridge = new N8nBridge(ctx, loadN8nConfig(ctx.config.paths.config, ctx.env));
    const app = await createServiceApp(ctx, { app: 'n8n-bridge', module: { module: N8nBridgeModule }, ownsContext: true });
    app.enableShutdownHooks();
    await bridge.start();
    await app.listen(ctx.config.health.port, ctx.config.gateway.host);
    ctx.logger.info({ topics: bridge.topics(), port: ctx.config.health.port }, 'n8n bridge running');
    process.once('SIGTERM', () => void bridge.stop());
  });
}
