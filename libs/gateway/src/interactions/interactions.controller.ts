import { Body, Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { EventProducer } from '@phoenix/bus';
import { EventCodec, InteractionKind, interactionEvent, interactionIds, zodViolations } from '@phoenix/contracts';
import { ApiKeyGuard, AuthenticatedRequest, grantAllows } from '../auth/api-key.guard';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';

const KINDS: InteractionKind[] = ['chat', 'actions', 'feedback'];

/**
 * `POST /v1/interactions/{chat|actions|feedback}`: typed user interactions. Feedback refers to the
 * `responseId` of the assistant message it rates (and may carry its correlation id), so datasets
 * and memory can join them.
 */
@Controller('v1/interactions')
@UseGuards(ApiKeyGuard)
export class InteractionsController {
  constructor(
    private readonly producer: EventProducer,
    private readonly codec: EventCodec,
  ) {}

  @Post(':kind')
  @HttpCode(201)
  async record(@Param('kind') kind: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    if (!KINDS.includes(kind as InteractionKind)) throw new GatewayError(GatewayErrorCode.NotFound, `no interaction kind "${kind}" (chat, actions, feedback)`);
    let built: ReturnType<typeof interactionEvent>;
    try {
      built = interactionEvent(kind as InteractionKind, body, `gateway/${req.grant.name}`);
    } catch (err) {
      if (err instanceof z.ZodError) throw new GatewayError(GatewayErrorCode.BadRequest, `not a valid ${kind} interaction`, zodViolations(err));
      throw err;
    }
    if (!grantAllows(req.grant, built.topic)) throw new GatewayError(GatewayErrorCode.Forbidden, `this API key may not publish to ${built.topic}`);
    const violations = this.codec.validate(built.topic, built.event);
    if (violations.length) throw new GatewayError(GatewayErrorCode.BadRequest, `not valid for ${built.topic}`, violations);
    const receipt = await this.producer.publish(built.topic, built.event);
    return { ...interactionIds(built.event), ...receipt };
  }
}
