import * as fs from 'node:fs';
import * as path from 'node:path';
import { Envelope, globToRegExp, newEventId } from '@phoenix/contracts';
import { predicate } from '@phoenix/routing';
import { AppContext } from '@phoenix/runtime';
import { Checkpoint, CheckpointFile, newCheckpoint, offsetsDone, offsetsTotal, planKeyOf, totals } from './replay-checkpoint';
import { partFile, writeOutput, writeSkipped } from './replay-output';
import { PartitionOffsets, partKey, planRanges } from './replay-plan';
import { ReplayReader } from './replay-reader';
import { PartitionRange, ReplayOutput, ReplaySelection, ReplaySummary } from './replay.types';

export { ReplayError } from './replay-checkpoint';

export interface ReplayProgress {
  done: number;
  total: number;
  records: number;
  perSecond: number;
  etaSeconds: number | null;
}

const any = (globs: string[] | undefined, v: string) => !globs?.length || globs.some((g) => globToRegExp(g).test(v));

/**
 * Replays a selection of topics into JSONL, Parquet or a topic — deterministic (each partition in
 * offset order, partitions in name order), resumable (a checkpoint beside the output records, per
 * partition, the next offset and how many bytes of its part file are durable; a restarted run
 * truncates to that and carries on, so the result is byte-identical to an uninterrupted run).
 * The plan (`replay-plan.ts`) and the checkpoint's arithmetic (`replay-checkpoint.ts`) are pure;
 * reading (`replay-reader.ts`) and writing the output (`replay-output.ts`) do the I/O.
 */
export class ReplayRunner {
  readonly workDir: string;
  private reader?: ReplayReader;
  private readonly match: (e: Envelope<unknown>) => boolean;
  private readonly checkpoints: CheckpointFile;

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
    this.workDir = opts.workDir ?? `${this.outputBase()}.replay`;
    this.checkpoints = new CheckpointFile(this.workDir);
    const preds = (selection.where ?? []).map(predicate);
    this.match = (e) => any(selection.types, e.type) && any(selection.sources, e.source) && preds.every((p) => p(e));
  }

  /** The topics, partitions and offset ranges the selection covers. */
  async plan(): Promise<PartitionRange[]> {
    const admin = await this.ctx.bus.admin.raw();
    const names = [...new Set(this.selection.topics.flatMap((g) => this.ctx.bus.catalogue.match(g).map((t) => t.name)))].sort();
    if (!names.length) throw new Error(`no catalogue topic matches ${this.selection.topics.join(', ')}`);
    const offsets = new Map<string, PartitionOffsets[]>();
    for (const topic of names) {
      const byTime = async (ts: number | undefined) => (ts === undefined ? undefined : new Map((await admin.fetchTopicOffsetsByTimestamp(topic, ts)).map((o) => [o.partition, o.offset])));
      const [log, fromT, toT] = await Promise.all([admin.fetchTopicOffsets(topic), byTime(this.selection.fromTime), byTime(this.selection.toTime)]);
      offsets.set(
        topic,
        log.map((o) => ({ partition: o.partition, low: o.low, high: o.high, atFromTime: fromT?.get(o.partition), atToTime: toT?.get(o.partition) })),
      );
    }
    return planRanges(this.selection, offsets);
  }

  /** Loads a matching checkpoint (truncating part files to their durable length) or starts fresh. */
  private prepare(ranges: PartitionRange[]): { cp: Checkpoint; resumed: boolean } {
    const planKey = planKeyOf(this.selection, this.output);
    const saved = this.checkpoints.load();
    if (saved?.planKey === planKey) {
      for (const r of saved.ranges) {
        const f = partFile(this.workDir, r.topic, r.partition);
        if (fs.existsSync(f)) fs.truncateSync(f, saved.parts[partKey(r.topic, r.partition)].bytes);
      }
      return { cp: saved, resumed: true };
    }
    fs.rmSync(this.workDir, { recursive: true, force: true });
    fs.mkdirSync(this.workDir, { recursive: true });
    const cp = newCheckpoint(this.opts.replayId ?? newEventId(), planKey, ranges);
    this.checkpoints.save(cp);
    return { cp, resumed: false };
  }

  async run(): Promise<ReplaySummary> {
    const started = Date.now();
    const { cp, resumed } = this.prepare(await this.plan());
    const total = offsetsTotal(cp);
    const progressFrom = offsetsDone(cp);
    const report = () => {
      const done = offsetsDone(cp);
      const secs = (Date.now() - started) / 1000;
      const perSecond = secs > 0 ? (done - progressFrom) / secs : 0;
      this.opts.progress?.({ done, total, records: Object.values(cp.parts).reduce((s, p) => s + p.records, 0), perSecond, etaSeconds: perSecond > 0 ? (total - done) / perSecond : null });
    };
    const timer = setInterval(report, 1000);
    try {
      if (Object.values(cp.parts).some((p) => !p.done)) await this.read(cp);
    } finally {
      clearInterval(timer);
    }
    report();
    const { output, checksum, records } = await writeOutput(cp, this.workDir, this.output);
    const t = totals(cp);
    const skippedFile = t.skipped.length ? writeSkipped(this.outputBase(), t.skipped) : null;
    // Done: the output is complete, the work dir (parts and checkpoint) is no longer needed.
    fs.rmSync(this.workDir, { recursive: true, force: true });
    return {
      replayId: cp.replayId,
      records,
      scanned: t.scanned,
      byTopic: t.byTopic,
      byType: t.byType,
      firstOccurredAt: t.first === null ? null : new Date(t.first).toISOString(),
      lastOccurredAt: t.last === null ? null : new Date(t.last).toISOString(),
      output,
      checksum,
      resumed,
      seconds: (Date.now() - started) / 1000,
      skipped: t.skipped.length,
      ...(skippedFile ? { skippedFile } : {}),
    };
  }

  private async read(cp: Checkpoint): Promise<void> {
    const target = this.output.kind === 'topic' ? this.output.target : null;
    if (target && target !== 'live' && !this.ctx.bus.catalogue.resolve(target)) await this.ctx.bus.admin.apply([this.ctx.bus.catalogue.declare(target)]);
    this.reader = new ReplayReader(this.ctx, cp, {
      workDir: this.workDir,
      match: this.match,
      target,
      // Payload predicates read parsed values, and republished events are encoded again.
      rawJson: !target && !(this.selection.where ?? []).length,
      skipUndecodable: this.opts.skipUndecodable ?? false,
      retryBackoffMs: this.opts.retryBackoffMs ?? 1000,
      saved: () => this.checkpoints.save(cp),
    });
    await this.reader.read();
  }

  /** The output's path, or for topic outputs a place under the data dir (work dir, skipped list). */
  private outputBase(): string {
    return this.output.kind === 'topic' ? path.join(this.ctx.config.paths.data, 'replay', this.output.target) : this.output.path;
  }

  async stop(): Promise<void> {
    await this.reader?.stop();
  }
}
