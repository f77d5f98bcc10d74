import * as fs from 'node:fs';
import * as path from 'node:path';
import { stackOptions } from '@phoenix/stack';
import { ANALYSIS } from './analysis';
import { BenchEnv } from './lib/bench-env';
import { KafkaTools } from './lib/java-tools';
import { log } from './lib/log';
import { gitInfo, MachineInfo, machineInfo } from './lib/machine';
import { BenchOptions, readOptions, TargetId } from './lib/options';
import { profileTarget, ProfileWindow } from './lib/profile';
import { BenchReport, renderMarkdown, reportOptions } from './lib/report';
import { MeasureOutput } from './lib/results';
import { runP1 } from './p1-publish';
import { runP2 } from './p2-e2e';
import { runSink } from './p3-p4-sink';
import { runP5 } from './p5-webhook';
import { runP6 } from './p6-search';
import { runP7 } from './p7-memory';
import { runP8 } from './p8-router';

/** Re-runs one candidate for `node --cpu-prof` (the parent summarizes the profile). */
async function profileChild(b: BenchEnv, o: BenchOptions, id: TargetId): Promise<void> {
  const w = new ProfileWindow(o.profileChild!.windowFile);
  switch (id) {
    case 'P1':
      await runP1(b, o, null, w);
      break;
    case 'P2':
    case 'P9':
      await runP2(b, o, w);
      break;
    case 'P3':
      await runSink(b, o, null, { p3: true, p4: false }, w);
      break;
    case 'P4':
      await runSink(b, o, null, { p3: false, p4: true }, w);
      break;
    case 'P5':
      await runP5(b, o, w);
      break;
    case 'P6':
      await runP6(b, o, w);
      break;
    case 'P7':
      await runP7(b, o, w);
      break;
    case 'P8':
      await runP8(b, o, w);
      break;
  }
}

async function main(): Promise<number> {
  const o = readOptions(process.argv.slice(2), process.env);
  const started = Date.now();
  const b = new BenchEnv(o);
  if (o.profileChild) {
    try {
      await b.prepare();
      await profileChild(b, o, o.profileChild.target);
    } finally {
      await b.cleanup();
    }
    return 0;
  }

  log(`Phoenix bench: scale ${o.scaleName}, ${o.reps} repetitions, targets ${[...o.only].join(', ')}`);
  const date = new Date().toISOString();
  const git = gitInfo(b.root);
  const outputs: MeasureOutput[] = [];
  const errors: Record<string, string> = {};
  const step = async (name: string, work: () => Promise<MeasureOutput>) => {
    log(`── ${name} ──`);
    try {
      outputs.push(await work());
    } catch (err) {
      errors[name] = (err as Error).stack ?? String(err);
      log(`${name} failed: ${(err as Error).stack ?? err}`);
    }
  };
  let machine: MachineInfo;
  try {
    await b.prepare();
    machine = machineInfo(b.kafkaLibs, stackOptions(b.env).kafka.version);
    log(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, Kafka ${machine.kafka}; load ${machine.loadAverageAtStart.join(' ')}`);
    let tools: KafkaTools | null = null;
    try {
      tools = new KafkaTools(b.kafkaLibs!, path.join(b.tmp, 'tools'));
    } catch (err) {
      log(`Kafka perf tools unavailable, B2/B5 skipped: ${(err as Error).message}`);
    }
    if (o.only.has('P1')) await step('P1', () => runP1(b, o, tools));
    if (o.only.has('P3') || o.only.has('P4')) await step(o.only.has('P3') && o.only.has('P4') ? 'P3/P4' : o.only.has('P3') ? 'P3' : 'P4', () => runSink(b, o, tools, { p3: o.only.has('P3'), p4: o.only.has('P4') }));
    if (o.only.has('P2') || o.only.has('P9')) await step('P2/P9', () => runP2(b, o));
    if (o.only.has('P5')) await step('P5', () => runP5(b, o));
    if (o.only.has('P6')) await step('P6', () => runP6(b, o));
    if (o.only.has('P7')) await step('P7', () => runP7(b, o));
    if (o.only.has('P8')) await step('P8', () => runP8(b, o));
  } finally {
    await b.cleanup();
  }

  const targets = outputs.flatMap((x) => x.targets);
  const script = path.join(__dirname, 'run.js');
  const profilesDir = path.join(b.root, 'bench', 'results', 'profiles');
  for (const t of targets) {
    const wanted = o.profile === 'auto' ? t.met === false : o.profile !== 'off' && o.profile.has(t.id);
    if (!wanted) continue;
    try {
      t.profile = await profileTarget(t.id, o, script, profilesDir);
    } catch (err) {
      t.profile = { target: t.id, file: '', windowMs: 0, samples: 0, top: [], byArea: [], error: (err as Error).message };
    }
  }

  const report: BenchReport = {
    date,
    git,
    machine,
    options: reportOptions(o),
    durationS: (Date.now() - started) / 1000,
    targets,
    series: outputs.flatMap((x) => x.series),
    errors: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.split('\n').slice(0, 3).join(' ')])),
    analysis: Object.fromEntries(targets.filter((t) => t.met === false && ANALYSIS[t.id]).map((t) => [t.id, ANALYSIS[t.id]!])),
  };
  const out = path.resolve(b.root, o.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  log(`wrote ${path.relative(b.root, out)}`);
  if (o.md) {
    const md = path.resolve(b.root, o.md);
    fs.writeFileSync(md, renderMarkdown(report));
    log(`wrote ${path.relative(b.root, md)}`);
  }
  for (const t of targets) log(`${t.id}: ${t.met === true ? 'met' : t.met === false ? 'MISSED' : 'not measured'} — ${t.checks.map((c) => `${c.text} ${c.value.toFixed(2)} (goal ${c.op} ${c.threshold})`).join('; ')}`);
  log(`done in ${((Date.now() - started) / 60000).toFixed(1)} min`);
  return Object.keys(errors).length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
