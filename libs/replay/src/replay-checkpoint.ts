import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { partKey } from './replay-plan';
import { PartitionRange, ReplayOutput, ReplaySelection } from './replay.types';
import { PhoenixError } from '@phoenix/errors';

/** Where one partition's replay stands. */
export interface PartState {
  next: string;
  /** Bytes of the partition's part file that are durable. */
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

export interface Checkpoint {
  version: 1;
  replayId: string;
  planKey: string;
  ranges: PartitionRange[];
  parts: Record<string, PartState>;
}

/** What one fetched batch of a partition added, folded into the checkpoint once its records are durable. */
export interface BatchTally {
  next: string;
  bytes: number;
  records: number;
  scanned: number;
  byType: Record<string, number>;
  first: number | null;
  last: number | null;
  skipped: { offset: string; error: string }[];
  done: boolean;
}

export enum ReplayErrorCode {
  /** The replay cannot complete as asked (an undecodable record without --skip-undecodable, a damaged checkpoint). */
  Failed = 'REPLAY_FAILED',
  /** A replay option that does not parse. */
  OptionInvalid = 'REPLAY_OPTION_INVALID',
  /** A dataset asked of one request that is larger than a request builds. */
  DatasetTooLarge = 'DATASET_TOO_LARGE',
}

/** A replay that cannot complete as asked (an undecodable record without --skip-undecodable, a damaged checkpoint). */
export class ReplayError extends PhoenixError<ReplayErrorCode> {
  constructor(message: string, code = ReplayErrorCode.Failed) {
    super(code, message, { kind: 'record' });
  }
}

/** Identifies a replay's plan: a checkpoint of another selection or output is not resumed. */
export function planKeyOf(selection: ReplaySelection, output: ReplayOutput): string {
  return createHash('sha256').update(JSON.stringify({ selection, output })).digest('hex');
}

export function newCheckpoint(replayId: string, planKey: string, ranges: PartitionRange[]): Checkpoint {
  return {
    version: 1,
    replayId,
    planKey,
    ranges,
    parts: Object.fromEntries(ranges.map((r) => [partKey(r.topic, r.partition), { next: r.start, bytes: 0, records: 0, scanned: 0, byType: {}, first: null, last: null, done: r.start === r.end }])),
  };
}

/** Folds a durable batch into its partition's state. */
export function foldBatch(st: PartState, t: BatchTally): void {
  st.bytes += t.bytes;
  st.records += t.records;
  st.scanned += t.scanned;
  for (const [type, n] of Object.entries(t.byType)) st.byType[type] = (st.byType[type] ?? 0) + n;
  st.first = t.first;
  st.last = t.last;
  st.next = t.next;
  if (t.skipped.length) st.skipped = [...(st.skipped ?? []), ...t.skipped];
  if (t.done) st.done = true;
}

/** Offsets read so far over all ranges (for progress). */
export function offsetsDone(cp: Checkpoint): number {
  return cp.ranges.reduce((s, r) => s + Number(BigInt(cp.parts[partKey(r.topic, r.partition)].next) - BigInt(r.start)), 0);
}

export function offsetsTotal(cp: Checkpoint): number {
  return cp.ranges.reduce((s, r) => s + Number(BigInt(r.end) - BigInt(r.start)), 0);
}

/** The summary's figures from a finished checkpoint. */
export function totals(cp: Checkpoint): { scanned: number; byTopic: Record<string, number>; byType: Record<string, number>; first: number | null; last: number | null; skipped: { topic: string; partition: number; offset: string; error: string }[] } {
  const byTopic: Record<string, number> = {};
  const byType: Record<string, number> = {};
  let first: number | null = null;
  let last: number | null = null;
  let scanned = 0;
  const skipped: { topic: string; partition: number; offset: string; error: string }[] = [];
  for (const r of cp.ranges) {
    const p = cp.parts[partKey(r.topic, r.partition)];
    scanned += p.scanned;
    byTopic[r.topic] = (byTopic[r.topic] ?? 0) + p.records;
    for (const [t, n] of Object.entries(p.byType)) byType[t] = (byType[t] ?? 0) + n;
    if (p.first !== null) first = first === null ? p.first : Math.min(first, p.first);
    if (p.last !== null) last = last === null ? p.last : Math.max(last, p.last);
    for (const x of p.skipped ?? []) skipped.push({ topic: r.topic, partition: r.partition, ...x });
  }
  return { scanned, byTopic, byType, first, last, skipped };
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

/** Checks a parsed checkpoint; `where` names it in the error (a damaged file is named, never trusted). */
export function parseCheckpoint(raw: unknown, where: string, startOver: string): Checkpoint {
  const r = checkpointSchema.safeParse(raw);
  if (!r.success) {
    const why = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ReplayError(`replay checkpoint ${where} is not a version-1 checkpoint (${why}); ${startOver}`);
  }
  for (const range of r.data.ranges) {
    if (!r.data.parts[partKey(range.topic, range.partition)]) throw new ReplayError(`replay checkpoint ${where} has no state for ${partKey(range.topic, range.partition)}; ${startOver}`);
  }
  return r.data;
}

/** checkpoint.json in the replay's work dir: written atomically, read back checked. */
export class CheckpointFile {
  readonly file: string;

  constructor(private readonly workDir: string) {
    this.file = path.join(workDir, 'checkpoint.json');
  }

  /** The saved checkpoint, or undefined when there is none. */
  load(): Checkpoint | undefined {
    if (!fs.existsSync(this.file)) return undefined;
    const startOver = `delete ${this.workDir} to start the replay over`;
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch (err) {
      throw new ReplayError(`replay checkpoint ${this.file} is not JSON (${(err as Error).message}); ${startOver}`);
    }
    return parseCheckpoint(raw, this.file, startOver);
  }

  save(cp: Checkpoint): void {
    fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(cp));
    fs.renameSync(`${this.file}.tmp`, this.file);
  }
}
