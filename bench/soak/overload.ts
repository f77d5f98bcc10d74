import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppContext } from '@phoenix/runtime';
import { StackManager, stackOptions } from '@phoenix/stack';
import { gitInfo, machineInfo } from '../lib/machine';
import { summarize } from '../lib/stats';
import type { OverloadPhase, OverloadPhaseResult } from './overload.worker';
import { SoakFleet } from './soak-fleet';
import { prependSection } from './soak-report';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const KEY = 'overload-api-key-0123456789';
const log = (msg: string) => process.stderr.write(`[overload ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function phase(o: OverloadPhase): Promise<OverloadPhaseResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'overload.worker.js'), { workerData: o });
    w.once('message', (m: { ok: boolean; result?: OverloadPhaseResult; error?: string }) => {
      void w.terminate();
      if (m.ok) resolve(m.result!);
      else reject(new Error(m.error));
    });
    w.once('error', reject);
  });
}

interface WrkResult {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  timeouts: number;
  statuses: Record<string, number>;
}

/**
 * wrk (C, closed loop) with `connections` clients: per CPU it offers far more requests than a
 * Node client, which matters on a machine where generator and gateway share two cores.
 */
async function wrk(url: string, apiKey: string, topic: string, connections: number, seconds: number, dir: string): Promise<WrkResult> {
  const script = path.join(dir, 'post.lua');
  const body = JSON.stringify({ topic, type: 'overload.probe', key: 'k', payload: { pad: 'x'.repeat(120) } });
  fs.writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      `wrk.body = ${JSON.stringify(body)}`,
      'wrk.headers["Content-Type"] = "application/json"',
      `wrk.headers["Authorization"] = "Bearer ${apiKey}"`,
      'counts = {}',
      'local threads = {}',
      'function setup(t) table.insert(threads, t) end',
      'function init() counts = {} end',
      'function response(status) counts[status] = (counts[status] or 0) + 1 end',
      'function done(summary, latency, requests)',
      '  local all = {}',
      '  for _, t in ipairs(threads) do local c = t:get("counts") for s, n in pairs(c) do all[s] = (all[s] or 0) + n end end',
      '  for s, n in pairs(all) do io.write(string.format("status %d %d\\n", s, n)) end',
      'end',
    ].join('\n'),
  );
  const child = spawn('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--timeout', '2s', '--latency', '-s', script, `${url}/v1/events`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((r) => child.once('exit', r));
  const ms = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 's' ? v * 1000 : m[2] === 'us' ? v / 1000 : v;
  };
  const statuses: Record<string, number> = {};
  for (const m of out.matchAll(/^status (\d+) (\d+)$/gm)) statuses[m[1]] = Number(m[2]);
  return { perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), p50Ms: ms(/^\s+50%\s+([\d.]+)(us|ms|s)/m), p99Ms: ms(/^\s+99%\s+([\d.]+)(us|ms|s)/m), timeouts: Number(/timeout (\d+)/.exec(out)?.[1] ?? 0), statuses };
}

/** The process and its descendants (a gateway cluster's primary and workers). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // the process ended while the table was read
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}

/** Resident memory of the gateway: its process and every worker it forked. */
function rssMiB(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      kb += m ? Number(m[1]) : 0;
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

async function withRss<T>(pid: number, work: Promise<T>): Promise<{ result: T; maxRss: number }> {
  let maxRss = rssMiB(pid);
  const t = setInterval(() => (maxRss = Math.max(maxRss, rssMiB(pid))), 200);
  const result = await work;
  clearInterval(t);
  return { result, maxRss };
}

/**
 * Overload: the gateway's unloaded p99, its maximum sustainable rate (closed loop, no errors),
 * then open-loop load at `factor` × that rate. Checks that shed requests get 429 fast, accepted
 * ones keep their latency, memory stays bounded and no client times out.
 */
export async function overload(opts: { factor: number; seconds: number; report: string; maxInFlight?: number; workers: number; edge: 'haproxy' | 'none' }): Promise<boolean> {
  const run = `${Date.now()}`;
  const topic = `events.overload-${run}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-overload-'));
  const configDir = path.join(work, 'config');
  fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
  fs.appendFileSync(path.join(configDir, 'topics.yaml'), `  - name: ${topic}\n    partitions: 6\n`);
  const stack = new StackManager(stackOptions(process.env), (m) => log(`stack: ${m}`));
  await stack.up();
  const env: NodeJS.ProcessEnv = { ...process.env, ...stack.clientEnv(), PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: path.join(work, 'data'), PHOENIX_INSTANCE: `overload-${run}`, PHOENIX_API_KEYS: `${KEY}=*`, LOG_LEVEL: 'warn', GATEWAY_WORKERS: String(opts.workers), GATEWAY_EDGE: opts.edge, ...(opts.maxInFlight ? { GATEWAY_MAX_IN_FLIGHT: String(opts.maxInFlight) } : {}) };
  const ctx = AppContext.create('overload', { ...env }, { logToStderr: true });
  await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name === topic));
  await ctx.close();
  const fleet = new SoakFleet(ROOT, env, path.join(work, 'logs'), 19800);
  try {
    await fleet.start('gateway');
    const pid = fleet.pid('gateway')!;
    const base = { url: fleet.url('gateway'), apiKey: KEY, topic, timeoutMs: 2000 };
    log('warm-up');
    await phase({ ...base, rate: 0, concurrency: 16, durationMs: 5000 });
    log('unloaded p99 (50 requests/s)');
    const unloaded = await phase({ ...base, rate: 50, concurrency: 0, durationMs: 10_000 });
    const p99Unloaded = summarize(unloaded.accepted).p99;
    // 32 connections: the admission limit's floor, so the closed loop measures the gateway, not its shedding.
    log('maximum sustainable rate (wrk, closed loop, 32 connections)');
    const max = await withRss(pid, wrk(base.url, KEY, topic, 32, opts.seconds, work));
    const maxOk = max.result.statuses['201'] ?? 0;
    const errorsAtMax = Object.entries(max.result.statuses).reduce((n, [s, c]) => (s === '201' ? n : n + c), 0) + max.result.timeouts;
    const maxRate = maxOk / opts.seconds;
    const connections = 64 * opts.factor;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    log(`max ${maxRate.toFixed(0)}/s; now wrk with ${connections} connections, and a 50/s probe that times each answer by status`);
    // wrk reports one latency histogram for every answer; the probe, an open-loop client beside
    // it, tells the 429s' latency from the accepted requests'.
    // Its few keep-alive connections open a second before the flood: it times requests, while the
    // flood's own connection ramp shows in wrk's timeouts.
    const probeRun = phase({ ...base, rate: 50, concurrency: 0, sockets: 8, durationMs: Math.max(1000, (opts.seconds - 1) * 1000) });
    await sleep(1000);
    const over = await withRss(pid, wrk(base.url, KEY, topic, connections, opts.seconds, work));
    const probe = await probeRun;
    const o = over.result;
    const shedCount = o.statuses['429'] ?? 0;
    const acceptedCount = o.statuses['201'] ?? 0;
    const other = Object.entries(o.statuses).filter(([s]) => s !== '201' && s !== '429');
    const probeOther = Object.entries(probe.statuses).filter(([s]) => s !== '201' && s !== '429');
    const probeShed = summarize(probe.shed);
    const probeAccepted = summarize(probe.accepted);
    const offered = o.perSecond / maxRate;
    const rows = [
      { check: 'unloaded p99 (50/s open loop)', value: `${p99Unloaded.toFixed(1)} ms`, goal: '', ok: true },
      { check: 'max sustainable rate (32 connections)', value: `${maxRate.toFixed(0)}/s, p99 ${max.result.p99Ms.toFixed(1)} ms, ${errorsAtMax} errors, RSS ${max.maxRss.toFixed(0)} MiB`, goal: 'no errors', ok: errorsAtMax === 0 },
      { check: `overload: wrk, ${connections} connections`, value: `${o.perSecond.toFixed(0)} answers/s = ${offered.toFixed(1)}× max: ${acceptedCount} accepted, ${shedCount} shed (429), other ${JSON.stringify(Object.fromEntries(other))}; p99 of all answers ${o.p99Ms.toFixed(1)} ms`, goal: `${opts.factor}× max answered`, ok: offered >= opts.factor && other.length === 0 },
      { check: 'probe during overload: shed (429) latency', value: `${probe.shed.length} shed, p99 ${probeShed.p99.toFixed(1)} ms (p50 ${probeShed.p50.toFixed(1)} ms)`, goal: '≤ 50 ms', ok: probe.shed.length === 0 || probeShed.p99 <= 50 },
      { check: 'probe during overload: accepted (2xx) latency', value: `${probe.accepted.length} accepted, p99 ${probeAccepted.p99.toFixed(1)} ms (p50 ${probeAccepted.p50.toFixed(1)} ms)`, goal: `≤ 3 × ${p99Unloaded.toFixed(1)} ms`, ok: probe.accepted.length > 0 && probeAccepted.p99 <= 3 * p99Unloaded },
      { check: 'gateway RSS', value: `${over.maxRss.toFixed(0)} MiB`, goal: `≤ 1.5 × ${max.maxRss.toFixed(0)} MiB`, ok: over.maxRss <= 1.5 * max.maxRss },
      { check: 'client timeouts (2 s), wrk + probe', value: `${o.timeouts} + ${probe.timeouts}; probe other answers ${JSON.stringify(Object.fromEntries(probeOther))}, ${probe.saturated} probe sends skipped`, goal: '0', ok: o.timeouts === 0 && probe.timeouts === 0 && probeOther.length === 0 },
    ];
    const ok = rows.every((r) => r.ok);
    const git = gitInfo(ROOT);
    const m = machineInfo(undefined, 'local stack');
    const section = [
      `## overload — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — ${ok ? 'met' : 'NOT met'}`,
      '',
      `Commit ${git.commit.slice(0, 12)}${git.dirty ? ' (dirty)' : ''}; ${m.cores} × ${m.cpuModel}; gateway alone (GATEWAY_WORKERS ${opts.workers}, GATEWAY_EDGE ${opts.edge}) against the local stack, load from wrk on the same ${m.cores} cores; GATEWAY_MAX_IN_FLIGHT ${opts.maxInFlight ?? 'default'}; ${opts.seconds} s per phase.`,
      '',
      '| check | measured | goal | |',
      '|---|---|---|---|',
      ...rows.map((r) => `| ${r.check} | ${r.value} | ${r.goal} | ${r.ok ? 'ok' : '**MISS**'} |`),
      '',
    ].join('\n');
    prependSection(opts.report, section);
    process.stdout.write(section + '\n');
    return ok;
  } finally {
    fleet.killAll();
    if (process.env.OVERLOAD_KEEP) log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  overload({ factor: Number(arg('factor', '10')), seconds: Number(arg('seconds', '15')), report: path.resolve(arg('report', path.join(ROOT, 'SOAK.md'))), maxInFlight: Number(arg('max-in-flight', '0')) || undefined, workers: Number(arg('workers', String(os.cpus().length))), edge: arg('edge', 'haproxy') === 'none' ? 'none' : 'haproxy' }).then(
    (ok) => process.exit(ok ? 0 : 1),
    (err) => {
      process.stderr.write(`overload failed: ${(err as Error).stack}\n`);
      process.exit(2);
    },
  );
}
