import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { inMetricsCluster, scrapeCluster } from './cluster-metrics';
import { HealthRegistry } from './health';
import { PhoenixMetrics } from './metrics';
import { APP_NAME } from './observability.tokens';

/** `/health/live`, `/health/ready` and `/metrics`, served by every app. */
@Controller()
export class ObservabilityController {
  constructor(
    private readonly health: HealthRegistry,
    private readonly metrics: PhoenixMetrics,
    @Inject(APP_NAME) private readonly app: string,
  ) {}

  @Get('health/live')
  @ApiOperation({ summary: 'The process is up (liveness)' })
  @ApiResponse({ status: 200, description: 'up', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } })
  live() {
    return { status: 'up' };
  }

  @Get('health/ready')
  @ApiOperation({ summary: "The app's dependencies answer (readiness): broker, schema registry, stores" })
  @ApiResponse({ status: 200, description: 'ready', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } })
  @ApiResponse({ status: 503, description: 'a dependency is down; `checks` says which', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } })
  async ready(@Res() res: Response) {
    const result = await this.health.evaluate();
    res.status(result.ready ? 200 : 503).json({ status: result.ready ? 'up' : 'down', app: this.app, checks: result.checks });
  }

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiResponse({ status: 200, description: 'the metrics', content: { 'text/plain': { schema: { type: 'string' } } } })
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response) {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    // In a gateway cluster the scrape lands on one worker; it answers for all of them.
    res.send(inMetricsCluster() ? await scrapeCluster() : await this.metrics.registry.metrics());
  }
}
