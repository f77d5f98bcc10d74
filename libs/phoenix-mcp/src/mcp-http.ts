import { createMcpHandler, isLegacyRequest, McpHttpHandler, McpServer } from '@modelcontextprotocol/server';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The MCP revisions Phoenix's HTTP endpoints serve, newest first. */
export const MCP_PROTOCOL_REVISIONS = ['2026-07-28', '2025-11-25'] as const;

/** Who is calling, as the server factory sees it (the gateway passes its API-key grant). */
export type McpCaller<T> = { era: 'legacy' | 'modern'; caller?: T };

/**
 * One stateless Streamable HTTP MCP endpoint that serves both protocol eras from one factory:
 *
 * - 2026-07-28 requests (per-request `_meta` envelope, `server/discover`) go to the SDK's
 *   `createMcpHandler`, answered as single JSON bodies (its `auto` mode streams only when a tool
 *   sends notifications before its result, which Phoenix's tools do not);
 * - 2025-era requests (the `initialize` handshake, then claim-less calls) get a fresh server on
 *   a session-less transport that also answers with JSON, so one request = one JSON answer on
 *   both eras and any replica can serve any request.
 *
 * `caller` travels as the request's pass-through auth info, so tools can be bound to a grant.
 */
export class McpHttpEndpoint<T = never> {
  private readonly modern: McpHttpHandler;
  private readonly serveModern: ReturnType<typeof toNodeHandler>;

  constructor(private readonly factory: (ctx: McpCaller<T>) => McpServer) {
    this.modern = createMcpHandler((rctx) => factory({ era: 'modern', caller: rctx.authInfo?.extra?.caller as T | undefined }), { legacy: 'reject' });
    this.serveModern = toNodeHandler(this.modern);
  }

  /** Serves one POST whose body a JSON parser has already read. */
  async handle(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body: unknown, caller?: T): Promise<void> {
    if (await isLegacyRequest(await toWebRequest(req, body), body)) return this.serveLegacy(req, res, body, caller);
    if (caller !== undefined) req.auth = { token: '', clientId: 'phoenix', scopes: [], extra: { caller } };
    await this.serveModern(req, res, body);
  }

  private async serveLegacy(req: IncomingMessage, res: ServerResponse, body: unknown, caller?: T): Promise<void> {
    const server = this.factory({ era: 'legacy', caller });
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  close(): Promise<void> {
    return this.modern.close();
  }
}
