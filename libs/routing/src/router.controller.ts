import { Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { BusContext, BusController, OnEvent } from '@phoenix/bus';
import { EventOf } from '@phoenix/contracts';
import { RouterService } from './router.service';

/** The ingress topics the router reads; each routed by the same rule table. */
export const ROUTER_TOPIC_PATTERNS = ['events.*', 'cdc.*'];

@BusController()
export class RouterController {
  constructor(@Inject(RouterService) private readonly router: RouterService) {}

  @OnEvent('events.*')
  async onAppEvent(@Payload() event: EventOf<'events.app'>, @Ctx() ctx: BusContext): Promise<void> {
    await this.router.route(ctx.meta.mainTopic, event, ctx.meta);
  }

  @OnEvent('cdc.*')
  async onChange(@Payload() event: EventOf<'cdc.x.y'>, @Ctx() ctx: BusContext): Promise<void> {
    await this.router.route(ctx.meta.mainTopic, event, ctx.meta);
  }
}
