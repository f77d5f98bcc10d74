import { INestApplication, INestMicroservice } from '@nestjs/common';
import { AppContext } from '@phoenix/runtime';
import { createGatewayApp } from '@phoenix/gateway';

export interface StandaloneHost {
  gatewayUrl: string;
  close(): Promise<void>;
}

/**
 * Runs every app on one shared context (one producer, one metrics registry). Each app keeps
 * its own entry point for k8s; this is the laptop/CI shape of the same code.
 */
export async function startAllApps(ctx: AppContext): Promise<StandaloneHost> {
  const results = await ctx.bus.admin.apply();
  const created = results.filter((r) => r.action !== 'unchanged');
  if (created.length) ctx.logger.info({ topics: created.map((r) => `${r.topic}:${r.action}`) }, 'topic catalogue applied');
  await ctx.bus.codec.prepare(ctx.bus.catalogue.topics().map((t) => t.name));

  const apps: (INestApplication | INestMicroservice)[] = [];
  const gateway = await createGatewayApp(ctx, { ownsContext: false });
  await gateway.listen(ctx.config.gateway.port, ctx.config.gateway.host);
  apps.push(gateway);
  const gatewayUrl = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');

  return {
    gatewayUrl,
    async close() {
      for (const app of apps.reverse()) await app.close();
      await ctx.close();
    },
  };
}
