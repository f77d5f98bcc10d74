import { BusRuntime, readRanges } from '@phoenix/bus';
import { ChatMessage, Envelope, Feedback, TOPICS } from '@phoenix/contracts';
import { buildPreferences, PreferencePair, SftRecord } from './preferences';
import { ReplayError, ReplayErrorCode } from './replay-checkpoint';

/** Events read at most for a dataset built in one request; larger sets use `phoenix replay preferences`. */
export const DATASET_MAX_EVENTS = 500_000;

export class DatasetTooLargeError extends ReplayError {
  constructor(readonly events: number) {
    super(`the interactions topics hold ${events} events, over the ${DATASET_MAX_EVENTS} a request builds; run \`phoenix replay preferences --out <dir>\` instead`, ReplayErrorCode.DatasetTooLarge);
  }
}

export interface PreferenceDataset {
  messages: number;
  feedback: number;
  pairs: PreferencePair[];
  sft: SftRecord[];
  /** Events skipped: undecodable, or of another tenant. */
  skipped: number;
}

/**
 * The preference dataset from the whole of interactions.chat and interactions.feedback as they are
 * now (every partition from its start to its end at the call), built like `phoenix replay
 * preferences`. `keep` can leave events out (a tenant-bound key sees its tenant's only).
 */
export async function preferenceDataset(bus: BusRuntime, keep: (e: Envelope<unknown>) => boolean = () => true): Promise<PreferenceDataset> {
  const admin = await bus.admin.raw();
  const topics = [TOPICS.interactionsChat, TOPICS.interactionsFeedback];
  const offsets = await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
  const total = offsets.flat().reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
  if (total > DATASET_MAX_EVENTS) throw new DatasetTooLargeError(total);
  const messages: Envelope<ChatMessage>[] = [];
  const feedback: Envelope<Feedback>[] = [];
  let skipped = 0;
  for (const [i, topic] of topics.entries()) {
    await readRanges(
      bus.kafka,
      topic,
      offsets[i].map((o) => ({ partition: o.partition, start: o.low, end: o.high })),
      async (_p, message) => {
        const event = message.value ? await bus.codec.decode<unknown>(topic, message.value).catch(() => null) : null;
        if (!event || !keep(event)) return void skipped++;
        (topic === TOPICS.interactionsChat ? messages : feedback).push(event as Envelope<never>);
      },
      { logger: bus.logger, timeoutMs: 120_000, groupPrefix: 'phoenix-read-dataset-' },
    );
  }
  // Partitions are read one after another: order by time, as the conversation happened.
  const byTime = <T>(a: Envelope<T>, b: Envelope<T>) => a.occurredAt - b.occurredAt || a.id.localeCompare(b.id);
  messages.sort(byTime);
  feedback.sort(byTime);
  const { pairs, sft } = buildPreferences(
    messages.map((e) => e.payload),
    feedback.map((e) => e.payload),
  );
  return { messages: messages.length, feedback: feedback.length, pairs, sft, skipped };
}
