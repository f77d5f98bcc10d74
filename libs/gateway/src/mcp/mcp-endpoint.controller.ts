import { Controller, Get, Inject, OnModuleDestroy, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { AccessAuditLog, AccessGuard, AuthenticatedRequest, Principal, RequireAccess } from '@phoenix/access';
import { authorizeByActions, createPhoenixMcpServer, PHOENIX_TOOL_ACTIONS, PhoenixViews } from '@phoenix/phoenix-mcp';
import { McpHttpEndpoint } from '@phoenix/mcp-http';
import { ApiErrors, ApiJson, ApiKeyAuth } from '../openapi/api-docs.decorators';
import { jsonRpcRequestSchema } from '../openapi/openapi.schemas';

/**
 * Phoenix as an MCP server over Streamable HTTP at `/mcp`, authenticated like the HTTP API, on
 * MCP 2026-07-28 (stateless requests, `server/discover`) and 2025-11-25 (`initialize` first).
 * Stateless on both: every request gets a fresh server bound to the caller's API key, so any
 * gateway replica can answer any request.
 */
@Controller()
@UseGuards(AccessGuard)
@ApiKeyAuth()
export class McpEndpointController implements OnModuleDestroy {
  private readonly endpoint: McpHttpEndpoint<Principal>;

  constructor(@Inject(PhoenixViews) private readonly views: PhoenixViews) {
    const audit = new AccessAuditLog(views.bus.producer, 'gateway/mcp');
    this.endpoint = new McpHttpEndpoint<Principal>(({ caller }) => {
      // The guard always runs first; without a caller the server can do nothing that needs a scope.
      const principal = caller ?? new Principal('anonymous', { admin: false, publish: [], read: [], memoryRead: [], memoryWrite: false, tasksStart: false, tasksRead: false, dlqRedrive: false });
      return createPhoenixMcpServer(this.views, principal, `mcp/${principal.name}`, audit);
    }, authorizeByActions(PHOENIX_TOOL_ACTIONS));
  }

  onModuleDestroy(): Promise<void> {
    return this.endpoint.close();
  }

  @Post('mcp')
  @ApiOperation({ summary: 'MCP (Streamable HTTP, stateless, JSON answers) on revisions 2026-07-28 (server/discover, per-request _meta) and 2025-11-25 (initialize): tools/list, tools/call' })
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/JsonRpcRequest' } })
  @ApiJson(200, 'The JSON-RPC response (a JSON-RPC error object for unknown methods or bad params)', 'JsonRpcResponse')
  @ApiResponse({ status: 202, description: 'A notification or response was accepted; no body' })
  @ApiResponse({ status: 400, description: 'Not JSON (an `Error`), or not a JSON-RPC request (a JSON-RPC error)', content: { 'application/json': { schema: { anyOf: [{ $ref: '#/components/schemas/JsonRpcResponse' }, { $ref: '#/components/schemas/Error' }] } } } })
  @ApiResponse({ status: 406, description: 'The client accepts neither application/json nor any type', content: { 'application/json': { schema: { $ref: '#/components/schemas/JsonRpcResponse' } } } })
  @ApiErrors(403, 413, 429)
  async post(@Req() req: AuthenticatedRequest, @Res() res: Response): Promise<void> {
    // The document's JSON-RPC shape is enforced here, so the SDK never sees what it would refuse.
    const parsed = jsonRpcRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      res.status(400).json({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `Invalid Request: ${why}` } });
      return;
    }
    acceptJsonAnswers(req);
    await this.endpoint.handle(req, res, req.body, req.principal);
  }

  /** The capability registry, as REST. */
  @Get('v1/capabilities')
  @RequireAccess('tasks:read', 'tasks:start')
  @ApiOperation({ summary: 'The MCP servers and tools Phoenix knows (capability registry)' })
  @ApiResponse({ status: 200, description: 'Every registered server with its tools', content: { 'application/json': { schema: { type: 'object', properties: { servers: { type: 'array', items: { type: 'object' } } }, required: ['servers'] } } } })
  @ApiErrors(403, 429)
  async capabilities() {
    await this.views.start();
    return { servers: this.views.capabilities.values().map((e) => e.payload) };
  }

}

/**
 * This endpoint answers every request with JSON, never a stream, so a client that accepts JSON
 * (or anything) is served even when it does not also list text/event-stream as the SDK's
 * transport insists. The SDK reads the raw header list, so both views are rewritten.
 */
function acceptJsonAnswers(req: AuthenticatedRequest): void {
  const accept = req.headers.accept ?? '';
  if (/text\/event-stream/.test(accept) && /application\/json/.test(accept)) return;
  if (accept && !/application\/json|\*\/\*|application\/\*/.test(accept)) return; // the SDK answers 406
  const both = 'application/json, text/event-stream';
  req.headers.accept = both;
  const raw = req.rawHeaders;
  const at = raw.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'accept');
  if (at >= 0) raw[at + 1] = both;
  else raw.push('Accept', both);
}
