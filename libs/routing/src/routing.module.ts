import { Controller, DynamicModule, Get, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppContext } from '@phoenix/runtime';
import { RouteTable } from './route-table';
import { RouterController, ROUTER_TOPIC_PATTERNS } from './router.controller';
import { RouterService } from './router.service';

@Controller()
class RoutesController {
  constructor(@Inject(RouteTable) private readonly table: RouteTable) {}

  @Get('routes')
  list() {
    return { ...this.table.status(), file: this.table.file, rules: this.table.active().map((r) => r.config) };
  }
}

class RouteTableShutdown implements OnApplicationShutdown {
  constructor(private readonly table: RouteTable) {}
  onApplicationShutdown(): void {
    this.table.close();
  }
}

/** The router: loads config/routes.yaml (hot-reloaded) and routes the ingress topics. */
export class Router {
  readonly table: RouteTable;
  readonly service: RouterService;

  constructor(ctx: AppContext) {
    const logger = ctx.logger.child({ component: 'router' });
    this.table = new RouteTable(ctx.config.paths.config, ctx.bus.catalogue, logger);
    this.table.load();
    this.service = new RouterService(this.table, ctx.bus.producer, logger, ctx.metrics);
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
    return {
      module: RoutingModule,
      controllers: [RouterController, RoutesController],
      providers: [
        { provide: RouterService, useValue: router.service },
        { provide: RouteTable, useValue: router.table },
        { provide: RouteTableShutdown, useFactory: () => new RouteTableShutdown(router.table) },
      ],
    };
  }
}
