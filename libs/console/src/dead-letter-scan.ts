import { BusRuntime, HEADERS, readRanges } from '@phoenix/bus';
import { DeadLetterStore, textHeaders } from './dead-letters';

/**
 * The dead letters of one DLQ topic read straight from Kafka (for the CLI, which has no console
 * feed): every message held now, and the redrive marks on the topics they failed on, scanned
 * from the oldest dead letter's time. The same store, views and redrive as the console's.
 */
export async function scanDeadLetters(bus: BusRuntime, dlq: string, opts: { timeoutMs?: number } = {}): Promise<DeadLetterStore> {
  const store = new DeadLetterStore(Number.MAX_SAFE_INTEGER);
  const admin = await bus.admin.raw();
  const offsets = await admin.fetchTopicOffsets(dlq);
  let oldest = Infinity;
  await readRanges(
    bus.kafka,
    dlq,
    offsets.map((o) => ({ partition: o.partition, start: o.low, end: o.high })),
    async (partition, message) => {
      oldest = Math.min(oldest, Number(message.timestamp));
      const event = message.value ? await bus.codec.decode<unknown>(dlq, message.value).catch(() => null) : null;
      store.add(dlq, partition, message, event);
    },
    { logger: bus.logger, timeoutMs: opts.timeoutMs, groupPrefix: 'phoenix-read-dlq-' },
  );
  // Where redriven copies go: the topics the held letters failed on.
  const targets = new Set(store.list(dlq).map((d) => d.originalTopic?.replace(/\.retry$/, '') ?? dlq.replace(/\.dlq$/, '')));
  for (const topic of targets) {
    if (!Number.isFinite(oldest)) break;
    const [from, to] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, oldest), admin.fetchTopicOffsets(topic)]);
    const ends = new Map(to.map((o) => [o.partition, o.high]));
    await readRanges(
      bus.kafka,
      topic,
      from.map((o) => ({ partition: o.partition, start: o.offset === '-1' ? ends.get(o.partition)! : o.offset, end: ends.get(o.partition)! })),
      (partition, message) => {
        const headers = textHeaders(message.headers);
        store.noteRedrive(headers, { topic, partition, offset: message.offset, eventId: headers[HEADERS.eventId] ?? null, at: Number(message.timestamp) });
      },
      { logger: bus.logger, timeoutMs: opts.timeoutMs, groupPrefix: 'phoenix-read-dlq-' },
    );
  }
  return store;
}
