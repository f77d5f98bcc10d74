import { Module } from '@nestjs/common';
import { Ingestor, loadIngestConfig } from '@phoenix/cdc';
import { AppContext, createServiceApp, runOrExit } from '@phoenix/runtime';

@Module({})
class IngestModule {}

/** CDC ingest: Estuary / Debezium change streams → canonical events on cdc.<system>.<entity>. */
export async function bootstrap(): Promise<void> {
  await runOrExit('ingest', async () => {
    const ctx = AppContext.create('ingest');
    const cfg = loadIngestConfig(ctx.config.paths.config, ctx.env);
    if (!cfg) throw new Error('config/ingest.yaml is missing: it names the source cluster and its change streams');
    const ingestor = new Ingestor(ctx, cfg);
    const app = await createServiceApp(ctx, { app: 'ingest', module: { module: IngestModule }, ownsContext: true });
    app.enableShutdownHooks();
    await ingestor.start();
    await app.listen(ctx.config.health.port, ctx.config.gateway.host);
    ctx.logger.info({ streams: cfg.streams.length, targets: ingestor.targets() }, 'ingest running');
    process.once('SIGTERM', () => void ingestor.stop());
  });
}
