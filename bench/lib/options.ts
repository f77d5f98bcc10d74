/**
 * Bench settings from flags and environment. Flags win over environment variables.
 *
 *   --scale <n|smoke|small|full>   BENCH_SCALE   size factor for every measure (full = 1)
 *   --reps <n>                     BENCH_REPS    interleaved repetitions per baseline/candidate pair (3)
 *   --only <P1,P3,...>             BENCH_ONLY    run only these targets
 *   --profile <auto|off|P2,...>    BENCH_PROFILE profile missed targets (auto), none, or the listed ones
 *   --n8n <auto|off>               BENCH_N8N     measure n8n's own webhook rate when n8n is installed
 *   --p6-memories <n>              BENCH_P6_MEMORIES   memories for P6 (100000 × scale)
 *   --p6-seconds <n>               BENCH_P6_SECONDS    time box for P6's queries
 *   --keep                         BENCH_KEEP=1  keep topics, data and groups for inspection
 *   --out <file>                   BENCH_OUT     JSON result (bench/results/latest.json)
 *   --md <file|off>                BENCH_MD      markdown report (BENCHMARKS.md)
 */
export interface BenchOptions {
  scale: number;
  scaleName: string;
  reps: number;
  only: Set<TargetId>;
  profile: 'auto' | 'off' | Set<TargetId>;
  n8n: 'auto' | 'off';
  p6Memories: number;
  p6Seconds: number;
  keep: boolean;
  out: string;
  md: string | null;
  logLevel: string;
  /** Set in the child process that re-runs one candidate under `node --cpu-prof`. */
  profileChild?: { target: TargetId; windowFile: string };
}

export const TARGET_IDS = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8', 'P9'] as const;
export type TargetId = (typeof TARGET_IDS)[number];

const PRESETS: Record<string, number> = { smoke: 0.05, small: 0.2, full: 1 };

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out.set(a.slice(2), argv[++i]);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

function targets(list: string): Set<TargetId> {
  const ids = list
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  for (const id of ids) if (!(TARGET_IDS as readonly string[]).includes(id)) throw new Error(`unknown target ${id} (known: ${TARGET_IDS.join(', ')})`);
  return new Set(ids as TargetId[]);
}

export function readOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const a = parseArgs(argv);
  const get = (flag: string, name: string) => a.get(flag) ?? env[name];
  const scaleRaw = get('scale', 'BENCH_SCALE') ?? 'full';
  const scale = PRESETS[scaleRaw] ?? Number(scaleRaw);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 20) throw new Error(`BENCH_SCALE must be smoke, small, full or a factor in (0, 20]; got ${scaleRaw}`);
  const reps = Number(get('reps', 'BENCH_REPS') ?? 3);
  if (!Number.isInteger(reps) || reps < 1 || reps > 20) throw new Error('BENCH_REPS must be an integer in [1, 20]');
  const profileRaw = get('profile', 'BENCH_PROFILE') ?? 'auto';
  const n8n = get('n8n', 'BENCH_N8N') ?? 'auto';
  if (n8n !== 'auto' && n8n !== 'off') throw new Error('BENCH_N8N must be auto or off');
  const md = get('md', 'BENCH_MD') ?? 'BENCHMARKS.md';
  const child = a.get('profile-child');
  return {
    scale,
    scaleName: PRESETS[scaleRaw] !== undefined ? `${scaleRaw} (×${scale})` : `×${scale}`,
    reps,
    only: targets(get('only', 'BENCH_ONLY') ?? TARGET_IDS.join(',')),
    profile: profileRaw === 'auto' || profileRaw === 'off' ? profileRaw : targets(profileRaw),
    n8n,
    p6Memories: Math.max(1000, Math.round(Number(get('p6-memories', 'BENCH_P6_MEMORIES') ?? 100000 * scale))),
    p6Seconds: Number(get('p6-seconds', 'BENCH_P6_SECONDS') ?? Math.max(20, Math.round(75 * Math.min(1, scale * 2)))),
    keep: (get('keep', 'BENCH_KEEP') ?? 'false') !== 'false' && get('keep', 'BENCH_KEEP') !== '0',
    out: get('out', 'BENCH_OUT') ?? 'bench/results/latest.json',
    md: md === 'off' ? null : md,
    logLevel: env.BENCH_LOG_LEVEL ?? 'error',
    profileChild: child ? { target: targets(child).values().next().value as TargetId, windowFile: a.get('window-file') ?? '' } : undefined,
  };
}

/** A size scaled by the bench scale, never below `min`. */
export const scaled = (o: BenchOptions, full: number, min: number) => Math.max(min, Math.round(full * o.scale));
