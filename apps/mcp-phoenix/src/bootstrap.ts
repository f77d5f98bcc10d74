import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { AccessAuditLog, localPrincipal } from '@phoenix/access';
import { createPhoenixMcpServer, PhoenixViews } from '@phoenix/phoenix-mcp';
import { AppContext, runOrExit } from '@phoenix/runtime';

/**
 * Phoenix's own MCP server over stdio, for MCP clients that launch servers as processes (AI
 * coders, desktop agents) and for the workers. Logs go to stderr: stdout carries the protocol.
 */
export async function bootstrap(): Promise<void> {
  await runOrExit('mcp-phoenix', async () => {
    const ctx = AppContext.create('mcp-phoenix', undefined, { logToStderr: true });
    const views = new PhoenixViews(ctx.bus);
    // A local process is trusted like the operator who started it (every scope); its writes are
    // audited as `stdio`. serveStdio answers a 2026-07-28 client (server/discover) and a
    // 2025-11-25 one (initialize) alike.
    const audit = new AccessAuditLog(ctx.bus.producer, 'mcp-stdio');
    const served = serveStdio(() => createPhoenixMcpServer(views, localPrincipal('stdio'), 'mcp-stdio', audit));
    // The task and capability views start with the first tool that reads them, so a short-lived
    // process (a client's server/discover probe) never joins Kafka.
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        // Bounded: the client that started this process is gone or asked it to go.
        setTimeout(() => process.exit(0), 5000).unref();
        await served.close().catch(() => undefined);
        await views.stop().catch(() => undefined);
        await ctx.close().catch(() => undefined);
        process.exit(0);
      })());
    process.stdin.on('end', () => void stop());
    process.stdin.on('close', () => void stop());
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  });
}
