import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { gitlabRepository, normalizeGitlab, secretFor, verifyGitlabToken, verifyStandardWebhook } from '@phoenix/code';
import { InjectConfig, PhoenixConfig } from '@phoenix/config';
import { CODE_WEBHOOK_HEADERS } from '@phoenix/contracts';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { RawBodyRequest } from '../json-body.middleware';
import { CodeDeliveryPublisher } from './code-delivery.publisher';
import { ApiCodeDelivery } from './code-webhook.docs';
import { headerOf, jsonDelivery, requiredHeader } from './code-webhook.request';

const H = CODE_WEBHOOK_HEADERS.gitlab;
const WHY = { missing: 'webhook-id, webhook-timestamp and webhook-signature are required (the hook has a signing token)', stale: 'webhook-timestamp is outside the 5-minute window', forged: 'webhook-signature does not match' };

/**
 * GitLab → Phoenix: `POST /v1/webhooks/gitlab`. Verified by the project's secret token
 * (`X-Gitlab-Token`, GITLAB_WEBHOOK_TOKENS) and, where one is configured, its signing token
 * (`webhook-signature`, GITLAB_WEBHOOK_SIGNING_TOKENS); made idempotent by `X-Gitlab-Event-UUID`.
 */
@Controller('v1/webhooks')
export class GitlabWebhookController {
  constructor(
    private readonly publisher: CodeDeliveryPublisher,
    @InjectConfig() private readonly config: PhoenixConfig,
  ) {}

  @Post('gitlab')
  @HttpCode(201)
  @ApiOperation({ summary: 'Receive a GitLab webhook delivery and publish it as a code.* event (no API key: the project’s secret token, and signing token where configured, authenticate it)' })
  @ApiHeader({ name: H.event, required: true, schema: { type: 'string', minLength: 1 }, description: 'Push Hook, Tag Push Hook, Merge Request Hook, Note Hook, Pipeline Hook, Release Hook are published' })
  @ApiHeader({ name: H.eventUuid, required: true, schema: { type: 'string', minLength: 1, maxLength: 200 }, description: 'Unique per event, the same on a redelivery: one event per id' })
  @ApiHeader({ name: H.token, required: false, schema: { type: 'string' }, description: 'The hook’s secret token; required when GITLAB_WEBHOOK_TOKENS has one for the project' })
  @ApiHeader({ name: H.webhookId, required: false, schema: { type: 'string' }, description: 'Signing token (Standard Webhooks): the message id, signed with the timestamp and body' })
  @ApiHeader({ name: H.webhookTimestamp, required: false, schema: { type: 'string', pattern: '^[0-9]{1,12}$' }, description: 'Signing token: unix seconds, within 5 minutes' })
  @ApiHeader({ name: H.webhookSignature, required: false, schema: { type: 'string' }, description: 'Signing token: `v1,` + base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>`' })
  @ApiCodeDelivery()
  async receive(@Req() req: RawBodyRequest, @Res() res: Response) {
    const event = requiredHeader(req, H.event);
    const deliveryId = requiredHeader(req, H.eventUuid);
    const { raw, body } = jsonDelivery(req);
    const project = gitlabRepository(body);
    const { tokens, signingTokens } = this.config.codeRepos.gitlab;
    const token = project ? secretFor(tokens, project) : tokens.any;
    const signing = project ? secretFor(signingTokens, project) : signingTokens.any;
    if (token === undefined && signing === undefined) throw new GatewayError(GatewayErrorCode.Unauthenticated, `no webhook token is configured for GitLab project ${project ?? '(none named)'} (GITLAB_WEBHOOK_TOKENS, GITLAB_WEBHOOK_SIGNING_TOKENS)`);
    if (token !== undefined && !verifyGitlabToken(token, headerOf(req, H.token))) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'X-Gitlab-Token does not match the project’s secret token');
    if (signing !== undefined) {
      const check = verifyStandardWebhook(signing, headerOf(req, H.webhookId), headerOf(req, H.webhookTimestamp), headerOf(req, H.webhookSignature), raw);
      if (!check.ok) throw new GatewayError(GatewayErrorCode.Unauthenticated, WHY[check.reason]);
    }
    const answer = await this.publisher.deliver('gitlab', deliveryId, raw, normalizeGitlab(event, deliveryId, body));
    res.status(answer.status).json(answer.body);
  }
}
