import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Consumer, EachBatchPayload } from 'kafkajs';
import { z } from 'zod';
import { HEADERS } from '@phoenix/bus';
import { ContractError, Envelope, globToRegExp, JsonValue, newEventId, stringifyWithRawJson } from '@phoenix/contracts';
import { predicate } from '@phoenix/routing';
import { AppContext } from '@phoenix/runtime';
import { PartitionRange, ReplayOutput, ReplayRecord, ReplaySelection, ReplaySummary } from './replay.types';

export interface ReplayProgress {
  done: number;
  total: number;
  records: number;
  perSecond: number;
  etaSeconds: number | null;
}

interface PartState {
  next: string;
  bytes: number;
  records: number;
  scanned: number;
  byType: Record<string, number>;
  first: number | null;
  last: number | null;
  done: boolean;
  /** Offsets that could not be decoded and were skipped (only with `skipUndecodable`). */
  skipped?: { offset: string; error: string }[];
}

interface Checkpoint {
  version: 1;
  replayId: string;
  planKey: string;
  ranges: PartitionRange[];
  parts: Record<string, PartState>;
}

/** A replay that cannot complete as asked (an undecodable record without --skip-undecodable). */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

const offset = z.string().regex(/^\d+$/);
/** Version 1 of checkpoint.json: validated on every read, so a damaged file is named, not trusted. */
const checkpointSchema = z.object({
  version: z.literal(1),
  replayId: z.string().min(1),
  planKey: z.string().min(1),
  ranges: z.array(z.object({ topic: z.string(), partition: z.number().int().nonnegative(), start: offset, end: offset })),
  parts: z.record(
    z.string(),
    z.object({
      next: offset,
      bytes: z.number().int().nonnegative(),
      records: z.number().int().nonnegative(),
      scanned: z.number().int().nonnegative(),
      byType: z.record(z.string(), z.number().int()),
      first: z.number().nullable(),
      last: z.number().nullable(),
      done: z.boolean(),
      skipped: z.array(z.object({ offset, error: z.string() })).optional(),
    }),
  ),
});

function readCheckpoint(file: string): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ReplayError(`replay checkpoint ${file} is not JSON (${(err as Error).message}); delete ${path.dirname(file)} to start the replay over`);
  }
  const r = checkpointSchema.safeParse(raw);
  if (!r.success) {
    const why = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ReplayError(`replay checkpoint ${file} is not a version-1 checkpoint (${why}); delete ${path.dirname(file)} to start the replay over`);
  }
  for (const range of r.data.ranges) {
    if (!r.data.parts[partKey(range.topic, range.partition)]) throw new ReplayError(`replay checkpoint ${file} has no state for ${partKey(range.topic, range.partition)}; delete ${path.dirname(file)} to start over`);
  }
  return r.data;
}

const partKey = (topic: string, partition: number) => `${topic}:${partition}`;
const any = (globs: string[] | undefined, v: string) => !globs?.length || globs.some((g) => globToRegExp(g).test(v));

/**
 * Replays a selection of topics into JSONL, Parquet or a topic — deterministic (each partition in
 * offset order, partitions in name order), resumable (a checkpoint beside the output records, per
 * partition, the next offset and how many bytes of its part file are durable; a restarted run
 * truncates to that and carries on, so the result is byte-identical to an uninterrupted run).
 */
export class ReplayRunner {
  readonly workDir: string;
  private consumer?: Consumer;
  private checkpoint!: Checkpoint;
  private readonly match: (e: Envelope<unknown>) => boolean;

