import { Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';
import { Envelope, EventCodec } from '@phoenix/contracts';
import { waitFor } from './wait';

export interface ReadMessage {
  partition: number;
  message: KafkaMessage;
}

export function testKafka(brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'): Kafka {
  return new Kafka({ clientId: 'phoenix-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/**
 * Reads messages from `topic` (from the beginning, or from the offsets in `from`) until
 * `until(messages)` holds, with a fresh consumer group. Returns what was read.
 */
export async function readUntil(
  topic: string,
  until: (messages: ReadMessage[]) => boolean,
  opts: { kafka?: Kafka; timeoutMs?: number; from?: Map<number, string> } = {},
): Promise<ReadMessage[]> {
  const kafka = opts.kafka ?? testKafka();
  const consumer = kafka.consumer({ groupId: `phoenix-test-${uuidv4()}`, maxWaitTimeInMs: 100 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const start = opts.from?.get(partition);
        if (start !== undefined && BigInt(message.offset) < BigInt(start)) return;
        messages.push({ partition, message });
      },
    });
    await waitFor(`messages on ${topic}`, () => until(messages), opts.timeoutMs ?? 30000);
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/** End offsets per partition (where the next message will land). */
export async function endOffsets(topic: string, kafka = testKafka()): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.high]));
  } finally {
    await admin.disconnect();
  }
}

export const header = (m: KafkaMessage, name: string): string | undefined => m.headers?.[name]?.toString();

export interface DecodedMessage<P> {
  partition: number;
  offset: string;
  headers: KafkaMessage['headers'];
  event: Envelope<P>;
}

/**
 * Reads and decodes events on `topic` (from `from` offsets, else the beginning) until
 * `until(events)` holds. Undecodable messages are skipped.
 */
export async function readEvents<P>(
  codec: EventCodec,
  topic: string,
  until: (events: DecodedMessage<P>[]) => boolean,
  opts: { from?: Map<number, string>; timeoutMs?: number; kafka?: Kafka } = {},
): Promise<DecodedMessage<P>[]> {
  const kafka = opts.kafka ?? testKafka();
  const consumer = kafka.consumer({ groupId: `phoenix-test-${uuidv4()}`, maxWaitTimeInMs: 100 });
  const events: DecodedMessage<P>[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const start = opts.from?.get(partition);
        if (start !== undefined && BigInt(message.offset) < BigInt(start)) return;
        try {
          events.push({ partition, offset: message.offset, headers: message.headers, event: await codec.decode<P>(topic, message.value) });
        } catch {
          /* not ours to judge here */
        }
      },
    });
    await waitFor(`events on ${topic}`, () => until(events), opts.timeoutMs ?? 30000);
    return events;
  } finally {
    await consumer.disconnect();
  }
}
