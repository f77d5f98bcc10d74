import { Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { BusContext, BusController, OnEvent } from '@phoenix/bus';
import { EventOf, TOPIC_GLOBS } from '@phoenix/contracts';
import { RouterService } from './router.service';

/** The ingress topics the router reads (application events, CDC, code repositories); each routed by the same rule table. */
export const ROUTER_TOPIC_PATTERNS = [TOPIC_GLOBS.events, TOPIC_GLOBS.cdc, TOPIC_GLOBS.code];

@BusController()
export class RouterController {
  constructor(@Inject(RouterService) private readonly router: RouterService) {}

  // route() queues every emitted event before it returns its promise (the producer keeps call
  // order), so the next event can be routed while these wait for the broker: the consumer
  // commits this offset once they are acknowledged.
  @OnEvent(TOPIC_GLOBS.events)
  onAppEvent(@Payload() event: EventOf<'events.app'>, @Ctx() ctx: BusContext): void {
    ctx.meta.defer(this.router.route(ctx.meta.mainTopic, event, ctx.meta));
  }

  @OnEvent(TOPIC_GLOBS.cdc)
  onChange(@Payload() event: EventOf<'cdc.x.y'>, @Ctx() ctx: BusContext): void {
    ctx.meta.defer(this.router.route(ctx.meta.mainTopic, event, ctx.meta));
  }

  @OnEvent(TOPIC_GLOBS.code)
  onCode(@Payload() event: EventOf<'code.pushes'>, @Ctx() ctx: BusContext): void {
    ctx.meta.defer(this.router.route(ctx.meta.mainTopic, event, ctx.meta));
  }
}
