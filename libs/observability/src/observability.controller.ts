import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { inMetricsCluster, scrapeCluster } from './cluster-metrics';
import { HealthRegistry } from './health';
import { PhoenixMetrics } from './metrics';
import { APP_NAME } from './observability.tokens';

/** `/health/live`, `/health/ready` and `/metrics`, served by every app. */
@ApiExcludeController()
@Controller()
export class ObservabilityController {
  constructor(
    private readonly health: HealthRegistry,
    private readonly metrics: PhoenixMetrics,
    @Inject(APP_NAME) private readonly app: string,
  ) {}

  @Get('health/live')
  live() {
    return { status: 'up' };
  }

  @Get('health/ready')
  async ready(@Res() res: Response) {
    const result = await this.health.evaluate();
    res.status(result.ready ? 200 : 503).json({ status: result.ready ? 'up' : 'down', app: this.app, checks: result.checks });
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response) {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    // In a gateway cluster the scrape lands on one worker; it answers for all of them.
    res.send(inMetricsCluster() ? await scrapeCluster() : await this.metrics.registry.metrics());
  }
}
