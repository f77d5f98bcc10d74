import { CpuReport } from './cpu';
import { median } from './stats';
import { TargetId } from './options';

/** One repetition of one measure. */
export interface Rep {
  value: number;
  cpu: CpuReport;
  /** Anything else worth keeping (counts, latency percentiles, sizes). */
  detail?: Record<string, number | string | null>;
}

/** A measure (baseline B* or candidate P*) over its repetitions; the median is what ratios use. */
export interface Series {
  id: string;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  reps: Rep[];
  median: number;
  /** Set when the measure could not run (and why). */
  skipped?: string;
  note?: string;
}

export function series(id: string, label: string, unit: string, higherIsBetter: boolean, reps: Rep[], note?: string): Series {
  return { id, label, unit, higherIsBetter, reps, median: median(reps.map((r) => r.value)), note };
}

export function skippedSeries(id: string, label: string, unit: string, higherIsBetter: boolean, reason: string): Series {
  return { id, label, unit, higherIsBetter, reps: [], median: NaN, skipped: reason };
}

/** One condition of a target: `value op threshold`, where value is a ratio or an absolute figure. */
export interface Check {
  text: string;
  value: number;
  op: '>=' | '<=';
  threshold: number;
  unit: 'x' | 'ms' | string;
  met: boolean | null;
}

export function check(text: string, value: number, op: '>=' | '<=', threshold: number, unit: string): Check {
  const met = Number.isFinite(value) ? (op === '>=' ? value >= threshold : value <= threshold) : null;
  return { text, value, op, threshold, unit, met };
}

export interface ProfileFunction {
  name: string;
  where: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  target: TargetId;
  file: string;
  windowMs: number;
  samples: number;
  top: ProfileFunction[];
  /** Self time grouped by package / Phoenix lib / node internals. */
  byArea: { area: string; selfMs: number; selfPct: number }[];
  error?: string;
}

export interface TargetResult {
  id: TargetId;
  title: string;
  candidate: string;
  baselines: string[];
  checks: Check[];
  /** All checks met (null: not measurable in this run). */
  met: boolean | null;
  /** Scale, caveats, what was measured exactly. */
  notes: string[];
  profile?: ProfileSummary;
}

export function target(id: TargetId, title: string, candidate: string, baselines: string[], checks: Check[], notes: string[] = []): TargetResult {
  const known = checks.filter((c) => c.met !== null);
  const met = known.length === 0 ? null : known.every((c) => c.met) && known.length === checks.length ? true : known.some((c) => c.met === false) ? false : null;
  return { id, title, candidate, baselines, checks, met, notes };
}

/** What a measure module hands back. */
export interface MeasureOutput {
  series: Series[];
  targets: TargetResult[];
}
