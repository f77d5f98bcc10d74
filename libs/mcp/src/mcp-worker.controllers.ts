import { Controller, Get, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { BusContext, BusController, OnEvent } from '@phoenix/bus';
import { EventOf, TOPIC_GLOBS } from '@phoenix/contracts';
import { McpWorker } from './mcp-worker';

/** Executes tool calls from `mcp.commands.<server>`. */
@BusController()
export class McpCommandsController {
  constructor(@Inject(McpWorker) private readonly worker: McpWorker) {}

  @OnEvent(TOPIC_GLOBS.mcpCommands)
  async onCommand(@Payload() command: EventOf<'mcp.commands.x'>, @Ctx() ctx: BusContext): Promise<void> {
    // The tool call is awaited (calls keep command order); its result's acknowledgement is deferred.
    await this.worker.executor.execute(command, { replay: ctx.meta.replay, defer: (e) => ctx.meta.defer(e) });
  }
}

/** `GET /capabilities`: this worker's servers and their tools. */
@Controller()
export class CapabilitiesController {
  constructor(@Inject(McpWorker) private readonly worker: McpWorker) {}

  @Get('capabilities')
  list() {
    return { servers: this.worker.capabilities.list() };
  }
}
