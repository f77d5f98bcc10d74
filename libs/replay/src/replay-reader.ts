import * as fs from 'node:fs';
import { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { HEADERS } from '@phoenix/bus';
import { ContractError, Envelope, JsonValue, stringifyWithRawJson } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { BatchTally, Checkpoint, foldBatch, ReplayError } from './replay-checkpoint';
import { partFile } from './replay-output';
import { partKey } from './replay-plan';
import { PartitionRange, ReplayRecord } from './replay.types';

export interface ReaderOptions {
  workDir: string;
  /** Events that belong in the output. */
  match: (e: Envelope<unknown>) => boolean;
  /** Re-publish target (`live` or `retrain.<name>`); null for file outputs. */
  target: string | null;
  /** File exports without payload predicates copy JSON fields as the text they were written as. */
  rawJson: boolean;
  skipUndecodable: boolean;
  retryBackoffMs: number;
  /** Called after each durable batch (the runner saves the checkpoint). */
  saved: () => void;
}

/** How a batch's scan ended: every record taken, or stopped at one to read again (registry away) or that fails the replay. */
type ScanStop = { kind: 'end' } | { kind: 'unavailable'; err: Error } | { kind: 'undecodable'; err: ReplayError };

/**
 * Reads the checkpoint's ranges with a throw-away consumer group: every assigned partition is
 * seeked to where the replay stands before its first fetch; each fetched batch is scanned (decode,
 * select), its records appended to the partition's part file, and only then folded into the
 * checkpoint. Registry outages pause the partition and read the same record again; an
 * undecodable record fails the replay (or is listed and skipped with `skipUndecodable`).
 */
export class ReplayReader {
  private consumer?: ReturnType<AppContext['bus']['kafka']['consumer']>;

  constructor(
    private readonly ctx: AppContext,
    private readonly cp: Checkpoint,
    private readonly o: ReaderOptions,
  ) {}

  async read(): Promise<void> {
    const cp = this.cp;
    const ranges = new Map(cp.ranges.map((r) => [partKey(r.topic, r.partition), r]));
    const consumer = this.ctx.bus.kafka.consumer({ groupId: `${this.ctx.config.instance}-replay-${cp.replayId}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 1024 * 1024 });
    this.consumer = consumer;
    let finished!: () => void;
    let failed!: (err: Error) => void;
    const allDone = new Promise<void>((resolve, reject) => {
      finished = resolve;
      failed = reject;
    });
    const timers = new Set<NodeJS.Timeout>();
    const checkAll = () => Object.values(cp.parts).every((p) => p.done) && finished();
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      // Seek every assigned partition to where this replay stands, before the first fetch.
      for (const [topic, parts] of Object.entries(e.payload.memberAssignment)) {
        for (const p of parts) {
          const st = cp.parts[partKey(topic, p)];
          if (!st || st.done) consumer.pause([{ topic, partitions: [p] }]);
          else consumer.seek({ topic, partition: p, offset: st.next });
        }
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set(cp.ranges.map((r) => r.topic))], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, pause, isStale, resolveOffset, heartbeat }: EachBatchPayload) => {
        const k = partKey(batch.topic, batch.partition);
        const range = ranges.get(k);
        const st = cp.parts[k];
        if (!range || !st || st.done || isStale()) return;
        const { tally, lines, publishes, stop } = await this.scan(batch.topic, batch.partition, batch.messages, range, st.next, st.first, st.last);
        if (this.o.target) await Promise.all(publishes);
        if (isStale()) return;
        // Folded into the checkpoint only once durable: other partitions' batches save it concurrently.
        if (lines.length) {
          const chunk = lines.join('\n') + '\n';
          fs.appendFileSync(partFile(this.o.workDir, batch.topic, batch.partition), chunk);
          tally.bytes = Buffer.byteLength(chunk);
        }
        foldBatch(st, tally);
        if (st.done) pause();
        if (stop.kind === 'undecodable') {
          // The position stays at the undecodable record: a rerun (with the flag) resumes there.
          this.o.saved();
          failed(stop.err);
          return;
        }
        if (stop.kind === 'unavailable') {
          this.o.saved();
          this.ctx.logger.warn({ topic: batch.topic, partition: batch.partition, offset: st.next, err: stop.err.message }, 'replay paused: schema registry unavailable; retrying');
          const next = BigInt(st.next);
          if (next > BigInt(batch.messages[0]?.offset ?? next)) resolveOffset((next - 1n).toString());
          const resume = pause();
          const t = setTimeout(() => {
            timers.delete(t);
            resume();
          }, this.o.retryBackoffMs);
          timers.add(t);
          return;
        }
        // The checkpoint is the replay's position; kafkajs still needs to be told to fetch on.
        if (batch.messages.length) resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await heartbeat();
        this.o.saved();
        checkAll();
      },
    });
    checkAll();
    try {
      await allDone;
    } finally {
      for (const t of timers) clearTimeout(t);
      await consumer.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  /** Decodes and selects a batch's records from the replay's position up to the range's end. */
  private async scan(topic: string, partition: number, messages: KafkaMessage[], range: PartitionRange, from: string, first: number | null, last: number | null): Promise<{ tally: BatchTally; lines: string[]; publishes: Promise<unknown>[]; stop: ScanStop }> {
    const end = BigInt(range.end);
    const tally: BatchTally = { next: from, bytes: 0, records: 0, scanned: 0, byType: {}, first, last, skipped: [], done: false };
    const lines: string[] = [];
    const publishes: Promise<unknown>[] = [];
    let next = BigInt(from);
    let stop: ScanStop = { kind: 'end' };
    const codec = this.ctx.bus.codec;
    for (const m of messages) {
      const off = BigInt(m.offset);
      if (off < next) continue;
      if (off >= end) break;
      let event: Envelope<unknown>;
      try {
        event = this.o.rawJson ? (codec.decodeRawReady(topic, m.value) ?? (await codec.decodeRaw(topic, m.value))) : (codec.decodeReady(topic, m.value) ?? (await codec.decode(topic, m.value)));
      } catch (err) {
        // Registry unavailable: nothing is skipped; this record is read again after a pause.
        if (err instanceof ContractError && err.retriable) {
          stop = { kind: 'unavailable', err };
          break;
        }
        if (!this.o.skipUndecodable) {
          stop = { kind: 'undecodable', err: new ReplayError(`record ${topic}/${partition}@${m.offset} cannot be decoded: ${(err as Error).message} (rerun with --skip-undecodable to list and skip such records)`) };
          break;
        }
        next = off + 1n;
        tally.scanned++;
        tally.skipped.push({ offset: m.offset, error: (err as Error).message.slice(0, 500) });
        continue;
      }
      next = off + 1n;
      tally.scanned++;
      if (!this.o.match(event)) continue;
      tally.byType[event.type] = (tally.byType[event.type] ?? 0) + 1;
      tally.first = tally.first === null ? event.occurredAt : Math.min(tally.first, event.occurredAt);
      tally.last = tally.last === null ? event.occurredAt : Math.max(tally.last, event.occurredAt);
      const record: ReplayRecord = { topic, partition, offset: m.offset, event: event as unknown as JsonValue };
      lines.push(this.o.rawJson ? stringifyWithRawJson(record) : JSON.stringify(record));
      if (this.o.target) publishes.push(this.republish(this.o.target, topic, partition, m.offset, event));
    }
    tally.records = lines.length;
    tally.next = next.toString();
    tally.done = next >= end;
    return { tally, lines, publishes, stop };
  }

  private republish(target: string, topic: string, partition: number, offset: string, event: Envelope<unknown>): Promise<unknown> {
    const headers = { [HEADERS.replay]: this.cp.replayId, [HEADERS.originalTopic]: topic, [HEADERS.originalPartition]: String(partition), [HEADERS.originalOffset]: offset };
    if (target === 'live') return this.ctx.bus.producer.publish(topic, event, { headers });
    // retrain.* topics carry any family: the payload travels as JSON, the rest of the envelope unchanged.
    return this.ctx.bus.producer.publish(target, { ...event, payload: event.payload as JsonValue }, { headers });
  }
}
