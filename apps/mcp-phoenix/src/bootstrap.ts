import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
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
    // A local process is trusted like the operator who started it: all topics.
    const server = createPhoenixMcpServer(views, { key: 'stdio', scopes: ['*'] }, 'mcp-stdio');
    await server.connect(new StdioServerTransport());
    void views.start().catch((err) => ctx.logger.error({ err: (err as Error).message }, 'task and capability views unavailable'));
    const stop = async () => {
      await server.close();
      await views.stop();
      await ctx.close();
      process.exit(0);
    };
    process.stdin.on('end', () => void stop());
    process.once('SIGTERM', () => void stop());
  });
}
