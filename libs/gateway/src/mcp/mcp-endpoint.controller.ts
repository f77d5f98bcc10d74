import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Response } from 'express';
import { createPhoenixMcpServer, PhoenixViews } from '@phoenix/phoenix-mcp';
import { TaskRuntime, toOutcome } from '@phoenix/supervisor';
import { ApiKeyGuard, AuthenticatedRequest } from '../auth/api-key.guard';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';

/**
 * Phoenix as an MCP server over Streamable HTTP at `/mcp`, authenticated like the HTTP API.
 * Stateless: every request gets a fresh server bound to the caller's API key, so any gateway
 * replica can answer any request.
 */
@Controller()
@UseGuards(ApiKeyGuard)
export class McpEndpointController {
  constructor(@Inject(PhoenixViews) private readonly views: PhoenixViews) {}

  @Post('mcp')
  async post(@Req() req: AuthenticatedRequest, @Res() res: Response): Promise<void> {
    await this.views.start();
    const server = createPhoenixMcpServer(this.views, req.grant, `mcp/${req.grant.name}`);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  @Get('mcp')
  @HttpCode(405)
  streamNotOffered() {
    return { error: { code: 'METHOD_NOT_ALLOWED', message: 'this MCP endpoint is stateless: POST JSON-RPC requests' } };
  }

  @Delete('mcp')
  @HttpCode(405)
  noSessions() {
    return { error: { code: 'METHOD_NOT_ALLOWED', message: 'this MCP endpoint keeps no sessions' } };
  }

  /** The capability registry, as REST. */
  @Get('v1/capabilities')
  async capabilities() {
    await this.views.start();
    return { servers: this.views.capabilities.values().map((e) => e.payload) };
  }

  /** A supervisor task's status and step results, as REST. */
  @Get('v1/tasks/:taskId')
  async task(@Param('taskId') taskId: string) {
    await this.views.start();
    const state = this.views.tasks.get(taskId)?.payload.state as unknown as TaskRuntime | undefined;
    if (!state) throw new GatewayError(GatewayErrorCode.NotFound, `no task ${taskId}`);
    return toOutcome(state, null);
  }
}