  constructor(
    private readonly ctx: AppContext,
    private readonly selection: ReplaySelection,
    private readonly output: ReplayOutput,
    private readonly opts: {
      workDir?: string;
      progress?: (p: ReplayProgress) => void;
      replayId?: string;
      /** Skip records that can never be decoded (listed beside the output) instead of failing the replay. */
      skipUndecodable?: boolean;
      /** Wait before re-reading after the registry or broker was unavailable (default 1 s). */
      retryBackoffMs?: number;
    } = {},
  ) {
    const base = output.kind === 'topic' ? path.join(ctx.config.paths.data, 'replay', output.target) : output.path;
    this.workDir = opts.workDir ?? `${base}.replay`;
    const preds = (selection.where ?? []).map(predicate);
    this.match = (e) => any(selection.types, e.type) && any(selection.sources, e.source) && preds.every((p) => p(e));
  }

  /** The topics, partitions and offset ranges the selection covers. */
  async plan(): Promise<PartitionRange[]> {
    const admin = await this.ctx.bus.admin.raw();
    const names = [...new Set(this.selection.topics.flatMap((g) => this.ctx.bus.catalogue.match(g).map((t) => t.name)))].sort();
    if (!names.length) throw new Error(`no catalogue topic matches ${this.selection.topics.join(', ')}`);
    const ranges: PartitionRange[] = [];
    for (const topic of names) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const byTime = async (ts: number | undefined) => (ts === undefined ? undefined : new Map((await admin.fetchTopicOffsetsByTimestamp(topic, ts)).map((o) => [o.partition, o.offset])));
      const [fromT, toT] = await Promise.all([byTime(this.selection.fromTime), byTime(this.selection.toTime)]);
      for (const o of offsets.sort((a, b) => a.partition - b.partition)) {
        if (this.selection.partitions && !this.selection.partitions.includes(o.partition)) continue;
        const k = partKey(topic, o.partition);
        const clamp = (v: string | undefined, d: string) => {
          const n = BigInt(v ?? d);
          return (n < BigInt(o.low) ? BigInt(o.low) : n > BigInt(o.high) ? BigInt(o.high) : n).toString();
        };
        const start = clamp(this.selection.fromOffsets?.[k] ?? fromT?.get(o.partition), o.low);
        const end = clamp(this.selection.toOffsets?.[k] ?? toT?.get(o.partition), o.high);
        ranges.push({ topic, partition: o.partition, start, end: BigInt(end) < BigInt(start) ? start : end });
      }
    }
    return ranges;
  }

  private partFile(topic: string, partition: number): string {
    return path.join(this.workDir, `${topic}-${partition}.jsonl`);
  }

  private saveCheckpoint(): void {
    const file = path.join(this.workDir, 'checkpoint.json');
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(this.checkpoint));
    fs.renameSync(`${file}.tmp`, file);
  }

  /** Loads a matching checkpoint (truncating part files to their durable length) or starts fresh. */
  private prepare(ranges: PartitionRange[]): boolean {
    const planKey = createHash('sha256').update(JSON.stringify({ selection: this.selection, output: this.output })).digest('hex');
    const file = path.join(this.workDir, 'checkpoint.json');
    if (fs.existsSync(file)) {
      const saved = readCheckpoint(file);
      if (saved.planKey === planKey) {
        this.checkpoint = saved;
        for (const r of saved.ranges) {
          const f = this.partFile(r.topic, r.partition);
          if (fs.existsSync(f)) fs.truncateSync(f, saved.parts[partKey(r.topic, r.partition)].bytes);
        }
        return true;
      }
    }
    fs.rmSync(this.workDir, { recursive: true, force: true });
    fs.mkdirSync(this.workDir, { recursive: true });
    this.checkpoint = {
      version: 1,
      replayId: this.opts.replayId ?? newEventId(),
      planKey,
      ranges,
      parts: Object.fromEntries(ranges.map((r) => [partKey(r.topic, r.partition), { next: r.start, bytes: 0, records: 0, scanned: 0, byType: {}, first: null, last: null, done: r.start === r.end }])),
    };
    this.saveCheckpoint();
    return false;
  }

  async run(): Promise<ReplaySummary> {
    const started = Date.now();
    const resumed = this.prepare(await this.plan());
    const cp = this.checkpoint;
    const total = cp.ranges.reduce((s, r) => s + Number(BigInt(r.end) - BigInt(r.start)), 0);
    const doneCount = () => cp.ranges.reduce((s, r) => s + Number(BigInt(cp.parts[partKey(r.topic, r.partition)].next) - BigInt(r.start)), 0);
    const progressFrom = doneCount();
    const report = () => {
      const done = doneCount();
      const secs = (Date.now() - started) / 1000;
      const perSecond = secs > 0 ? (done - progressFrom) / secs : 0;
      this.opts.progress?.({ done, total, records: Object.values(cp.parts).reduce((s, p) => s + p.records, 0), perSecond, etaSeconds: perSecond > 0 ? (total - done) / perSecond : null });
    };
    const timer = setInterval(report, 1000);
    try {
      if (cp.ranges.some((r) => !cp.parts[partKey(r.topic, r.partition)].done)) await this.read();
    } finally {
      clearInterval(timer);
    }
    report();
    const { output, checksum, records } = await this.finish();
    const skipped = cp.ranges.flatMap((r) => (cp.parts[partKey(r.topic, r.partition)].skipped ?? []).map((x) => ({ topic: r.topic, partition: r.partition, ...x })));
    const skippedFile = skipped.length ? this.writeSkipped(skipped) : null;
    const byTopic: Record<string, number> = {};
    const byType: Record<string, number> = {};
    let first: number | null = null;
    let last: number | null = null;
    for (const r of cp.ranges) {
      const p = cp.parts[partKey(r.topic, r.partition)];
      byTopic[r.topic] = (byTopic[r.topic] ?? 0) + p.records;
      for (const [t, n] of Object.entries(p.byType)) byType[t] = (byType[t] ?? 0) + n;
      if (p.first !== null) first = first === null ? p.first : Math.min(first, p.first);
      if (p.last !== null) last = last === null ? p.last : Math.max(last, p.last);
    }
    // Done: the output is complete, the work dir (parts and checkpoint) is no longer needed.
    fs.rmSync(this.workDir, { recursive: true, force: true });
    return {
      replayId: cp.replayId,
      records,
      scanned: Object.values(cp.parts).reduce((s, p) => s + p.scanned, 0),
      byTopic,
      byType,
      firstOccurredAt: first === null ? null : new Date(first).toISOString(),
      lastOccurredAt: last === null ? null : new Date(last).toISOString(),
      output,
      checksum,
      resumed,
      seconds: (Date.now() - started) / 1000,
      skipped: skipped.length,
      ...(skippedFile ? { skippedFile } : {}),
    };
  }

  private async read(): Promise<void> {
    const cp = this.checkpoint;
    const ranges = new Map(cp.ranges.map((r) => [partKey(r.topic, r.partition), r]));
    const topics = [...new Set(cp.ranges.map((r) => r.topic))];
    const target = this.output.kind === 'topic' ? this.output.target : null;
    // Payload predicates read parsed values, and republished events are encoded again.
    const rawJson = !target && !(this.selection.where ?? []).length;
    if (target && target !== 'live') {
      const family = this.ctx.bus.catalogue.resolve(target) ? undefined : this.ctx.bus.catalogue.declare(target);
      if (family) await this.ctx.bus.admin.apply([family]);
    }
    const consumer = this.ctx.bus.kafka.consumer({ groupId: `${this.ctx.config.instance}-replay-${cp.replayId}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 1024 * 1024 });
    this.consumer = consumer;
    let finished!: () => void;
    let failed!: (err: Error) => void;
    const allDone = new Promise<void>((resolve, reject) => {
      finished = resolve;
      failed = reject;
    });
    const timers = new Set<NodeJS.Timeout>();
    const checkAll = () => {
      if (Object.values(cp.parts).every((p) => p.done)) finished();
    };
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
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, pause, isStale, resolveOffset, heartbeat }: EachBatchPayload) => {
        const k = partKey(batch.topic, batch.partition);
        const range = ranges.get(k);
        const st = cp.parts[k];
        if (!range || !st || st.done || isStale()) return;
        const end = BigInt(range.end);
        // Tally locally and fold into the checkpoint only once the records are durable: other
        // partitions' batches save the checkpoint concurrently and must never see half a batch.
        const lines: string[] = [];
        const publishes: Promise<unknown>[] = [];
        const byType: Record<string, number> = {};
        let next = BigInt(st.next);
        let scanned = 0;
        let first = st.first;
        let last = st.last;
        let unavailable: Error | null = null;
        let undecodable: ReplayError | null = null;
        const skipped: { offset: string; error: string }[] = [];
        for (const m of batch.messages) {
          const off = BigInt(m.offset);
          if (off < next) continue;
          if (off >= end) break;
          next = off + 1n;
          scanned++;
          let event: Envelope<unknown>;
          try {
            const codec = this.ctx.bus.codec;
            // A file export only copies JSON fields out: they stay text, never parsed and rendered again.
            event = rawJson ? (codec.decodeRawReady(batch.topic, m.value) ?? (await codec.decodeRaw(batch.topic, m.value))) : (codec.decodeReady(batch.topic, m.value) ?? (await codec.decode(batch.topic, m.value)));
          } catch (err) {
            if (err instanceof ContractError && err.retriable) {
              // Registry unavailable: nothing is skipped. Keep what this batch has so far, and read
              // this record again after a pause.
              next = off;
              scanned--;
              unavailable = err;
              break;
            }
            if (!this.opts.skipUndecodable) {
              undecodable = new ReplayError(`record ${batch.topic}/${batch.partition}@${m.offset} cannot be decoded: ${(err as Error).message} (rerun with --skip-undecodable to list and skip such records)`);
              next = off;
              scanned--;
              break;
            }
            skipped.push({ offset: m.offset, error: (err as Error).message.slice(0, 500) });
            continue;
          }
          if (!this.match(event)) continue;
          byType[event.type] = (byType[event.type] ?? 0) + 1;
          first = first === null ? event.occurredAt : Math.min(first, event.occurredAt);
          last = last === null ? event.occurredAt : Math.max(last, event.occurredAt);
          const record: ReplayRecord = { topic: batch.topic, partition: batch.partition, offset: m.offset, event: event as unknown as JsonValue };
          lines.push(rawJson ? stringifyWithRawJson(record) : JSON.stringify(record));
          if (target) publishes.push(this.republish(target, batch.topic, batch.partition, m.offset, event));
        }
        if (target) await Promise.all(publishes);
        if (isStale()) return;
        if (lines.length) {
          const chunk = lines.join('\n') + '\n';
          fs.appendFileSync(this.partFile(batch.topic, batch.partition), chunk);
          st.bytes += Buffer.byteLength(chunk);
        }
        st.records += lines.length;
        st.scanned += scanned;
        for (const [t, n] of Object.entries(byType)) st.byType[t] = (st.byType[t] ?? 0) + n;
        st.first = first;
        st.last = last;
        st.next = next.toString();
        if (skipped.length) st.skipped = [...(st.skipped ?? []), ...skipped];
        if (next >= end) {
          st.done = true;
          pause();
        }
        if (undecodable) {
          // The position stays at the undecodable record: a rerun (with the flag) resumes there.
          this.saveCheckpoint();
          failed(undecodable);
          return;
        }
        if (unavailable) {
          this.saveCheckpoint();
          this.ctx.logger.warn({ topic: batch.topic, partition: batch.partition, offset: next.toString(), err: unavailable.message }, 'replay paused: schema registry unavailable; retrying');
          if (next > BigInt(batch.messages[0]?.offset ?? next)) resolveOffset((next - 1n).toString());
          const resume = pause();
          const t = setTimeout(() => {
            timers.delete(t);
            resume();
          }, this.opts.retryBackoffMs ?? 1000);
          timers.add(t);
          return;
        }
        // The checkpoint is the replay's position; kafkajs still needs to be told to fetch on.
        if (batch.messages.length) resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await heartbeat();
        this.saveCheckpoint();
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

  private async republish(target: string, topic: string, partition: number, offset: string, event: Envelope<unknown>): Promise<unknown> {
    const headers = { [HEADERS.replay]: this.checkpoint.replayId, [HEADERS.originalTopic]: topic, [HEADERS.originalPartition]: String(partition), [HEADERS.originalOffset]: offset };
    if (target === 'live') return this.ctx.bus.producer.publish(topic, event, { headers });
    // retrain.* topics carry any family: the payload travels as JSON, the rest of the envelope unchanged.
    return this.ctx.bus.producer.publish(target, { ...event, payload: event.payload as JsonValue }, { headers });
  }

  /** Concatenates the parts in order, hashes them, and writes the requested output. */
  private async finish(): Promise<{ output: string; checksum: string; records: number }> {
    const hash = createHash('sha256');
    let records = 0;
    // Part files hold the records of every output kind (for topic outputs: what was published), so
    // the checksum is the same function of the selection whatever the output.
    const jsonl = this.output.kind === 'jsonl' ? this.output.path : path.join(this.workDir, 'all.jsonl');
    fs.mkdirSync(path.dirname(jsonl), { recursive: true });
    const tmp = `${jsonl}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    for (const r of [...this.checkpoint.ranges].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)) {
      const f = this.partFile(r.topic, r.partition);
      if (!fs.existsSync(f)) continue;
      const data = fs.readFileSync(f);
      hash.update(data);
      fs.writeSync(fd, data);
      records += this.checkpoint.parts[partKey(r.topic, r.partition)].records;
    }
    fs.closeSync(fd);
    fs.renameSync(tmp, jsonl);
    if (this.output.kind === 'parquet') await this.toParquet(jsonl, this.output.path);
    if (this.output.kind === 'topic') return { output: this.output.target === 'live' ? 'original topics (replay marker set)' : this.output.target, checksum: hash.digest('hex'), records };
    return { output: this.output.path, checksum: hash.digest('hex'), records };
  }

  private async toParquet(jsonl: string, out: string): Promise<void> {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    try {
      await c.run(`COPY (
        SELECT topic, "partition", "offset"::BIGINT AS "offset",
               event->>'id' AS event_id, event->>'type' AS type, event->>'source' AS source, event->>'key' AS key,
               epoch_ms((event->>'occurredAt')::BIGINT) AS occurred_at, epoch_ms((event->>'ingestedAt')::BIGINT) AS ingested_at,
               event->>'correlationId' AS correlation_id, event->>'causationId' AS causation_id,
               (event->'payload')::VARCHAR AS payload
        FROM read_json(${q(jsonl)}, format = 'newline_delimited', columns = {'topic': 'VARCHAR', 'partition': 'INTEGER', 'offset': 'VARCHAR', 'event': 'JSON'})
      ) TO ${q(`${out}.tmp`)} (FORMAT parquet, COMPRESSION zstd)`);
    } finally {
      c.closeSync();
      db.closeSync();
    }
    fs.renameSync(`${out}.tmp`, out);
  }

  /** The skipped positions, one JSON line each, beside the output (`<output>.skipped.jsonl`). */
  private writeSkipped(skipped: { topic: string; partition: number; offset: string; error: string }[]): string {
    const base = this.output.kind === 'topic' ? path.join(this.ctx.config.paths.data, 'replay', this.output.target) : this.output.path;
    const file = `${base}.skipped.jsonl`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, skipped.map((x) => JSON.stringify(x)).join('\n') + '\n');
    return file;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
