import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { localEmbedderModel, loadMemoryConfig } from '@phoenix/memory';
import { AppContext } from '@phoenix/runtime';
import { StackManager, stackOptions } from '@phoenix/stack';
import { gitInfo, machineInfo } from '../lib/machine';
import { percentile } from '../lib/stats';
import { SoakFleet } from '../soak/soak-fleet';
import { AUTH, log, pool, progress, startGroupAtEnd, topicEnd, waitMemoryWriter, waitOutboxEmpty } from './eval-support';
import { FeedbackResult, feedbackTriples, runFeedbackEval } from './feedback';
import { aggregate, CATEGORIES, Conversation, KS, loadLocomo, Question, QuestionScore, scoreQuestion, turnMessage } from './locomo';
import { qaSummary, QaResult, runQaEval } from './qa';
import { TOPICS } from '@phoenix/contracts';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface EvalOptions {
  dataset: string;
  conversations: number;
  questions: number;
  restart: boolean;
  concurrency: number;
  out: string;
  json: string;
  basePort: number;
  feedback: number;
  qa: number;
  llm: string | null;
  llmModel: string;
}

function options(argv: string[]): EvalOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string', default: process.env.LOCOMO_DATASET },
      conversations: { type: 'string', default: '10' },
      questions: { type: 'string', default: '0' },
      restart: { type: 'string', default: 'on' },
      concurrency: { type: 'string', default: '8' },
      out: { type: 'string', default: path.join(ROOT, 'EVAL.md') },
      json: { type: 'string', default: path.join(ROOT, 'bench', 'results', 'eval.json') },
      'base-port': { type: 'string', default: '18400' },
      feedback: { type: 'string', default: '60' },
      qa: { type: 'string', default: '100' },
      llm: { type: 'string' },
      'llm-model': { type: 'string' },
    },
  });
  if (!values.dataset) throw new Error('--dataset <path to locomo10.json> is required (or LOCOMO_DATASET)');
  if (!fs.existsSync(values.dataset)) throw new Error(`no dataset at ${values.dataset}`);
  const int = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min} (got "${v}")`);
    return n;
  };
  if (!['on', 'off'].includes(values.restart!)) throw new Error('--restart is on or off');
  return {
    dataset: values.dataset,
    conversations: int('conversations', values.conversations, 1),
    questions: int('questions', values.questions, 0),
    restart: values.restart === 'on',
    concurrency: int('concurrency', values.concurrency, 1),
    out: values.out!,
    json: values.json!,
    basePort: int('base-port', values['base-port'], 1024),
    feedback: int('feedback', values.feedback, 0),
    qa: int('qa', values.qa, 0),
    llm: values.llm ? values.llm.replace(/\/+$/, '') : null,
    llmModel: values['llm-model'] ?? (values.llm ? (process.env.LLM_MODEL ?? 'gpt-4o-mini') : LOCAL_LLM_MODEL),
  };
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const conversations = loadLocomo(o.dataset).slice(0, o.conversations);
  const turns = conversations.flatMap((c) => c.turns);
  log(`${conversations.length} conversation(s), ${turns.length} turns, ${conversations.reduce((a, c) => a + c.questions.length, 0)} questions with evidence`);

  const evalStarted = Date.now();
  const stack = new StackManager(stackOptions(process.env), log);
  await stack.up();
  const instance = `eval-${Date.now().toString(36)}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-eval-'));
  // Phoenix's own defaults (config/), its own data directory: the eval measures the defaults.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...stack.clientEnv(),
    PHOENIX_DATA_DIR: path.join(work, 'data'),
    PHOENIX_INSTANCE: instance,
    PHOENIX_SERVICE_KEY: `eval-service-${instance}`,
    LOG_LEVEL: 'info',
    SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true',
  };
  const ctx = AppContext.create('eval', { ...env, LOG_LEVEL: 'warn' }, { logToStderr: true });
  await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics());
  await startGroupAtEnd(ctx, `${instance}-memory-writer`);
  const base = await topicEnd(ctx, TOPICS.interactionsChat);
  const fleet = new SoakFleet(ROOT, env, path.join(work, 'logs'), o.basePort);
  process.on('SIGINT', () => (fleet.killAll(), process.exit(130)));
  try {
    await fleet.start('gateway');
    await fleet.start('memory-writer');
    const gateway = fleet.url('gateway');

    // 1. Every turn as a chat message through the gateway, dated by its session; the memory-writer
    //    is killed (SIGKILL: a crash, nothing flushed) and restarted half-way.
    const eventTurn = new Map<string, { sample: string; dia: string }>();
    const started = Date.now();
    let done = 0;
    const half = Math.floor(turns.length / 2);
    // Each turn replies to the one before it in its session (`replyTo`), as a chat client says.
    const messages = new Map(turns.map((t, i) => [t, turnMessage(t, turns[i - 1])]));
    const publish = async (batch: typeof turns) =>
      pool(batch, o.concurrency, async (t) => {
        const body = messages.get(t);
        const res = await fetch(`${gateway}/v1/interactions/chat`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`POST /v1/interactions/chat answered ${res.status}: ${await res.text()}`);
        const { id } = (await res.json()) as { id: string };
        eventTurn.set(id, { sample: t.sample, dia: t.dia });
        progress('publishing turns', ++done, turns.length, started);
      });
    await publish(turns.slice(0, half));
    let restarts = 0;
    if (o.restart) {
      await waitMemoryWriter(ctx, instance, TOPICS.interactionsChat, base, 0.4, half);
      log('killing the memory-writer (SIGKILL) and starting it again');
      await fleet.kill('memory-writer');
      await fleet.start('memory-writer');
      restarts++;
    }
    await publish(turns.slice(half));
    const writeStarted = Date.now();
    await waitMemoryWriter(ctx, instance, TOPICS.interactionsChat, base, 1, turns.length);
    // Committed means in the warehouse and the memory outbox; memories are applied from the outbox.
    await waitOutboxEmpty(fleet.url('memory-writer'));
    const writeSeconds = (Date.now() - started) / 1000;
    log(`every turn's memory applied ${((Date.now() - writeStarted) / 1000).toFixed(0)} s after the last publish`);

    // 2. The books: one memory per turn, none lost, none twice.
    const counts = await countMemories(gateway, conversations, eventTurn);
    log(`memories: ${counts.memories} for ${turns.length} turns; ${counts.lost} lost, ${counts.duplicates} duplicated`);

    // 3. Every question searched in its conversation's memory.
    const questions = conversations.flatMap((c) => (o.questions ? c.questions.slice(0, o.questions) : c.questions));
    const scores: QuestionScore[] = [];
    const qStarted = Date.now();
    let asked = 0;
    await pool(questions, 2, async (q) => {
      const t0 = performance.now();
      const res = await fetch(`${gateway}/v1/memory/search?${new URLSearchParams({ q: q.question.slice(0, 500), runId: q.sample, limit: '10' })}`, { headers: AUTH });
      const latency = performance.now() - t0;
      if (!res.ok) throw new Error(`GET /v1/memory/search answered ${res.status}: ${await res.text()}`);
      const { memories } = (await res.json()) as { memories: { metadata: Record<string, unknown> }[] };
      const retrieved = memories.map((m) => eventTurn.get(String(m.metadata.event_id))?.dia ?? null);
      scores.push(scoreQuestion(retrieved, q.evidence, q.category, latency));
      progress('searching memory', ++asked, questions.length, qStarted);
    });

    // 4. Answers with and without memory, from the configured model through the supervisor.
    let qa: QaResult | null = null;
    if (o.qa) {
      const endpoint = o.llm ?? (await localModel(stack));
      // The model is given to the supervisor only: with LLM_BASE_URL the memory-writer would extract facts (infer: auto).
      // A new supervisor group would otherwise plan again every task earlier runs left on supervisor.tasks
      // (in `npm test`, the LLM planner's: ~30 s each on the one-slot local model, ahead of these questions).
      await startGroupAtEnd(ctx, `${instance}-supervisor`, /^(supervisor\.tasks|mcp\.results)$/);
      // Each answer may wait 240 s (a task has 300 s): the local model serves one request at a time, and in
      // `npm test` another spec's long requests may still be ahead of the first question in its queue.
      await fleet.start('supervisor', 'supervisor', { LLM_BASE_URL: endpoint, LLM_MODEL: o.llmModel, LLM_TIMEOUT_MS: '240000', ...(process.env.LLM_API_KEY ? { LLM_API_KEY: process.env.LLM_API_KEY } : {}) });
      const asked = qaQuestions(conversations, o.qa);
      log(`asking ${asked.length} questions twice (memory on, memory off) through POST /v1/tasks, answered by ${o.llmModel} at ${endpoint}`);
      qa = await runQaEval({ gateway, questions: asked, model: o.llmModel, endpoint: o.llm ? endpoint : 'local (phoenix stack up llm)' });
    }

    // 5. Feedback that changes the next answer.
    const feedback = o.feedback
      ? await runFeedbackEval({ ctx, instance, gateway, writer: fleet.url('memory-writer'), triples: feedbackTriples(conversations, o.feedback), root: ROOT, env, work, since: evalStarted })
      : null;

    const report = buildReport(o, conversations, scores, counts, { restarts, turns: turns.length, writeSeconds }, feedback, qa);
    fs.mkdirSync(path.dirname(o.json), { recursive: true });
    fs.writeFileSync(o.json, JSON.stringify(report.json, null, 2));
    fs.writeFileSync(o.out, report.markdown);
    log(`wrote ${path.relative(ROOT, o.out)} and ${path.relative(ROOT, o.json)}`);
    process.stdout.write(report.markdown);
  } finally {
    await fleet.stopAll().catch(() => fleet.killAll());
    await ctx.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

interface Counts {
  memories: number;
  lost: number;
  duplicates: number;
}

/** Every conversation's memories (the entity `interactions.chat/<conversation>`), traced to their turns. */
async function countMemories(gateway: string, conversations: Conversation[], eventTurn: Map<string, { sample: string; dia: string }>): Promise<Counts> {
  let memories = 0;
  let lost = 0;
  let duplicates = 0;
  for (const c of conversations) {
    const res = await fetch(`${gateway}/v1/memory/entity?${new URLSearchParams({ topic: TOPICS.interactionsChat, key: c.sample, limit: '5000' })}`, { headers: AUTH });
    if (!res.ok) throw new Error(`GET /v1/memory/entity answered ${res.status}: ${await res.text()}`);
    const { memories: hits } = (await res.json()) as { memories: { metadata: Record<string, unknown> }[] };
    const perEvent = new Map<string, number>();
    for (const h of hits) perEvent.set(String(h.metadata.event_id), (perEvent.get(String(h.metadata.event_id)) ?? 0) + 1);
    memories += hits.length;
    const ids = [...eventTurn.entries()].filter(([, t]) => t.sample === c.sample).map(([id]) => id);
    lost += ids.filter((id) => !perEvent.has(id)).length;
    duplicates += [...perEvent.values()].reduce((a, n) => a + Math.max(0, n - 1), 0);
  }
  return { memories, lost, duplicates };
}

const pct = (x: number) => (x * 100).toFixed(1);

function buildReport(o: EvalOptions, conversations: Conversation[], scores: QuestionScore[], counts: Counts, run: { restarts: number; turns: number; writeSeconds: number }, feedback: FeedbackResult | null, qa: QaResult | null) {
  const answerable = scores.filter((s) => s.category !== 5);
  const adversarial = scores.filter((s) => s.category === 5);
  const all = aggregate(answerable);
  const lat = scores.map((s) => s.latencyMs);
  const byCategory = [1, 2, 3, 4, 5].map((c) => ({ category: CATEGORIES[c], ...aggregate(scores.filter((s) => s.category === c)) }));
  const git = gitInfo(ROOT);
  const m = machineInfo(undefined, 'local stack');
  const targets = { turnR5: 0.7, sessionR10: 0.9 };
  const met = all.turn[5] >= targets.turnR5 && all.session[10] >= targets.sessionR10 && counts.lost === 0;
  const row = (name: string, a: ReturnType<typeof aggregate>) => `| ${name} | ${a.questions} | ${KS.map((k) => pct(a.turn[k])).join(' | ')} | ${KS.map((k) => pct(a.session[k])).join(' | ')} | ${a.mrr.toFixed(3)} |`;
  const markdown = [
    '# Evaluation: long-memory recall on LoCoMo',
    '',
    `${new Date().toISOString().slice(0, 10)} · commit \`${git.commit.slice(0, 12)}\`${git.dirty ? ' (dirty)' : ''} · ${m.cpuModel}, ${m.cores} cores, Node ${m.node} · memory: the default \`config/memory.yaml\` (${memoryModels(ROOT)}) · \`npm run eval -- --dataset <locomo10.json>\``,
    '',
    `${conversations.length} conversation(s), ${run.turns} turns published through \`POST /v1/interactions/chat\` (each turn dated by its session), turned into memories by the memory-writer${run.restarts ? ', which was killed (SIGKILL) and restarted half-way' : ''}; every question searched through \`GET /v1/memory/search\` in its conversation (\`runId\`), top 10. Recall as LoCoMo counts it: the share of a question's evidence turns among the top k (session level: their sessions).`,
    '',
    `**Memories:** ${counts.memories} for ${run.turns} turns — ${counts.lost} lost, ${counts.duplicates} duplicated. Publish to last commit: ${run.writeSeconds.toFixed(0)} s. **Search latency:** p50 ${percentile(lat, 50).toFixed(1)} ms, p95 ${percentile(lat, 95).toFixed(1)} ms.`,
    '',
    '| questions | n | turn R@1 | turn R@5 | turn R@10 | session R@1 | session R@5 | session R@10 | MRR |',
    '|---|---|---|---|---|---|---|---|---|',
    row('**non-adversarial**', all),
    ...byCategory.filter((c) => c.questions > 0).map((c) => row(c.category, c)),
    '',
    `Adversarial questions (${adversarial.length}) are reported apart: their evidence is what a wrong answer would lean on.`,
    '',
    `| target (non-adversarial) | goal | measured | |`,
    '|---|---|---|---|',
    `| turn-level recall@5 | ≥ ${pct(targets.turnR5)} | ${pct(all.turn[5])} | ${all.turn[5] >= targets.turnR5 ? 'met' : 'missed'} |`,
    `| session-level recall@10 | ≥ ${pct(targets.sessionR10)} | ${pct(all.session[10])} | ${all.session[10] >= targets.sessionR10 ? 'met' : 'missed'} |`,
    `| lost memories across the restart | 0 | ${counts.lost} | ${counts.lost === 0 ? 'met' : 'missed'} |`,
    '',
    "Published baseline (LoCoMo paper, Table 3, DRAGON retriever, turn level): R@5 56.7, R@10 66.2; single-hop 68.0, multi-hop 35.4, temporal 70.4, open-domain 33.1, adversarial 43.9 at top 5.",
    '',
    ...(qa ? qaSection(qa) : []),
    ...(feedback ? feedbackSection(feedback) : []),
  ].join('\n');
  return { markdown, json: { date: new Date().toISOString(), commit: git.commit, machine: m, options: { ...o, dataset: path.basename(o.dataset) }, counts, run, overall: all, byCategory, latencyMs: { p50: percentile(lat, 50), p95: percentile(lat, 95) }, qa: qa ? { model: qa.model, endpoint: qa.endpoint, on: qaSummary(qa.on), off: qaSummary(qa.off), answers: qa.on.map((a, i) => ({ ...a, withoutMemory: qa.off[i].answer, withoutMemoryStatus: qa.off[i].status, withoutMemoryError: qa.off[i].error })) } : null, feedback, targetsMet: met && (!feedback || feedbackMet(feedback)) } };
}

/** The local model's name as the eval reports it (the stack serves SmolLM2-135M-Instruct). */
const LOCAL_LLM_MODEL = 'smollm2-135m-instruct';

/** Starts the stack's local model if needed; its OpenAI-compatible base URL. */
async function localModel(stack: StackManager): Promise<string> {
  await stack.up(['llm']);
  return `http://127.0.0.1:${stack.options.llm.port}/v1`;
}

/** `n` answerable questions spread evenly over the run's conversations (every k-th, deterministic). */
function qaQuestions(conversations: Conversation[], n: number): Question[] {
  const all = conversations.flatMap((c) => c.questions).filter((q) => q.category !== 5 && q.answer);
  if (all.length <= n) return all;
  const step = all.length / n;
  return Array.from({ length: n }, (_, i) => all[Math.floor(i * step)]);
}

function qaSection(qa: QaResult): string[] {
  const on = qaSummary(qa.on);
  const off = qaSummary(qa.off);
  const byCat = [1, 2, 3, 4]
    .map((c) => ({ c, on: qaSummary(qa.on.filter((a) => a.category === c)), off: qaSummary(qa.off.filter((a) => a.category === c)) }))
    .filter((r) => r.on.n > 0);
  const pts = (x: number) => (x >= 0 ? '+' : '') + (x * 100).toFixed(1);
  return [
    '## Task success with and without memory',
    '',
    `${on.n} answerable questions (spread over the conversations above), each asked of the supervisor twice through \`POST /v1/tasks\` with the \`answer_from_memory\` playbook: once reading the conversation's memory (top 10, as searched above) and once with \`memory: false\`. The model (\`${qa.model}\`, ${qa.endpoint}) writes the answer; scored against LoCoMo's reference answers (SQuAD-style normalisation: exact match, token F1).`,
    '',
    '| questions | n | EM memory on | EM memory off | F1 memory on | F1 memory off | F1 difference |',
    '|---|---|---|---|---|---|---|',
    `| **all answerable** | ${on.n} | ${pct(on.em)} | ${pct(off.em)} | ${pct(on.f1)} | ${pct(off.f1)} | ${pts(on.f1 - off.f1)} |`,
    ...byCat.map((r) => `| ${CATEGORIES[r.c]} | ${r.on.n} | ${pct(r.on.em)} | ${pct(r.off.em)} | ${pct(r.on.f1)} | ${pct(r.off.f1)} | ${pts(r.on.f1 - r.off.f1)} |`),
    '',
    `Tasks that did not succeed: ${on.failed} with memory, ${off.failed} without. Median time per task: ${(on.p50Ms / 1000).toFixed(1)} s with memory, ${(off.p50Ms / 1000).toFixed(1)} s without.`,
    '',
    'A 135M-parameter model is a floor, not the claim: point the same eval at any OpenAI-compatible endpoint with `--llm <base URL> --llm-model <name>` (and `LLM_API_KEY`) to measure a real one.',
    '',
  ];
}

/** The embedder and reranker the default memory.yaml names, for the report's header. */
function memoryModels(root: string): string {
  const cfg = loadMemoryConfig(path.join(root, 'config'));
  const embedder = localEmbedderModel(cfg.store) ?? cfg.store.embedder.provider;
  const r = cfg.search.rerank;
  return `embedder ${embedder}, ${r.provider === 'off' ? 'no reranker' : `reranker ${r.model} over the ${r.candidates} nearest and the best keyword matches`}`;
}

const feedbackMet = (f: FeedbackResult) => f.same.wins >= 0.9 * f.triples && f.paraphrased.wins >= 0.9 * f.triples && f.dataset.matched === f.triples;

function feedbackSection(f: FeedbackResult): string[] {
  const share = (x: number) => `${((x / Math.max(1, f.triples)) * 100).toFixed(1)}%`;
  const verdict = (wins: number) => (wins >= 0.9 * f.triples ? 'met' : 'missed');
  return [
    '## Feedback that changes the next answer',
    '',
    `${f.triples} question → wrong answer → correction triples drawn from the dataset's answered questions (the wrong answer is another question's answer of the same kind): question and answer recorded through \`POST /v1/interactions/chat\`, the correction through \`POST /v1/interactions/feedback\` once the answer is remembered; then the same question and a paraphrase (rewritten by rule: "When did…" → "Remind me, at what point in time did…") searched in the user's memory (\`GET /v1/memory/search?userId=\`, top ${f.k}), all triples in one user's memory.`,
    '',
    '| query | correction found | correction above the corrected answer | goal | |',
    '|---|---|---|---|---|',
    `| the same question | ${share(f.same.found)} | ${share(f.same.wins)} | ≥ 90% | ${verdict(f.same.wins)} |`,
    `| a paraphrase | ${share(f.paraphrased.found)} | ${share(f.paraphrased.wins)} | ≥ 90% | ${verdict(f.paraphrased.wins)} |`,
    `| \`phoenix dataset preferences\` holds the pair | | ${f.dataset.matched} of ${f.triples} (${f.dataset.pairs} pairs in the dataset) | all | ${f.dataset.matched === f.triples ? 'met' : 'missed'} |`,
    '',
  ];
}

main().catch((err: Error) => {
  process.stderr.write(`\neval failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
