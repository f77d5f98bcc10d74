import { BatchEventConsumer, ConsumedEvent, HEADERS } from '@phoenix/bus';
import { dlqTopic, Envelope, followUp, JsonValue, N8nDelivery, n8nOutboundTopic, N8nResponse, TOPICS } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { N8nConfig, N8nFlow, webhookUrl } from './n8n-flows.config';
import { runByKey } from './key-lanes';
import { SIGNATURE_HEADERS, sign } from './webhook-signature';
import { RateLimiter, Semaphore } from '@phoenix/concurrency';
import { PhoenixError } from '@phoenix/errors';

export const N8N_RESPONSES_TOPIC = TOPICS.n8nResponses;

/** n8n did not take the delivery now (down, 5xx, timeout, 429): retry the same event later. */
class DeliveryDeferred extends PhoenixError<'N8N_DELIVERY_DEFERRED'> {
  constructor(message: string) {
    super('N8N_DELIVERY_DEFERRED', message, { kind: 'unavailable' });
  }
}

/**
 * Phoenix → n8n. Deliveries from `n8n.outbound.<flow>` are POSTed to the flow's production webhook
 * with an HMAC signature, in partition order. Only a 2xx answer moves the partition on: then the
 * answer is published to `n8n.responses` (same correlation id) and the offset committed. Order holds
 * per key; different keys of one partition are delivered side by side up to the flow's concurrency. Timeouts,
 * connection errors, 429 and 5xx pause the partition and retry with backoff — nothing is skipped
 * while n8n is down or restarting (404 until its workflows are active again); other 4xx answers go to
 * the DLQ with the response. Per-flow concurrency and rate limits.
 */
export class N8nBridge {
  readonly consumer: BatchEventConsumer;
  private readonly flows = new Map<string, { flow: N8nFlow; url: string; limiter: RateLimiter; slots: Semaphore }>();
  /** Deliveries n8n accepted, so a chunk retried after a later failure does not send them twice. */
  private readonly delivered = new Set<string>();
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly ctx: AppContext,
    private readonly cfg: N8nConfig,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    for (const flow of cfg.flows) {
      if (flow.outbound) this.flows.set(flow.name, { flow, url: webhookUrl(cfg, flow), limiter: new RateLimiter(flow.outbound.ratePerSecond), slots: new Semaphore(flow.outbound.concurrency) });
    }
    this.consumer = new BatchEventConsumer(ctx.bus.kafka, ctx.bus.codec, ctx.bus.producer, ctx.config.bus, ctx.logger, ctx.metrics, 'n8n-bridge', {
      groupId: `${ctx.config.instance}-n8n-bridge`,
      topics: this.topics(),
      maxBatch: 100,
      maxWaitMs: 100,
      minBytes: 1,
      handle: (events) => this.deliverAll(events),
    });
  }

  topics(): string[] {
    return [...this.flows.keys()].map((f) => n8nOutboundTopic(f)).filter((t) => this.ctx.bus.catalogue.resolve(t));
  }

  async start(): Promise<void> {
    this.ctx.health.register('n8n-bridge', async () => {
      const h = this.consumer.health();
      return h.status === 'up' ? { status: 'up', detail: `${this.flows.size} flow(s); ${h.detail ?? ''}`.trim() } : { ...h, detail: `n8n deliveries: ${h.detail}` };
    });
    await this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  /**
   * One chunk is one partition. Events with the same key go in order, one after the other; different
   * keys go side by side, bounded by the flow's concurrency. A key stops at its first deferred
   * delivery (later events of that key wait for it); the others finish, and the chunk is retried —
   * what n8n already accepted is not sent again.
   */
  private async deliverAll(events: ConsumedEvent[]): Promise<void> {
    await runByKey(events, (c) => c.event.key ?? '', async (c) => {
      if (this.delivered.has(c.event.id)) return;
      await this.deliver(c);
      this.delivered.add(c.event.id);
      this.attempts.delete(c.event.id);
      if (this.delivered.size > 100_000) this.delivered.delete(this.delivered.values().next().value as string);
    });
  }

  private async deliver(c: ConsumedEvent): Promise<void> {
    const event = c.event as Envelope<N8nDelivery>;
    const entry = this.flows.get(event.payload.flow) ?? this.flows.get(c.topic.replace(/^n8n\.outbound\./, ''));
    if (!entry) return this.deadLetter(c, 'N8N_UNKNOWN_FLOW', `no outbound configuration for flow "${event.payload.flow}"`);
    // A replayed delivery is history: never run workflows for it.
    if (c.replay) return;
    const { flow, url } = entry;
    const attempt = (this.attempts.get(event.id) ?? 0) + 1;
    this.attempts.set(event.id, attempt);
    const body = JSON.stringify(event.payload.data ?? event.payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    await entry.limiter.take();
    const release = await entry.slots.acquire();
    const started = Date.now();
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADERS.timestamp]: timestamp,
          [SIGNATURE_HEADERS.signature]: sign(flow.outbound!.secret, timestamp, body),
          [SIGNATURE_HEADERS.eventId]: event.id,
          [SIGNATURE_HEADERS.correlationId]: event.correlationId ?? event.id,
          [SIGNATURE_HEADERS.attempt]: String(attempt),
        },
        body,
        signal: AbortSignal.timeout(flow.outbound!.timeoutMs),
      });
    } catch (err) {
      throw new DeliveryDeferred(`n8n flow ${flow.name} unreachable: ${(err as Error).message}`);
    } finally {
      release();
    }
    const text = await res.text().catch(() => '');
    // 404: n8n answers it while it (re)starts, before active workflows register their webhooks;
    // a wrong path shows up as a paused bridge (health: degraded), not as lost deliveries.
    if (res.status >= 500 || res.status === 429 || res.status === 408 || res.status === 404) throw new DeliveryDeferred(`n8n flow ${flow.name} answered ${res.status}`);
    if (res.status >= 400) return this.deadLetter(c, 'N8N_REJECTED', `n8n flow ${flow.name} answered ${res.status}: ${text.slice(0, 500)}`);
    let parsed: JsonValue | null = null;
    try {
      parsed = text ? (JSON.parse(text) as JsonValue) : null;
    } catch {
      parsed = text;
    }
    const response: N8nResponse = { flow: flow.name, deliveryEventId: event.id, status: res.status, body: parsed, attempts: attempt, durationMs: Date.now() - started };
    await this.ctx.bus.producer.publish(N8N_RESPONSES_TOPIC, followUp(event, { type: 'n8n.response', source: `n8n/${flow.name}`, key: event.key, payload: response }));
  }

  private async deadLetter(c: ConsumedEvent, code: string, message: string): Promise<void> {
    await this.ctx.bus.producer.publish(dlqTopic(c.topic), c.event, {
      headers: {
        [HEADERS.errorCode]: code,
        [HEADERS.errorMessage]: message.slice(0, 1000),
        [HEADERS.errorKind]: 'fatal',
        [HEADERS.originalTopic]: c.topic,
        [HEADERS.originalPartition]: String(c.partition),
        [HEADERS.originalOffset]: c.offset,
        [HEADERS.consumerGroup]: `${this.ctx.config.instance}-n8n-bridge`,
        [HEADERS.failedAt]: String(Date.now()),
        [HEADERS.attempt]: String(this.attempts.get(c.event.id) ?? 1),
      },
    });
    this.ctx.metrics.deadLetters.inc({ app: 'n8n-bridge', topic: c.topic, code });
    this.ctx.logger.error({ topic: c.topic, eventId: c.event.id, code, err: message }, 'n8n delivery sent to DLQ');
  }
}
