import { Injectable } from '@nestjs/common';
import { EventProducer } from '@phoenix/bus';
import { Envelope, envelopeFromInput, EventCodec, EventInput, eventInputSchema, TopicCatalogue, Violation, zodViolations } from '@phoenix/contracts';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { mapError } from '../errors/error-response';
import { Principal } from '@phoenix/access';

export interface PublishedEvent {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  correlationId: string;
}

export interface BatchItemResult {
  index: number;
  status: number;
  id?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  error?: { code: string; message: string; violations?: Violation[] };
}

/** Turns API requests into schema-valid events and publishes them; returns only after the broker acknowledged. */
@Injectable()
export class EventPublisherService {
  constructor(
    private readonly producer: EventProducer,
    private readonly catalogue: TopicCatalogue,
    private readonly codec: EventCodec,
  ) {}

  /** Validates and publishes one event; `eventId` is reused when a client retries with the same Idempotency-Key. */
  async publish(raw: unknown, principal: Principal, eventId?: string, pointerPrefix = ''): Promise<PublishedEvent> {
    const { dto, envelope } = this.prepare(raw, principal, eventId, pointerPrefix);
    const receipt = await this.producer.publish(dto.topic, envelope);
    return { id: envelope.id, topic: receipt.topic, partition: receipt.partition, offset: receipt.offset, correlationId: envelope.correlationId ?? envelope.id };
  }

  /** Publishes many events concurrently (they share produce requests); one result per item. */
  async publishBatch(items: unknown[], principal: Principal, eventIds: string[]): Promise<BatchItemResult[]> {
    return Promise.all(
      items.map(async (item, index) => {
        try {
          const r = await this.publish(item, principal, eventIds[index], `/events/${index}`);
          return { index, status: 201, ...r };
        } catch (err) {
          const mapped = mapError(err);
          return { index, status: mapped.status, error: mapped.body.error };
        }
      }),
    );
  }

  /** The event a request describes, checked as a publish would be (schema, topic, key) but not published. */
  check(raw: unknown, principal: Principal, prefix = ''): { dto: EventInput; envelope: Envelope<unknown> } {
    return this.prepare(raw, principal, undefined, prefix, false);
  }

  private prepare(raw: unknown, principal: Principal, eventId: string | undefined, prefix: string, publishing = true): { dto: EventInput; envelope: Envelope<unknown> } {
    const parsed = eventInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw new GatewayError(GatewayErrorCode.BadRequest, 'request does not describe a valid event', zodViolations(parsed.error, prefix));
    }
    const dto = parsed.data;
    const resolved = this.catalogue.resolve(dto.topic);
    if (!resolved || resolved.role !== 'main') {
      throw new GatewayError(GatewayErrorCode.UnknownTopic, `unknown topic "${dto.topic}"; see GET /v1/topics`);
    }
    if (publishing && !principal.mayPublish(dto.topic)) {
      throw new GatewayError(GatewayErrorCode.Forbidden, `this API key may not publish to ${dto.topic}`);
    }
    // A tenant-bound key's events carry its tenant, whatever the body says.
    const envelope = { ...envelopeFromInput(dto, 'gateway', eventId), tenant: principal.tenant ?? null };
    if (resolved.spec.cleanupPolicy !== 'delete' && !envelope.key) {
      // The broker refuses unkeyed records on a compacted topic; say so before producing.
      throw new GatewayError(GatewayErrorCode.BadRequest, `${dto.topic} is compacted: every event needs a key`, [{ path: `${prefix}/key`, message: 'is required on a compacted topic' }]);
    }
    const violations = this.codec.validate(dto.topic, envelope);
    if (violations.length) {
      throw new GatewayError(
        GatewayErrorCode.BadRequest,
        `event does not match the schema of ${dto.topic}`,
        violations.map((v) => ({ ...v, path: prefix + v.path })),
      );
    }
    return { dto, envelope };
  }
}

