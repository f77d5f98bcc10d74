import * as fs from 'node:fs';
import * as path from 'node:path';
import { createEnvelope, Envelope, JsonValue } from '@phoenix/contracts';
import { LocalEmbedder, renderEvent } from '@phoenix/memory';
import { createMemoryWriter } from '@phoenix/memory-writer';
import { BenchEnv } from './lib/bench-env';
import { measured } from './lib/cpu';
import { log, until } from './lib/log';
import { BenchOptions, scaled } from './lib/options';
import { ProfileWindow } from './lib/profile';
import { check, MeasureOutput, Rep, series, target } from './lib/results';

/** The applier's batch: how many texts one embedding run takes in the memory-writer. */
const EMBED_BATCH = 256;

/** Short notes, each its own text (the embedder caches repeated texts, which would flatter both). */
function note(i: number): JsonValue {
  return { account: `acct-${i % 97}`, stage: ['lead', 'qualified', 'proposal', 'won', 'lost'][i % 5], amount: 1000 + ((i * 37) % 9000), text: `Call ${i} with account ${i % 97}: the customer asked about pricing tiers, onboarding time and the security review; follow up on item ${i}.` };
}

/** A config dir like the bench's, with memory on for the P7 topic (infer off: verbatim memories). */
function p7Config(b: BenchEnv, topic: string): string {
  const dir = path.join(b.tmp, 'config-p7');
  fs.cpSync(b.configDir, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'memory.yaml'), `topics: { include: ["${topic}"] }\nmemories:\n  - match: { topics: "${topic}" }\nstore: { infer: "off" }\n`);
  return dir;
}

/** P7: a fresh memory-writer (warehouse + memory on the embedded stores) from start to every memory applied. */
async function writerRun(b: BenchEnv, configDir: string, n: number, rep: string): Promise<number> {
  const ctx = b.context('bench-p7', { PHOENIX_CONFIG_DIR: configDir, PHOENIX_INSTANCE: `${b.instance}-p7-${rep}`, PHOENIX_DATA_DIR: path.join(b.tmp, `p7-${rep}`) });
  const writer = await createMemoryWriter(ctx);
  b.group(writer.group);
  const t0 = performance.now();
  try {
    await writer.start();
    await until('every memory applied', () => writer.applier.applied >= n, 900_000, 50);
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await writer.stop();
    await b.closeContext(ctx);
  }
}

/** B7: the same texts through the same model, in the applier's batch size, nothing stored. */
async function embedRun(embedder: LocalEmbedder, texts: string[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < texts.length; i += EMBED_BATCH) await embedder.embedDocuments(texts.slice(i, i + EMBED_BATCH));
  return texts.length / ((performance.now() - t0) / 1000);
}

/**
 * P7: memories/s of the memory-writer with memories on (default local embedder, embedded Mem0 store),
 * against B7: the model alone embedding the same rendered texts in batches, in the same process.
 */
export async function runP7(b: BenchEnv, o: BenchOptions, profile?: ProfileWindow): Promise<MeasureOutput> {
  const n = scaled(o, 4000, 300);
  const topic = b.topics.p7;
  const setup = b.context('bench-p7-load');
  const events: Envelope<JsonValue>[] = [];
  const modelsDir = setup.config.paths.models;
  try {
    await setup.bus.codec.prepare([topic]);
    log(`P7: preloading ${n} memory-worthy events`);
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const e = createEnvelope<JsonValue>({ type: 'deal.noted', source: 'bench', key: `deal-${i % 500}`, payload: note(i) });
      events.push(e);
      pending.push(setup.bus.producer.publish(topic, e));
    }
    await Promise.all(pending);
  } finally {
    await b.closeContext(setup);
  }
  const configDir = p7Config(b, topic);
  if (profile) {
    profile.start();
    await writerRun(b, configDir, n, 'prof');
    profile.end();
    return { series: [], targets: [] };
  }
  // Each text distinct per repetition, so neither side gets the embedder's cache.
  const texts = (rep: number) => events.map((e) => `${renderEvent(topic, e)} [r${rep}]`);
  const embedder = new LocalEmbedder(modelsDir);
  await embedder.embedDocuments(['warm-up: load the model']);
  const watch = b.watchedPids();
  const reps: Record<'raw' | 'p7', Rep[]> = { raw: [], p7: [] };
  for (let r = 1; r <= o.reps; r++) {
    const br = await measured(watch, () => embedRun(embedder, texts(r)));
    reps.raw.push({ value: br.result, cpu: br.cpu, detail: { texts: n, batch: EMBED_BATCH } });
    log(`P7 rep ${r}: model alone ${Math.round(br.result)} texts/s`);
    const pr = await measured(watch, () => writerRun(b, configDir, n, String(r)));
    reps.p7.push({ value: pr.result, cpu: pr.cpu, detail: { memories: n } });
    log(`P7 rep ${r}: memory-writer ${Math.round(pr.result)} memories/s`);
  }
  const s = {
    raw: series('B7', `the local embedder (${embedder.model.id}) embedding the same rendered texts, batches of ${EMBED_BATCH}, nothing stored`, 'texts/s', true, reps.raw),
    p7: series('P7', 'memory-writer, memories on (infer off): consume → warehouse rows + outbox → embed → Mem0 vector store, start → every memory applied', 'memories/s', true, reps.p7),
  };
  const t = target('P7', 'memory-writer with memories on (default local embedder), memories/s', 'P7', ['B7'], [check('P7 / B7', s.p7.median / s.raw.median, '>=', 0.8, 'x')], [
    `${n} events per repetition, each a memory (~200-character rendered text); each repetition a fresh memory-writer (new group, new warehouse and memory files), connect and group join included.`,
    'Both sides use the same model thread in the same process; texts differ per repetition so the embedder cache does not help either.',
  ]);
  return { series: [s.raw, s.p7], targets: [t] };
}
