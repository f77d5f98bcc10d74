import { applyDecorators, Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import { z } from 'zod';
import { EventProducer } from '@phoenix/bus';
import { EventCodec, InteractionKind, interactionEvent, interactionIds, zodViolations } from '@phoenix/contracts';
import { AccessGuard, AuthenticatedRequest, effectiveUserId, RequireAccess } from '@phoenix/access';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { ApiErrors, ApiJson, ApiKeyAuth } from '../openapi/api-docs.decorators';

/** What every interaction route answers. */
const InteractionAnswers = () => applyDecorators(ApiJson(201, 'Published; the ids to refer to it by', 'InteractionReceipt'), ApiErrors(400, 403, 413, 429, 503));

/**
 * `POST /v1/interactions/{chat|actions|feedback}`: typed user interactions. Feedback refers to the
 * `responseId` of the assistant message it rates (and may carry its correlation id), so datasets
 * and memory can join them.
 */
@Controller('v1/interactions')
@UseGuards(AccessGuard)
@RequireAccess('publish')
@ApiKeyAuth()
export class InteractionsController {
  constructor(
    private readonly producer: EventProducer,
    private readonly codec: EventCodec,
  ) {}

  @Post('chat')
  @HttpCode(201)
  @ApiOperation({ summary: 'Record a chat message (user, assistant, system or tool)' })
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/ChatInput' } })
  @InteractionAnswers()
  chat(@Body() body: unknown, @Req() req: AuthenticatedRequest) {
    return this.record('chat', body, req);
  }

  @Post('actions')
  @HttpCode(201)
  @ApiOperation({ summary: 'Record a UI action' })
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/ActionInput' } })
  @InteractionAnswers()
  actions(@Body() body: unknown, @Req() req: AuthenticatedRequest) {
    return this.record('actions', body, req);
  }

  @Post('feedback')
  @HttpCode(201)
  @ApiOperation({ summary: 'Record feedback on an assistant response (by its responseId)' })
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/FeedbackInput' } })
  @InteractionAnswers()
  feedback(@Body() body: unknown, @Req() req: AuthenticatedRequest) {
    return this.record('feedback', body, req);
  }

  private async record(kind: InteractionKind, body: unknown, req: AuthenticatedRequest) {
    let built: ReturnType<typeof interactionEvent>;
    try {
      built = interactionEvent(kind, body, `gateway/${req.principal.name}`);
    } catch (err) {
      if (err instanceof z.ZodError) throw new GatewayError(GatewayErrorCode.BadRequest, `not a valid ${kind} interaction`, zodViolations(err));
      throw err;
    }
    if (!req.principal.mayPublish(built.topic)) throw new GatewayError(GatewayErrorCode.Forbidden, `this API key may not publish to ${built.topic}`);
    // A key bound to a user records that user's interactions only (its own id when none is given).
    const payload = built.event.payload as { userId: string | null };
    payload.userId = effectiveUserId(req.principal, payload.userId) ?? null;
    built.event.tenant = req.principal.tenant ?? null;
    const violations = this.codec.validate(built.topic, built.event);
    if (violations.length) throw new GatewayError(GatewayErrorCode.BadRequest, `not valid for ${built.topic}`, violations);
    const receipt = await this.producer.publish(built.topic, built.event);
    return { ...interactionIds(built.event), ...receipt };
  }
}
