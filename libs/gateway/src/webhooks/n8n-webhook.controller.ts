import { ApiBody, ApiHeader, ApiOperation, ApiResponse } from '@nestjs/swagger';
import { Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { EventProducer } from '@phoenix/bus';
import { envelopeFromInput, EventCodec, eventInputSchema, render, TopicCatalogue, zodViolations } from '@phoenix/contracts';
import { ClaimLog } from '../idempotency/claim-log';
import { N8nConfig, SIGNATURE_HEADERS, SIGNATURE_WINDOW_MS, verify } from '@phoenix/n8n';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { RawBodyRequest } from '../json-body.middleware';
import { ApiErrors } from '../openapi/api-docs.decorators';

export const N8N_CONFIG = Symbol('N8N_CONFIG');

const header = (req: RawBodyRequest, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * n8n → Phoenix: `POST /v1/webhooks/n8n/:flow`. The caller signs `<timestamp>.<raw body>` with the
 * flow's secret (HMAC-SHA256, header X-Phoenix-Signature: sha256=<hex>, X-Phoenix-Timestamp in unix
 * seconds, X-Phoenix-Nonce or Idempotency-Key unique per request). Forged or stale → 401, replayed
 * → 409, oversized → 413, not valid for the target topic → 400; otherwise the event is published
 * and its id returned.
 */
@Controller('v1/webhooks/n8n')
export class N8nWebhookController {
  constructor(
    @Inject(N8N_CONFIG) private readonly cfg: N8nConfig,
    private readonly claims: ClaimLog,
    private readonly producer: EventProducer,
    private readonly catalogue: TopicCatalogue,
    private readonly codec: EventCodec,
  ) {}

  @Post(':flow')
  @HttpCode(201)
  @ApiOperation({ summary: 'Receive a signed n8n webhook and publish it as the flow’s event (no API key: the HMAC signature authenticates)' })
  @ApiHeader({ name: SIGNATURE_HEADERS.signature, required: true, schema: { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' }, description: 'HMAC-SHA256 of `<timestamp>.<raw body>` with the flow secret' })
  @ApiHeader({ name: SIGNATURE_HEADERS.timestamp, required: true, schema: { type: 'string', pattern: '^[0-9]{1,12}$' }, description: 'Unix seconds; within 5 minutes of the gateway clock' })
  @ApiHeader({ name: SIGNATURE_HEADERS.nonce, required: false, schema: { type: 'string', minLength: 1 }, description: 'Unique per request (or send Idempotency-Key); a repeat is answered 409' })
  // swagger's typings know OpenAPI 3.0 (one type per schema); this document is 3.1.
  @ApiBody({ required: true, schema: { type: ['object', 'array'] as unknown as 'object', description: 'Any JSON object or array; the flow’s mapping turns it into the event' } })
  @ApiResponse({ status: 201, description: 'Published', content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, correlationId: { type: 'string' }, topic: { type: 'string' }, partition: { type: 'integer' }, offset: { type: 'string' } }, required: ['id', 'topic', 'partition', 'offset'] } } } })
  @ApiErrors(400, 401, 404, 409, 413, 429, 503)
  async receive(@Param('flow') name: string, @Req() req: RawBodyRequest) {
    const flow = this.cfg.flows.find((f) => f.name === name);
    if (!flow?.inbound) throw new GatewayError(GatewayErrorCode.NotFound, `no inbound n8n flow "${name}"`);
    const raw = req.rawBody ?? Buffer.alloc(0);
    const check = verify(flow.inbound.secret, header(req, SIGNATURE_HEADERS.timestamp), header(req, SIGNATURE_HEADERS.signature), raw);
    if (!check.ok) {
      const why = { missing: 'missing X-Phoenix-Timestamp or X-Phoenix-Signature', stale: 'timestamp outside the 5-minute window', forged: 'signature does not match' }[check.reason];
      throw new GatewayError(GatewayErrorCode.Unauthenticated, `webhook rejected: ${why}`);
    }
    const nonce = header(req, SIGNATURE_HEADERS.nonce) ?? header(req, 'idempotency-key');
    if (!nonce) throw new GatewayError(GatewayErrorCode.BadRequest, 'X-Phoenix-Nonce (or Idempotency-Key) is required');
    // The request is checked before its nonce is claimed, so a bad one leaves no claim behind.
    const context = { body: req.body as unknown, headers: req.headers as unknown };
    const m = flow.inbound.mapping;
    const input = {
      topic: flow.inbound.topic,
      type: flow.inbound.type,
      payload: m.payload !== undefined ? render(m.payload, context) : req.body,
      key: m.key ? (render(m.key, context) as string | null) : undefined,
      correlationId: m.correlationId ? (render(m.correlationId, context) as string | null) ?? undefined : header(req, SIGNATURE_HEADERS.correlationId),
      source: m.source ?? `n8n/${name}`,
    };
    const parsed = eventInputSchema.safeParse(input);
    if (!parsed.success) throw new GatewayError(GatewayErrorCode.BadRequest, 'the request does not map to a valid event', zodViolations(parsed.error));
    const built = envelopeFromInput(parsed.data, `n8n/${name}`);
    const violations = this.codec.validate(flow.inbound.topic, built);
    if (violations.length) throw new GatewayError(GatewayErrorCode.BadRequest, `the request does not match the schema of ${flow.inbound.topic}`, violations);

    // Nonces are claimed on Kafka (gateway.claims), so a replay to another replica is refused too.
    // A request whose publish failed releases its nonce, with its event id, for the retry.
    const claimKey = `nonce:${name}:${nonce}`;
    const claim = await this.claims.claim(claimKey, null, [built.id], 'refuse');
    if (claim.kind !== 'new') throw new GatewayError(GatewayErrorCode.Replayed, 'this request was already received (nonce seen)');
    const eventId = claim.eventIds[0] ?? built.id;
    const envelope = { ...built, id: eventId, correlationId: parsed.data.correlationId ?? eventId };
    let answer: Record<string, unknown>;
    try {
      const receipt = await this.producer.publish(flow.inbound.topic, envelope);
      answer = { id: envelope.id, correlationId: envelope.correlationId, ...receipt };
    } catch (err) {
      this.claims.release(claimKey, claim.claimId, [envelope.id]);
      throw err;
    }
    // Kept past the signature window: a replay later than that is stale anyway.
    this.claims.answer(claimKey, claim.claimId, { status: 201, body: null }, 2 * SIGNATURE_WINDOW_MS);
    return answer;
  }
}
