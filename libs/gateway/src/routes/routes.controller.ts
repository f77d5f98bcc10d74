import { Body, Controller, Get, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import { AccessGuard, AuthenticatedRequest, RequireAccess } from '@phoenix/access';
import { ConfigError } from '@phoenix/config';
import { TopicCatalogue, zodViolations } from '@phoenix/contracts';
import { PhoenixViews } from '@phoenix/phoenix-mcp';
import { compileOverview, dryRun, dryRunRequestSchema, parseRuleText, routesOverview } from '@phoenix/routing';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { EventPublisherService } from '../events/event-publisher.service';
import { ApiErrors, ApiJson, ApiKeyAuth } from '../openapi/api-docs.decorators';

/** The router's rules as the console shows them: every router's status, and dry runs. */
@Controller('v1')
@UseGuards(AccessGuard)
@ApiKeyAuth()
export class RoutesController {
  constructor(
    @Inject(PhoenixViews) private readonly views: PhoenixViews,
    private readonly publisher: EventPublisherService,
    private readonly catalogue: TopicCatalogue,
  ) {}

  @Get('routes')
  @RequireAccess('read')
  @ApiOperation({ summary: 'Active routing rules with hits, emits and errors per rule (summed over live routers), each router, and the last rejected routes file' })
  @ApiJson(200, 'The rules', 'RoutesOverview')
  @ApiErrors(403, 429, 503)
  async list() {
    return routesOverview(await this.statuses());
  }

  @Post('routes/dry-run')
  @HttpCode(200)
  @RequireAccess('read')
  @ApiOperation({ summary: 'What the active rules (or a pasted rule) would do with an event: which match, why the others do not, and the events they would emit. Publishes nothing.' })
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/RouteDryRun' } })
  @ApiJson(200, 'One result per rule', 'RouteDryRunResult')
  @ApiErrors(400, 403, 404, 413, 422, 429, 503)
  async dryRun(@Req() req: AuthenticatedRequest, @Body() body: unknown) {
    const parsed = dryRunRequestSchema.safeParse(body);
    if (!parsed.success) throw new GatewayError(GatewayErrorCode.BadRequest, 'expected {"event": {...}, "rule"?: "...", "replay"?: boolean}', zodViolations(parsed.error));
    const { envelope, dto } = this.publisher.check(parsed.data.event, req.principal, '/event');
    let rules;
    try {
      rules = parsed.data.rule !== undefined ? parseRuleText(parsed.data.rule, this.catalogue) : compileOverview(routesOverview(await this.statuses()));
    } catch (err) {
      if (err instanceof ConfigError) throw new GatewayError(GatewayErrorCode.RuleInvalid, 'the rule is not valid', err.problems.map((message) => ({ path: '/rule', message })));
      throw err;
    }
    return { topic: dto.topic, event: envelope, results: dryRun(rules, dto.topic, envelope, parsed.data.replay ?? false) };
  }

  private async statuses() {
    try {
      return await this.views.routerStatuses();
    } catch (err) {
      throw new GatewayError(GatewayErrorCode.Unavailable, `router status cannot be read: ${(err as Error).message}`);
    }
  }
}
