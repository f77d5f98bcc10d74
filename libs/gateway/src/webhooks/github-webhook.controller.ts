import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { githubRepository, normalizeGithub, secretFor, verifyGithubSignature } from '@phoenix/code';
import { InjectConfig, PhoenixConfig } from '@phoenix/config';
import { CODE_WEBHOOK_HEADERS } from '@phoenix/contracts';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { RawBodyRequest } from '../json-body.middleware';
import { CodeDeliveryPublisher } from './code-delivery.publisher';
import { ApiCodeDelivery } from './code-webhook.docs';
import { jsonDelivery, requiredHeader } from './code-webhook.request';

const H = CODE_WEBHOOK_HEADERS.github;

/**
 * GitHub → Phoenix: `POST /v1/webhooks/github`. Verified by `X-Hub-Signature-256` with the
 * repository's secret (GITHUB_WEBHOOK_SECRETS), made idempotent by `X-GitHub-Delivery`.
 */
@Controller('v1/webhooks')
export class GithubWebhookController {
  constructor(
    private readonly publisher: CodeDeliveryPublisher,
    @InjectConfig() private readonly config: PhoenixConfig,
  ) {}

  @Post('github')
  @HttpCode(201)
  @ApiOperation({ summary: 'Receive a GitHub webhook delivery and publish it as a code.* event (no API key: the repository’s webhook secret signs it)' })
  @ApiHeader({ name: H.event, required: true, schema: { type: 'string', pattern: '^[a-z_]+$' }, description: 'push, pull_request, pull_request_review, workflow_run and release are published; ping is answered' })
  @ApiHeader({ name: H.delivery, required: true, schema: { type: 'string', minLength: 1, maxLength: 200 }, description: 'Unique per delivery, the same on a redelivery: one event per id' })
  @ApiHeader({ name: H.signature256, required: true, schema: { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' }, description: '`sha256=` + hex HMAC-SHA256 of the raw body with the repository’s webhook secret' })
  @ApiCodeDelivery()
  async receive(@Req() req: RawBodyRequest, @Res() res: Response) {
    const event = requiredHeader(req, H.event);
    const deliveryId = requiredHeader(req, H.delivery);
    const { raw, body } = jsonDelivery(req);
    const repository = githubRepository(body);
    const secrets = this.config.codeRepos.github;
    // Hooks of a whole organization ping without a repository: only the provider-wide secret fits.
    const secret = repository ? secretFor(secrets, repository) : secrets.any;
    if (secret === undefined) throw new GatewayError(GatewayErrorCode.Unauthenticated, `no webhook secret is configured for GitHub repository ${repository ?? '(none named)'} (GITHUB_WEBHOOK_SECRETS)`);
    if (!verifyGithubSignature(secret, requiredSignature(req), raw)) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'X-Hub-Signature-256 does not match the body');
    const answer = await this.publisher.deliver('github', deliveryId, raw, normalizeGithub(event, deliveryId, body));
    res.status(answer.status).json(answer.body);
  }
}

function requiredSignature(req: RawBodyRequest): string {
  try {
    return requiredHeader(req, H.signature256);
  } catch {
    throw new GatewayError(GatewayErrorCode.Unauthenticated, 'the delivery is not signed (X-Hub-Signature-256): set a secret on the hook');
  }
}
