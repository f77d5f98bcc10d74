import { Kafka, KafkaMessage } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';
import { PhoenixLogger } from '@phoenix/observability';
import { deleteOwnGroup } from './throwaway-groups';

export interface OffsetRange {
  partition: number;
  /** First offset read. */
  start: string;
  /** End, exclusive. */
  end: string;
}

/**
 * Reads the given offset ranges of a topic once, in a throw-away group that is deleted after,
 * and resolves when every range is read (or rejects at the timeout). For one-shot reads of small
 * ranges (a DLQ, the messages after a time): long reads belong to the replay runner.
 */
export async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: OffsetRange[],
  onMessage: (partition: number, message: KafkaMessage) => void | Promise<void>,
  opts: { logger: PhoenixLogger; timeoutMs?: number; groupPrefix?: string },
): Promise<void> {
  const open = new Map(ranges.filter((r) => BigInt(r.end) > BigInt(r.start)).map((r) => [r.partition, r]));
  if (open.size === 0) return;
  const groupId = `${opts.groupPrefix ?? 'phoenix-read-'}${uuidv4()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 6000, rebalanceTimeout: 6000, heartbeatInterval: 1000 });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const r = open.get(partition);
        if (!r) return;
        const at = BigInt(message.offset);
        if (at < BigInt(r.start)) return;
        if (at < BigInt(r.end)) await onMessage(partition, message);
        if (at + 1n >= BigInt(r.end)) {
          open.delete(partition);
          if (open.size === 0) done();
        }
      },
    });
    for (const r of open.values()) consumer.seek({ topic, partition: r.partition, offset: r.start });
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`reading ${topic} did not finish within ${timeoutMs} ms (${open.size} partition(s) left)`)), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await deleteOwnGroup(kafka, groupId, opts.logger);
  }
}
