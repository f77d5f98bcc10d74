import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventProducer } from '@phoenix/bus';
import { CodeDelivery } from '@phoenix/code';
import { InjectConfig, PhoenixConfig } from '@phoenix/config';
import { CodeEvent, CodeProvider, createEnvelope, EventCodec } from '@phoenix/contracts';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { ClaimLog } from '../idempotency/claim-log';

/** What a verified delivery is answered with; the status is the HTTP status. */
export type CodeDeliveryAnswer =
  | { status: 201; body: { outcome: 'published'; deliveryId: string; id: string; topic: string; partition: number; offset: string } }
  | { status: 200; body: { outcome: 'duplicate'; deliveryId: string; id: string | null; topic: string | null } }
  | { status: 200; body: { outcome: 'ping'; deliveryId: string; detail: string } }
  | { status: 202; body: { outcome: 'ignored'; deliveryId: string; detail: string } };

type Receipt = { id: string; topic: string; partition: number; offset: string };

/**
 * Publishes a verified code host delivery once, whichever gateway replica receives it and however
 * often the host sends it: the delivery id is claimed on `gateway.claims` (the log that decides
 * Idempotency-Keys and n8n nonces), so a redelivery — the host retrying, or someone replaying a
 * captured request — is answered 200 `duplicate` with the first event's id and publishes nothing.
 * A 2xx keeps hosts from counting a redelivery as a failure (GitLab disables hooks that keep
 * failing). While the first attempt is still publishing, a second one waits for its answer; if the
 * first fails, the second publishes under the same event id.
 */
@Injectable()
export class CodeDeliveryPublisher {
  constructor(
    private readonly claims: ClaimLog,
    private readonly producer: EventProducer,
    private readonly codec: EventCodec,
    @InjectConfig() private readonly config: PhoenixConfig,
  ) {}

  async deliver(provider: CodeProvider, deliveryId: string, rawBody: Buffer, delivery: CodeDelivery): Promise<CodeDeliveryAnswer> {
    if (delivery.kind === 'ping') return { status: 200, body: { outcome: 'ping', deliveryId, detail: delivery.detail } };
    if (delivery.kind === 'ignored') return { status: 202, body: { outcome: 'ignored', deliveryId, detail: delivery.detail } };

    const built = createEnvelope<CodeEvent>({ type: delivery.type, source: provider, key: delivery.key, occurredAt: delivery.occurredAt ?? undefined, payload: delivery.event });
    const violations = this.codec.validate(delivery.topic, built);
    if (violations.length) throw new GatewayError(GatewayErrorCode.BadRequest, `the delivery does not make a valid ${delivery.topic} event`, violations);

    const key = `delivery:${provider}:${deliveryId}`;
    // Same id, same bytes: a redelivery. Same id, other bytes: not the host's (409).
    const fingerprint = ClaimLog.fingerprint(key, createHash('sha256').update(rawBody).digest('hex'));
    const claim = await this.claims.claim(key, fingerprint, [built.id], 'wait');
    if (claim.kind === 'mismatch') throw new GatewayError(GatewayErrorCode.Replayed, `delivery ${deliveryId} was already received with another body`);
    if (claim.kind === 'replay' || claim.kind === 'taken') {
      const first = claim.kind === 'replay' ? (claim.response.body as Receipt | null) : null;
      return { status: 200, body: { outcome: 'duplicate', deliveryId, id: first?.id ?? null, topic: first?.topic ?? null } };
    }
    const envelope = { ...built, id: claim.eventIds[0] ?? built.id, correlationId: claim.eventIds[0] ?? built.id };
    let receipt: Receipt;
    try {
      const r = await this.producer.publish(delivery.topic, envelope);
      receipt = { id: envelope.id, topic: r.topic, partition: r.partition, offset: r.offset };
    } catch (err) {
      this.claims.release(key, claim.claimId, [envelope.id]);
      throw err;
    }
    this.claims.answer(key, claim.claimId, { status: 201, body: receipt }, this.config.gateway.idempotencyTtlMs);
    return { status: 201, body: { outcome: 'published', deliveryId, ...receipt } };
  }
}
