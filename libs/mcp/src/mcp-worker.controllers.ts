import { BadRequestException, Controller, Get, Inject, Query } from '@nestjs/common';
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

  /** `GET /capabilities/probe`: a live `tools/list` on every server of this worker (what `phoenix validate` checks). */
  @Get('capabilities/probe')
  async probe(@Query('timeoutMs') timeoutMs?: string) {
    const ms = timeoutMs === undefined ? 2000 : Number(timeoutMs);
    if (!Number.isInteger(ms) || ms < 100 || ms > 60000) throw new BadRequestException('timeoutMs: a whole number of milliseconds, 100 to 60000');
    return { servers: await Promise.all([...this.worker.connections.values()].map((c) => c.probe(ms))) };
  }
}
