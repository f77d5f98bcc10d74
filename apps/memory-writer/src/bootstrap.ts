import { createMemoryWriter, createSqlAssistant, MemoryWriterModule } from '@phoenix/memory-writer';
import { AppContext, createServiceApp, runOrExit } from '@phoenix/runtime';

/** Memory-writer: every event into the warehouse and Mem0, exactly once. */
export async function bootstrap(): Promise<void> {
  await runOrExit('memory-writer', async () => {
    const ctx = AppContext.create('memory-writer');
    const writer = await createMemoryWriter(ctx);
    const app = await createServiceApp(ctx, { app: 'memory-writer', module: MemoryWriterModule.forWriter(writer, createSqlAssistant(ctx, writer.warehouse)), ownsContext: true });
    app.enableShutdownHooks();
    await writer.start();
    await app.listen(ctx.config.health.port, ctx.config.gateway.host);
    ctx.logger.info({ topics: writer.topics().length, warehouse: writer.warehouse.kind, port: ctx.config.health.port }, 'memory-writer running');
  });
}
