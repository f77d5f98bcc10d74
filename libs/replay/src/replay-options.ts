import { TOPICS } from '@phoenix/contracts';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { buildPreferences, readInteractions, writeDataset } from './preferences';
import { ReplayProgress, ReplayRunner } from './replay-runner';
import { ReplayOutput, ReplaySelection } from './replay.types';
import { Predicate } from '@phoenix/routing';
import { AppContext } from '@phoenix/runtime';
import { ReplayError, ReplayErrorCode } from './replay-checkpoint';

/** A bad replay option: reported as one line, exit code 1. */
export class ReplayOptionError extends ReplayError {
  constructor(message: string) {
    super(message, ReplayErrorCode.OptionInvalid);
  }
}

const list = (v?: string) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

function time(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw new ReplayOptionError(`${flag}: expected epoch ms or an ISO-8601 time, got "${v}"`);
  return t;
}

function offsets(v: string | undefined, flag: string): Record<string, string> | undefined {
  if (!v) return undefined;
  const out: Record<string, string> = {};
  for (const part of v.split(',')) {
    const m = /^(.+):(\d+)=(\d+)$/.exec(part.trim());
    if (!m) throw new ReplayOptionError(`${flag}: expected topic:partition=offset[,…], got "${part}"`);
    out[`${m[1]}:${m[2]}`] = m[3];
  }
  return out;
}

/** A progress bar on a terminal, a line every few seconds otherwise. */
export function progressPrinter(): (p: ReplayProgress) => void {
  let lastLine = 0;
  return (p) => {
    const pct = p.total ? ((p.done / p.total) * 100).toFixed(1) : '100.0';
    const eta = p.etaSeconds === null ? '—' : `${Math.ceil(p.etaSeconds)}s`;
    const width = 30;
    const filled = p.total ? Math.round((p.done / p.total) * width) : width;
    const text = `replay [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${p.done.toLocaleString('en')}/${p.total.toLocaleString('en')} ${Math.round(p.perSecond).toLocaleString('en')} ev/s ETA ${eta} (${p.records.toLocaleString('en')} kept)`;
    if (process.stderr.isTTY) process.stderr.write(`\r${text}`);
    else if (Date.now() - lastLine > 5000 || p.done === p.total) {
      process.stderr.write(`${text}\n`);
      lastLine = Date.now();
    }
  };
}

export function selection(opts: Record<string, string | undefined>): ReplaySelection {
  const topics = list(opts.topics);
  if (!topics) throw new ReplayOptionError('--topics is required (catalogue topics or globs, comma-separated)');
  let where: Predicate[] | undefined;
  if (opts.where) {
    try {
      const parsed = JSON.parse(opts.where) as Predicate | Predicate[];
      where = Array.isArray(parsed) ? parsed : [parsed];
    } catch (err) {
      throw new ReplayOptionError(`--where is not JSON (e.g. '{"path":"$.payload.after.stage","equals":"closed-won"}'): ${(err as Error).message}`);
    }
  }
  return {
    topics,
    partitions: list(opts.partitions)?.map(Number),
    fromTime: time(opts.from, '--from'),
    toTime: time(opts.to, '--to'),
    fromOffsets: offsets(opts.fromOffsets, '--from-offsets'),
    toOffsets: offsets(opts.toOffsets, '--to-offsets'),
    types: list(opts.type),
    sources: list(opts.source),
    where,
  };
}

/** The selection flags shared by `phoenix replay`, `phoenix dataset preferences` and apps/replay. */
export const selectionOptions = (c: Command) =>
  c
    .option('--topics <list>', 'catalogue topics or globs, comma-separated')
    .option('--partitions <list>', 'only these partitions')
    .option('--from <time>', 'start at this time (ISO-8601 or epoch ms)')
    .option('--to <time>', 'end before this time')
    .option('--from-offsets <list>', 'start offsets: topic:partition=offset,…')
    .option('--to-offsets <list>', 'end offsets (exclusive): topic:partition=offset,…')
    .option('--type <globs>', 'only these event types')
    .option('--source <globs>', 'only these sources')
    .option('--where <json>', 'JSONPath predicate(s), e.g. {"path":"$.payload.op","equals":"update"}');

/** The output flags of a replay. */
export const outputOptions = (c: Command) =>
  c
    .option('-o, --out <file>', 'output file: .jsonl or .parquet')
    .option('--to-topic <name>', 're-publish to retrain.<name>')
    .option('--to-live', 're-publish onto the original topics with the replay marker (no MCP calls, tasks or n8n; shadow memory)')
    .option('--skip-undecodable', 'skip records that can never be decoded, listing them in <output>.skipped.jsonl (default: stop at the first one)');

export type ReplayOptions = Record<string, string | undefined> & { toLive?: boolean; skipUndecodable?: boolean };

export function output(opts: ReplayOptions): ReplayOutput {
  if (opts.out) {
    const ext = path.extname(opts.out).toLowerCase();
    if (ext !== '.jsonl' && ext !== '.parquet') throw new ReplayOptionError('--out must end in .jsonl or .parquet');
    return { kind: ext === '.jsonl' ? 'jsonl' : 'parquet', path: path.resolve(opts.out) };
  }
  if (opts.toTopic) return { kind: 'topic', target: opts.toTopic.startsWith('retrain.') ? opts.toTopic : `retrain.${opts.toTopic}` };
  if (opts.toLive) return { kind: 'topic', target: 'live' };
  throw new ReplayOptionError('give --out <file>, --to-topic <name> or --to-live');
}

/** Runs a replay from command-line options: progress on stderr, the summary as JSON on stdout. */
export async function runReplay(opts: ReplayOptions, app = 'replay'): Promise<void> {
  const sel = selection(opts);
  const out = output(opts);
  const ctx = AppContext.forCli(app);
  try {
    const summary = await new ReplayRunner(ctx, sel, out, { progress: progressPrinter(), skipUndecodable: opts.skipUndecodable === true }).run();
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } finally {
    await ctx.close();
  }
}

/** Builds the preference pairs and SFT records from interactions selected by the options. */
export async function runPreferencesDataset(opts: Record<string, string | undefined>): Promise<void> {
  const sel = selection({ ...opts, topics: opts.topics ?? `${TOPICS.interactionsChat},${TOPICS.interactionsFeedback}` });
  const out = path.resolve(opts.out!);
  const ctx = AppContext.forCli('dataset');
  const tmp = path.join(os.tmpdir(), `phoenix-preferences-${process.pid}.jsonl`);
  try {
    await new ReplayRunner(ctx, sel, { kind: 'jsonl', path: tmp }, { progress: progressPrinter() }).run();
    const { messages, feedback } = readInteractions(tmp);
    const { pairs, sft } = buildPreferences(messages, feedback);
    const p = await writeDataset(path.join(out, 'preference_pairs'), pairs);
    const s = await writeDataset(path.join(out, 'sft'), sft);
    process.stdout.write(JSON.stringify({ messages: messages.length, feedback: feedback.length, pairs: pairs.length, sft: sft.length, files: [p.jsonl, p.parquet, s.jsonl, s.parquet] }, null, 2) + '\n');
  } finally {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}.replay`, { recursive: true, force: true });
    await ctx.close();
  }
}
