import { McpWorker, McpWorkerModule } from '@phoenix/mcp';
import { AppContext, createConsumerApp, runOrExit } from '@phoenix/runtime';

/** MCP worker: executes `mcp.commands.<server>` for the servers in MCP_WORKER_SERVERS (default all). */
export async function bootstrap(): Promise<void> {
  await runOrExit('mcp-worker', async () => {
    const ctx = AppContext.create('mcp-worker');
    const only = ctx.config.mcp.workerServers;
    const worker = McpWorker.fromConfig(ctx, only);
    await worker.start();
    const app = await createConsumerApp(ctx, {
      app: 'mcp-worker',
      module: McpWorkerModule.forWorker(worker),
      groupId: worker.groupId(!only),
      topics: worker.topics,
      ownsContext: true,
    });
    app.enableShutdownHooks();
    await app.startAllMicroservices();
    await app.listen(ctx.config.health.port, ctx.config.gateway.host);
    ctx.logger.info({ servers: worker.servers.map((s) => s.name), port: ctx.config.health.port }, 'mcp worker running');
  });
}
