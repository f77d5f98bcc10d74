import { createMcpHandler, isLegacyRequest, McpHttpHandler, McpServer, Server } from '@modelcontextprotocol/server';
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

  /**
   * `authorize` sees every `tools/call` before any server runs it: a reason refuses the whole
   * request with HTTP 403 (`insufficient_scope`, as MCP's authorization spec answers a token
   * that lacks a scope) and a JSON-RPC error naming the tool.
   */
  constructor(
    private readonly factory: (ctx: McpCaller<T>) => McpServer | Server,
    private readonly authorize?: (tool: string, caller: T | undefined) => string | null,
  ) {
    this.modern = createMcpHandler((rctx) => factory({ era: 'modern', caller: rctx.authInfo?.extra?.caller as T | undefined }), { legacy: 'reject' });
    this.serveModern = toNodeHandler(this.modern);
  }

  /** Serves one POST whose body a JSON parser has already read. */
  async handle(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body: unknown, caller?: T): Promise<void> {
    if (this.authorize) {
      for (const call of toolCalls(body)) {
        const reason = this.authorize(call.name, caller);
        if (reason === null) continue;
        const answer = JSON.stringify({ jsonrpc: '2.0', id: call.id, error: { code: -32003, message: `forbidden: ${reason}` } });
        res.writeHead(403, { 'content-type': 'application/json', 'www-authenticate': `Bearer error="insufficient_scope", error_description="${reason.replace(/"/g, "'")}"` });
        res.end(answer);
        return;
      }
    }
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

/** The `tools/call` requests in a JSON-RPC body (one request or a batch). */
function toolCalls(body: unknown): { id: unknown; name: string }[] {
  const items = Array.isArray(body) ? body : [body];
  const out: { id: unknown; name: string }[] = [];
  for (const m of items) {
    const r = m as { method?: unknown; id?: unknown; params?: { name?: unknown } } | null;
    if (r && r.method === 'tools/call') out.push({ id: r.id ?? null, name: typeof r.params?.name === 'string' ? r.params.name : '' });
  }
  return out;
}
