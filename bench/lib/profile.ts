import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { log } from './log';
import { BenchOptions, TargetId } from './options';
import { ProfileFunction, ProfileSummary } from './results';

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Marks the candidate's run inside a `node --cpu-prof` child, so the summary covers the measured
 * work and not the setup around it. V8's profile timestamps and process.hrtime share the
 * monotonic clock.
 */
export class ProfileWindow {
  private startUs = 0;
  constructor(private readonly file: string) {}
  start(): void {
    this.startUs = nowUs();
  }
  end(): void {
    fs.writeFileSync(this.file, JSON.stringify({ startUs: this.startUs, endUs: nowUs() }));
  }
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives: an npm package, a Phoenix lib, the bench harness, or Node/V8 itself. */
function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const lib = /\/libs\/([^/]+)\//.exec(url);
  if (lib) return `@phoenix/${lib[1]}`;
  if (/\/bench\//.test(url)) return 'bench harness (load generator)';
  return url.replace(/^file:\/\//, '');
}

function whereOf(url: string, line: number): string {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) u = u.slice(nm + 14);
  else u = u.replace(/^.*\/(?=(libs|apps|bench)\/)/, '');
  return `${u}:${line + 1}`;
}

/** Self time per function (and per area) of the samples inside the window. */
export function summarizeProfile(target: TargetId, file: string, window?: { startUs: number; endUs: number }, topN = 15): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  let t = prof.startTime;
  const times: { node: number; dt: number; at: number }[] = [];
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    const dt = prof.timeDeltas[i + 1] ?? 0;
    times.push({ node: prof.samples[i], dt, at: t });
  }
  let inWindow = window ? times.filter((s) => s.at >= window.startUs && s.at <= window.endUs) : times;
  if (inWindow.length < 20) inWindow = times; // clock mismatch: fall back to the whole run
  const fnSelf = new Map<string, { name: string; where: string; us: number }>();
  const areaSelf = new Map<string, number>();
  let total = 0;
  for (const s of inWindow) {
    const n = byId.get(s.node);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    total += s.dt;
    const key = `${name}|${url}|${lineNumber}`;
    const e = fnSelf.get(key) ?? { name, where: whereOf(url, lineNumber), us: 0 };
    e.us += s.dt;
    fnSelf.set(key, e);
    const area = areaOf(url, name);
    areaSelf.set(area, (areaSelf.get(area) ?? 0) + s.dt);
  }
  const pct = (us: number) => (total > 0 ? Math.round((1000 * us) / total) / 10 : 0);
  const top: ProfileFunction[] = [...fnSelf.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ name: e.name, where: e.where, selfMs: Math.round(e.us / 1000), selfPct: pct(e.us) }));
  const byArea = [...areaSelf.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([area, us]) => ({ area, selfMs: Math.round(us / 1000), selfPct: pct(us) }));
  return { target, file, windowMs: Math.round(total / 1000), samples: inWindow.length, top, byArea };
}

/** Profiles run at up to 0.3× the full sizes (20k memories for P6): the same code paths, in less time. */
export const PROFILE_SCALE = (o: BenchOptions) => Math.min(o.scale, 0.3);

/**
 * Re-runs one target's candidate in a child `node --cpu-prof` process (same scale, one run) and
 * summarizes the main thread's profile over the measured window.
 */
export async function profileTarget(target: TargetId, o: BenchOptions, script: string, outDir: string): Promise<ProfileSummary> {
  const dir = path.join(outDir, `${target}-${Date.now().toString(36)}`);
  fs.mkdirSync(dir, { recursive: true });
  const windowFile = path.join(dir, 'window.json');
  const args = [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    script,
    '--profile-child',
    target,
    '--window-file',
    windowFile,
    '--scale',
    String(PROFILE_SCALE(o)),
    '--n8n',
    'off',
    '--p6-memories',
    String(Math.min(o.p6Memories, 20000)),
    '--p6-seconds',
    '10',
    '--md',
    'off',
  ];
  log(`profiling ${target}: node --cpu-prof ${path.basename(script)} --profile-child ${target}`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: process.env });
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  // Default names are CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread.
  const main = files.find((f) => f.split('.')[4] === '0') ?? files[0];
  if (code !== 0 || !main) return { target, file: dir, windowMs: 0, samples: 0, top: [], byArea: [], error: `profile run exited with ${code}${main ? '' : ', no profile written'}` };
  const window = fs.existsSync(windowFile) ? (JSON.parse(fs.readFileSync(windowFile, 'utf8')) as { startUs: number; endUs: number }) : undefined;
  return summarizeProfile(target, path.join(dir, main), window);
}
