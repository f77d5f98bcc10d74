import { Body, Controller, Get, Headers, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { newEventId, publishBatchSchema, TopicCatalogue, zodViolations } from '@phoenix/contracts';
import { InjectConfig, PhoenixConfig } from '@phoenix/config';
import { AccessGuard, AuthenticatedRequest, RequireAccess } from '@phoenix/access';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { mapError } from '../errors/error-response';
import { ClaimLog } from '../idempotency/claim-log';
import { StoredResponse } from '../idempotency/claim-state';
import { EventPublisherService } from './event-publisher.service';
import { ApiErrors, ApiIdempotencyKey, ApiJson, ApiKeyAuth } from '../openapi/api-docs.decorators';

@Controller('v1')
@UseGuards(AccessGuard)
@ApiKeyAuth()
export class EventsController {
  constructor(
    private readonly publisher: EventPublisherService,
    private readonly claims: ClaimLog,
    private readonly catalogue: TopicCatalogue,
    @InjectConfig() private readonly config: PhoenixConfig,
  ) {}

  @Post('events')
  @RequireAccess('publish')
  @ApiOperation({ summary: 'Publish one event' })
  @ApiIdempotencyKey()
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/PublishEvent' } })
  @ApiJson(201, 'Acknowledged by the broker', 'PublishResult')
  @ApiErrors(400, 403, 404, 413, 422, 429, 503)
  async publishOne(@Req() req: AuthenticatedRequest, @Body() body: unknown, @Headers('idempotency-key') key: string | undefined, @Res() res: Response) {
    const answer = await this.idempotent(req, key, body, async (ids) => {
      try {
        const published = await this.publisher.publish(body, req.principal, ids[0]);
        return { status: 201, body: published };
      } catch (err) {
        return toStored(err);
      }
    }, 1);
    this.send(res, answer);
  }

  @Post('events/batch')
  @RequireAccess('publish')
  @ApiOperation({ summary: 'Publish many events; each gets its own result' })
  @ApiIdempotencyKey()
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/PublishBatch' } })
  @ApiJson(200, 'All events acknowledged', 'BatchResult')
  @ApiJson(207, 'Some events failed; see `results[i].status` and `results[i].error`', 'BatchResult')
  @ApiErrors(400, 403, 413, 422, 429)
  async publishBatch(@Req() req: AuthenticatedRequest, @Body() body: unknown, @Headers('idempotency-key') key: string | undefined, @Res() res: Response) {
    const parsed = publishBatchSchema.safeParse(body);
    if (!parsed.success) throw new GatewayError(GatewayErrorCode.BadRequest, 'expected {"events": [...]}', zodViolations(parsed.error));
    const { events } = parsed.data;
    if (events.length > this.config.gateway.batchMaxEvents) {
      throw new GatewayError(GatewayErrorCode.PayloadTooLarge, `a batch holds at most ${this.config.gateway.batchMaxEvents} events (got ${events.length})`);
    }
    const answer = await this.idempotent(req, key, body, async (ids) => {
      const results = await this.publisher.publishBatch(events, req.principal, ids);
      const failed = results.filter((r) => r.status >= 300).length;
      return { status: failed === 0 ? 200 : 207, body: { accepted: results.length - failed, failed, results } };
    }, events.length);
    this.send(res, answer);
  }

  @Get('topics')
  @RequireAccess('publish', 'read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Topics in the catalogue' })
  @ApiJson(200, 'The catalogue', 'Topics')
  @ApiErrors(403, 429)
  topics() {
    return {
      topics: this.catalogue.topics().map((t) => ({ name: t.name, family: t.family, partitions: t.partitions, description: t.description })),
    };
  }

  private async idempotent(
    req: AuthenticatedRequest,
    key: string | undefined,
    body: unknown,
    work: (eventIds: string[]) => Promise<StoredResponse>,
    count: number,
  ): Promise<StoredResponse & { replayed?: boolean }> {
    const fresh = (reuse: string[]) => Array.from({ length: count }, (_, i) => reuse[i] ?? newEventId());
    if (!key) return work(fresh([]));
    if (key.length > 255) throw new GatewayError(GatewayErrorCode.BadRequest, 'Idempotency-Key is longer than 255 characters');
    // Keys are scoped to the API key, so two clients cannot collide. Decided on Kafka
    // (gateway.claims), so a retry reaching another replica gets the same first answer.
    const scopedKey = `idem:${req.principal.name}:${key}`;
    const fingerprint = ClaimLog.fingerprint(`${req.method} ${req.path}`, body);
    const claim = await this.claims.claim(scopedKey, fingerprint, fresh([]), 'wait');
    if (claim.kind === 'mismatch') {
      throw new GatewayError(GatewayErrorCode.IdempotencyKeyReused, 'this Idempotency-Key was used with a different request body');
    }
    if (claim.kind === 'replay') return { ...claim.response, replayed: true };
    if (claim.kind === 'taken') throw new GatewayError(GatewayErrorCode.Replayed, 'this Idempotency-Key is in use');
    const ids = fresh(claim.eventIds);
    let response: StoredResponse;
    try {
      response = await work(ids);
    } catch (err) {
      this.claims.release(scopedKey, claim.claimId, ids);
      throw err;
    }
    // Only answers the client should see again are kept: success and permanent rejections.
    if (response.status < 500) this.claims.answer(scopedKey, claim.claimId, response, this.config.gateway.idempotencyTtlMs);
    else this.claims.release(scopedKey, claim.claimId, ids);
    return response;
  }

  private send(res: Response, answer: StoredResponse & { replayed?: boolean }): void {
    if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
    if (answer.status === 503) res.setHeader('Retry-After', '5');
    res.status(answer.status).json(answer.body);
  }
}

function toStored(err: unknown): StoredResponse {
  const mapped = mapError(err);
  return { status: mapped.status, body: mapped.body };
}
