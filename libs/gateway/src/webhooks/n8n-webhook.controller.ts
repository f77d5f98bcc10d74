import { Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { EventProducer } from '@phoenix/bus';
import { ContractError, envelopeFromInput, EventCodec, eventInputSchema, render, TopicCatalogue, zodViolations } from '@phoenix/contracts';
import { N8nConfig, SIGNATURE_HEADERS, SIGNATURE_WINDOW_MS, verify } from '@phoenix/n8n';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { RawBodyRequest } from '../json-body.middleware';

export const N8N_CONFIG = Symbol('N8N_CONFIG');

/** Nonces seen within the signature window: a replayed request is refused. */
class NonceWindow {
  private readonly seen = new Map<string, number>();
  /** True when the nonce is new (and now remembered). */
  claim(nonce: string): boolean {
    const now = Date.now();
    for (const [n, at] of this.seen) {
      if (now - at <= 2 * SIGNATURE_WINDOW_MS) break;
      this.seen.delete(n);
    }
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, now);
    return true;
  }
}

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
  private readonly nonces = new NonceWindow();

  constructor(
    @Inject(N8N_CONFIG) private readonly cfg: N8nConfig,
    private readonly producer: EventProducer,
    private readonly catalogue: TopicCatalogue,
    private readonly codec: EventCodec,
  ) {}

  @Post(':flow')
  @HttpCode(201)
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
    if (!this.nonces.claim(`${name}:${nonce}`)) throw new GatewayError(GatewayErrorCode.Replayed, 'this request was already received (nonce seen)');

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
    const envelope = envelopeFromInput(parsed.data, `n8n/${name}`);
    const violations = this.codec.validate(flow.inbound.topic, envelope);
    if (violations.length) throw new GatewayError(GatewayErrorCode.BadRequest, `the request does not match the schema of ${flow.inbound.topic}`, violations);
    try {
      const receipt = await this.producer.publish(flow.inbound.topic, envelope);
      return { id: envelope.id, correlationId: envelope.correlationId, ...receipt };
    } catch (err) {
      if (err instanceof ContractError) throw err;
      throw err;
    }
  }
}
