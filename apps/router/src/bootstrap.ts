import { Router, ROUTER_TOPIC_PATTERNS, RoutingModule } from '@phoenix/routing';
import { AppContext, createConsumerApp, runOrExit } from '@phoenix/runtime';

/** Router: routes the ingress topics by config/routes.yaml (hot-reloaded). */
export async function bootstrap(): Promise<void> {
  await runOrExit('router', async () => {
    const ctx = AppContext.create('router');
    const router = new Router(ctx);
    const app = await createConsumerApp(ctx, {
      app: 'router',
      module: RoutingModule.forRouter(router, { watch: true }),
      groupId: `${ctx.config.instance}-router`,
      topics: router.topics(ctx),
      // New events.* / cdc.* topics (e.g. a CDC source applied with `phoenix topics apply`) are routed without a restart.
      transport: { discover: ROUTER_TOPIC_PATTERNS },
      ownsContext: true,
    });
    app.enableShutdownHooks();
    await app.startAllMicroservices();
    await app.listen(ctx.config.health.port, ctx.config.gateway.host);
    ctx.logger.info({ rules: router.table.active().length, port: ctx.config.health.port }, 'router running');
  });
}
