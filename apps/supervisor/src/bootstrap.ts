import { createMemoryStore, LazyMemoryReader } from '@phoenix/memory';
import { AppContext, createConsumerApp, runOrExit } from '@phoenix/runtime';
import { Supervisor, SUPERVISOR_TOPICS, SupervisorModule } from '@phoenix/supervisor';

/** Supervisor: plans tasks from `supervisor.tasks`, fans out to MCP workers, publishes outcomes. */
export async function bootstrap(): Promise<void> {
  await runOrExit('supervisor', async () => {
    const ctx = AppContext.create('supervisor');
    // Memory is read before planning and answering: the store the memory-writer fills (memory.yaml).
    const memory = new LazyMemoryReader(() => createMemoryStore(ctx.config, ctx.env, (m) => ctx.logger.info(m)));
    const supervisor = new Supervisor(ctx, memory);
    await supervisor.start();
    const app = await createConsumerApp(ctx, {
      app: 'supervisor',
      module: SupervisorModule.forSupervisor(supervisor),
      groupId: `${ctx.config.instance}-supervisor`,
      topics: SUPERVISOR_TOPICS,
      ownsContext: true,
      transport: supervisor.transport(),
    });
    app.enableShutdownHooks();
    await app.startAllMicroservices();
    await app.listen(ctx.config.health.port, ctx.config.gateway.host);
    ctx.logger.info({ port: ctx.config.health.port }, 'supervisor running');
  });
}
