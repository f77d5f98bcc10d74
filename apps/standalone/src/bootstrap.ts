import { AppContext, runOrExit } from '@phoenix/runtime';
import { ensureLocalStack } from '@phoenix/stack';
import { LOCAL_DEV_API_KEY } from '@phoenix/config';
import { startAllApps } from './standalone.host';
import { TOPICS } from '@phoenix/contracts';

/**
 * `npm start`: brings the local stack up (unless PHOENIX_STACK=off), applies the topic
 * catalogue, and runs every Phoenix app in this one process.
 */
export async function bootstrap(): Promise<void> {
  await runOrExit('standalone', async () => {
    const env = await ensureLocalStack((m) => process.stderr.write(`[stack] ${m}\n`));
    const ctx = AppContext.create('standalone', env);
    const host = await startAllApps(ctx);
    const base = host.gatewayUrl;
    const key = ctx.config.gateway.apiKeys[0]?.name === 'local-dev' ? LOCAL_DEV_API_KEY : '<your API key>';
    process.stdout.write(
      [
        '',
        'Phoenix is running.',
        `  console   ${base}/console/   (sign in with the API key below)`,
        `  gateway   ${base}   (OpenAPI ${base}/openapi.json)`,
        `  health    ${base}/health/ready   metrics ${base}/metrics`,
        `  MCP       ${base}/mcp (Phoenix)   ${host.internalUrl}/mcp/memory   ${host.internalUrl}/mcp/warehouse`,
        '',
        'Try it:',
        `  curl -s -X POST ${base}/v1/events -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' \\`,
        `    -d '{"topic":"${TOPICS.eventsApp}","type":"deal.updated","key":"deal-42","payload":{"stage":"closed-won","amount":1200}}'`,
        `  npx phoenix tail ${TOPICS.eventsApp} --from-beginning`,
        '',
      ].join('\n'),
    );
    const shutdown = async (signal: string) => {
      ctx.logger.info({ signal }, 'shutting down');
      try {
        await host.close();
      } catch (err) {
        ctx.logger.error({ err: (err as Error).message }, 'shutdown failed');
        process.stderr.write(`Phoenix shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      }
      // What a user (and the quickstart spec) reads as a clean stop: every app closed.
      process.stdout.write('Phoenix stopped.\n');
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
  });
}
