import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam } from '@nestjs/swagger';
import { AccessAuditLog, AccessGuard, AuthenticatedRequest, RequireAccess } from '@phoenix/access';
import { EventProducer } from '@phoenix/bus';
import { zodViolations } from '@phoenix/contracts';
import { ConsoleFeed, MAX_REDRIVE, redriveRequestSchema } from '@phoenix/console';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { ApiErrors, ApiJson, ApiKeyAuth } from '../openapi/api-docs.decorators';

/**
 * Dead letters per DLQ topic, as the console's feed read them (original bytes, reason headers,
 * where each was first read), and redrive: back to the topic each failed on, marked as redriven.
 */
@Controller('v1')
@UseGuards(AccessGuard)
@ApiKeyAuth()
export class DeadLettersController {
  private readonly audit: AccessAuditLog;

  constructor(
    private readonly feed: ConsoleFeed,
    private readonly producer: EventProducer,
  ) {
    this.audit = new AccessAuditLog(producer, 'gateway/dlq');
  }

  @Get('dlq')
  @RequireAccess('read')
  @ApiOperation({ summary: 'DLQ topics with the dead letters the gateway holds and how many were redriven' })
  @ApiJson(200, 'Per DLQ topic', 'DeadLetterTopics')
  @ApiErrors(403, 429)
  topics(@Req() req: AuthenticatedRequest) {
    this.feed.touch();
    const held = new Map(this.feed.deadLetters.topics().map((t) => [t.topic, t]));
    const dlqs = this.feed.readTopics().filter((t) => t.endsWith('.dlq') && req.principal.mayRead(t));
    return { topics: dlqs.map((topic) => ({ topic, held: held.get(topic)?.held ?? 0, redriven: held.get(topic)?.redriven ?? 0 })) };
  }

  @Get('dlq/:topic')
  @RequireAccess('read')
  @ApiOperation({ summary: "A DLQ topic's dead letters, newest first, with reason headers, original position and redrive state" })
  @ApiParam({ name: 'topic', schema: { type: 'string', maxLength: 249 } })
  @ApiJson(200, 'The dead letters', 'DeadLetters')
  @ApiErrors(403, 404, 429)
  list(@Req() req: AuthenticatedRequest, @Param('topic') topic: string) {
    this.dlqTopic(req, topic);
    return { topic, deadLetters: this.feed.deadLetters.list(topic) };
  }

  @Post('dlq/:topic/redrive')
  @HttpCode(200)
  @RequireAccess('dlq:redrive')
  @ApiOperation({ summary: 'Redrive dead letters (some positions, or all held) to the topic each failed on; each answer names where the copy landed' })
  @ApiParam({ name: 'topic', schema: { type: 'string', maxLength: 249 } })
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/RedriveRequest' } })
  @ApiJson(200, 'One result per dead letter', 'RedriveResults')
  @ApiErrors(400, 403, 404, 413, 429, 503)
  async redrive(@Req() req: AuthenticatedRequest, @Param('topic') topic: string, @Body() body: unknown) {
    this.dlqTopic(req, topic);
    const parsed = redriveRequestSchema.safeParse(body);
    if (!parsed.success) throw new GatewayError(GatewayErrorCode.BadRequest, 'not a valid redrive request', zodViolations(parsed.error));
    const store = this.feed.deadLetters;
    const targets = 'all' in parsed.data ? store.list(topic).filter((d) => !d.redriven).slice(0, MAX_REDRIVE) : parsed.data.positions;
    const results = [];
    for (const t of targets) results.push(await store.redrive(this.producer, topic, t.partition, t.offset));
    const done = results.filter((r) => !('error' in r)).length;
    await this.audit.record(req.principal, { surface: 'rest', action: 'dlq:redrive', operation: 'redrive', outcome: 'allowed', scope: topic, count: done });
    return { topic, redriven: done, failed: results.length - done, results };
  }

  private dlqTopic(req: AuthenticatedRequest, topic: string): void {
    this.feed.touch();
    if (!topic.endsWith('.dlq') || !this.feed.readTopics().includes(topic)) throw new GatewayError(GatewayErrorCode.UnknownTopic, `unknown DLQ topic "${topic}"`);
    if (!req.principal.mayRead(topic)) throw new GatewayError(GatewayErrorCode.Forbidden, `this key may not read "${topic}"`);
  }
}
