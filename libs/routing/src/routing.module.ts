import { BeforeApplicationShutdown, Controller, DynamicModule, Get, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppContext } from '@phoenix/runtime';
import { RouterStatusPublisher } from './route-stats';
import { RouteTable } from './route-table';
import { RouterController, ROUTER_TOPIC_PATTERNS } from './router.controller';
import { RouterService } from './router.service';

@Controller()
class RoutesController {
  constructor(@Inject(RouterStatusPublisher) private readonly status: RouterStatusPublisher) {}

  /** This process's rules with hits and errors (the gateway's `/v1/routes` merges every router). */
  @Get('routes')
  list() {
    return this.status.snapshot();
  }
}

class RouterShutdown implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(private readonly router: Router) {}
  // Before the bus closes: the status tombstone still needs the producer.
  async beforeApplicationShutdown(): Promise<void> {
    await this.router.status.stop();
  }
  onApplicationShutdown(): void {
    this.router.table.close();
  }
}

/** The router: loads config/routes.yaml (hot-reloaded) and routes the ingress topics. */
export class Router {
  readonly table: RouteTable;
  readonly service: RouterService;
  readonly status: RouterStatusPublisher;

  constructor(ctx: AppContext) {
    const logger = ctx.logger.child({ component: 'router' });
    this.table = new RouteTable(ctx.config.paths.config, ctx.bus.catalogue, logger);
    this.table.load();
    this.service = new RouterService(this.table, ctx.bus.producer, logger, ctx.metrics);
    this.status = new RouterStatusPublisher(this.table, this.service.stats, ctx.bus.producer, logger);
    ctx.health.register('routes', async () => {
      const s = this.table.status();
      return s.lastError ? { status: 'degraded', detail: `last reload rejected: ${s.lastError.split('\n')[0]}` } : { status: 'up', detail: `${s.routes} rule(s)` };
    });
  }

  /** Every catalogue topic the router consumes. */
  topics(ctx: AppContext): string[] {
    return ROUTER_TOPIC_PATTERNS.flatMap((p) => ctx.bus.catalogue.match(p).map((t) => t.name));
  }
}

@Module({})
export class RoutingModule {
  static forRouter(router: Router, opts: { watch: boolean }): DynamicModule {
    if (opts.watch) router.table.watch();
    router.status.start();
    return {
      module: RoutingModule,
      controllers: [RouterController, RoutesController],
      providers: [
        { provide: RouterService, useValue: router.service },
        { provide: RouterStatusPublisher, useValue: router.status },
        { provide: RouterShutdown, useFactory: () => new RouterShutdown(router) },
      ],
    };
  }
}
