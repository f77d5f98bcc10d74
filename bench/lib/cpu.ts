import * as fs from 'node:fs';
import * as os from 'node:os';

/** Linux reports process times in clock ticks of 1/100 s (CLK_TCK) on every mainstream kernel. */
const CLK_TCK = 100;

interface MachineTicks {
  busy: number;
  total: number;
}

function machineTicks(): MachineTicks | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((s, x) => s + x, 0);
    return { busy: total - f[3] - f[4], total };
  } catch {
    return null;
  }
}

/** utime+stime (and the waited-for children's, for `self`) of a process, in seconds. */
function processSeconds(pid: number | 'self', withChildren = false): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after "(comm)": state is index 0, so utime (14th field) is index 11.
    const own = Number(f[11]) + Number(f[12]);
    const children = withChildren ? Number(f[13]) + Number(f[14]) : 0;
    return (own + children) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Children's CPU seconds (terminated and waited for) of this process. */
function childrenSeconds(): number | null {
  const all = processSeconds('self', true);
  const own = processSeconds('self', false);
  return all === null || own === null ? null : all - own;
}

export interface CpuReport {
  wallS: number;
  /** This Node process (all threads), % of one core. */
  processPct: number;
  /** Child processes that finished during the phase (e.g. the Java perf tools), % of one core. */
  childrenPct: number | null;
  /** Other processes watched by pid (the Kafka broker, n8n …), % of one core each. */
  watched: Record<string, number | null>;
  /** Whole machine, % of all cores (100 = every core busy). */
  machinePct: number | null;
}

/** Samples CPU over a phase: process.cpuUsage for this process, /proc for the rest. */
export class CpuMeter {
  private t0 = 0;
  private proc0: NodeJS.CpuUsage = { user: 0, system: 0 };
  private m0: MachineTicks | null = null;
  private c0: number | null = null;
  private w0 = new Map<string, number | null>();

  constructor(private readonly watch: Record<string, number | undefined> = {}) {}

  start(): this {
    this.t0 = performance.now();
    this.proc0 = process.cpuUsage();
    this.m0 = machineTicks();
    this.c0 = childrenSeconds();
    for (const [name, pid] of Object.entries(this.watch)) this.w0.set(name, pid ? processSeconds(pid) : null);
    return this;
  }

  stop(): CpuReport {
    const wallS = (performance.now() - this.t0) / 1000;
    const proc = process.cpuUsage(this.proc0);
    const m1 = machineTicks();
    const c1 = childrenSeconds();
    const pct = (cpuS: number) => (wallS > 0 ? (100 * cpuS) / wallS : 0);
    const watched: Record<string, number | null> = {};
    for (const [name, pid] of Object.entries(this.watch)) {
      const before = this.w0.get(name);
      const after = pid ? processSeconds(pid) : null;
      watched[name] = before !== null && before !== undefined && after !== null ? pct(after - before) : null;
    }
    return {
      wallS,
      processPct: pct((proc.user + proc.system) / 1e6),
      childrenPct: this.c0 !== null && c1 !== null ? pct(c1 - this.c0) : null,
      watched,
      machinePct: this.m0 && m1 && m1.total > this.m0.total ? (100 * (m1.busy - this.m0.busy)) / (m1.total - this.m0.total) : null,
    };
  }
}

/** Runs `work` while measuring CPU; returns its result and the report. */
export async function measured<T>(watch: Record<string, number | undefined>, work: () => Promise<T>): Promise<{ result: T; cpu: CpuReport }> {
  const meter = new CpuMeter(watch).start();
  const result = await work();
  return { result, cpu: meter.stop() };
}

export const cores = () => os.cpus().length;
