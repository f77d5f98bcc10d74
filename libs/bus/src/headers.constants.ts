/** Kafka header names Phoenix writes and honours. */
export const HEADERS = {
  eventId: 'phoenix-event-id',
  eventType: 'phoenix-event-type',
  source: 'phoenix-source',
  correlationId: 'phoenix-correlation-id',
  causationId: 'phoenix-causation-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** 1 for the first delivery; incremented each time the event is sent to the retry topic. */
  attempt: 'phoenix-attempt',
  /** Epoch ms before which a retry must not run. */
  retryAt: 'phoenix-retry-at',
  originalTopic: 'phoenix-original-topic',
  originalPartition: 'phoenix-original-partition',
  originalOffset: 'phoenix-original-offset',
  consumerGroup: 'phoenix-consumer-group',
  errorCode: 'phoenix-error-code',
  errorMessage: 'phoenix-error-message',
  errorKind: 'phoenix-error-kind',
  failedAt: 'phoenix-failed-at',
  /** Set on replayed events: consumers must not trigger side effects (MCP calls, tasks, n8n). */
  replay: 'phoenix-replay',
} as const;

export type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A header's value as a string (first value when repeated). */
export function headerString(headers: KafkaHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}
