import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ConsumedEvent } from '@phoenix/bus';
import { ChatMessage, Envelope, interactionEvent } from '@phoenix/contracts';
import { AddMemoryRequest, defaultModelsDir, loadMemoryConfig, LocalReranker, Mem0MemoryStore, MemoryFileConfig, Reranker } from '@phoenix/memory';
import { addRequestFor, ResponseIndex } from '@phoenix/memory-writer';
import { percentile } from '../lib/stats';
import { correctionWins, feedbackTriples } from './feedback';
import { aggregate, CATEGORIES, Conversation, KS, loadLocomo, QuestionScore, scoreQuestion, turnMessage } from './locomo';

/**
 * The recall lab: LoCoMo retrieval offline, in minutes, on the library's own code. Each turn becomes
 * the chat event the gateway would publish, then the memory the memory-writer would ask for
 * (`addRequestFor` with its `ResponseIndex`), written to a `Mem0MemoryStore` of its own and searched
 * by that store (dense + keyword candidates, the cross-encoder) — no Kafka, no HTTP. Reports turn
 * R@1/5/10, session R@10 and MRR per question category for the chosen conversations, search
 * latency, and the feedback check of the eval (a correction found above the answer it corrects).
 *
 *   npm run -s build && node dist/bench/eval/recall-lab.js --dataset <locomo10.json> --conversations 0-3
 *
 * Stores are kept under --work by the hash of what they hold (a second run with the same memories
 * only searches), and the reranker's scores per (query, passage) in a cache there when it reads
 * each pair alone (--batch 1, then a pair's score does not depend on what it is read with);
 * --no-cache for latency figures.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const log = (m: string) => process.stderr.write(`[lab ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** "0-3", "4,5", "7" → conversation indexes. */
function indexes(spec: string): number[] {
  return spec.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

/** A reranker that remembers scores of (query, passage) pairs read alone, on disk. */
class CachedReranker implements Reranker {
  private readonly scores = new Map<string, number>();
  private readonly fresh: string[] = [];
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: Reranker,
    private readonly file: string,
  ) {
    if (fs.existsSync(file)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        const [k, v] = JSON.parse(line) as [string, number];
        this.scores.set(k, v);
      }
    }
  }

  async score(query: string, passages: string[]): Promise<number[]> {
    const key = (p: string) => `${query}\u0000${p}`;
    const missing = [...new Set(passages.filter((p) => !this.scores.has(key(p))))];
    this.hits += passages.length - missing.length;
    this.misses += missing.length;
    if (missing.length) {
      const got = await this.inner.score(query, missing);
      missing.forEach((p, i) => {
        this.scores.set(key(p), got[i]);
        this.fresh.push(JSON.stringify([key(p), got[i]]));
      });
    }
    return passages.map((p) => this.scores.get(key(p))!);
  }

  save(): void {
    if (this.fresh.length) fs.appendFileSync(this.file, this.fresh.join('\n') + '\n');
    this.fresh.length = 0;
  }
}

/** An event as the memory-writer consumes it, with an id fixed by `id` (the same memories every run). */
function consumed(kind: 'chat' | 'feedback', input: unknown, id: string): ConsumedEvent {
  const { topic, event } = interactionEvent(kind, input, 'recall-lab');
  const e: Envelope<unknown> = { ...event, id, correlationId: id };
  return { topic, partition: 0, offset: '0', key: e.key, headers: {}, replay: false, event: e };
}

const toAdd = (r: NonNullable<ReturnType<typeof addRequestFor>>, eventId: string): AddMemoryRequest => ({ eventId, text: r.text, scope: r.scope, metadata: r.metadata, entity: r.entity, namespace: r.namespace });

interface FeedbackProbe {
  question: string;
  paraphrase: string;
  user: string;
  answerId: string;
  correctionId: string;
}

/** The memories of the chosen conversations' turns and of the eval's feedback triples, as the memory-writer makes them. */
function memories(cfg: MemoryFileConfig, conversations: Conversation[], all: Conversation[], feedback: number, replyTo: boolean) {
  const requests: AddMemoryRequest[] = [];
  const turnOf = new Map<string, string>();
  for (const c of conversations) {
    // One index per conversation, noted before the memories are made, as the writer does per batch.
    const index = new ResponseIndex();
    const events = c.turns.map((t, i) => {
      const m = turnMessage(t, c.turns[i - 1]);
      if (!replyTo) delete m.replyTo;
      return consumed('chat', m, `lab-${m.messageId}`);
    });
    events.forEach((e) => index.note(e.event.payload as ChatMessage));
    events.forEach((e, i) => {
      const r = addRequestFor(cfg, e, index);
      if (!r) throw new Error('memory.yaml makes no memory of a chat message');
      requests.push(toAdd(r, e.event.id));
      turnOf.set(e.event.id, c.turns[i].dia);
    });
  }
  // The eval's part 2: question, wrong answer (replying to it), then the correction of the answer.
  const probes: FeedbackProbe[] = [];
  const index = new ResponseIndex();
  const user = 'lab-feedback';
  const chat: ConsumedEvent[] = [];
  const corrections: ConsumedEvent[] = [];
  for (const t of feedback ? feedbackTriples(all, feedback) : []) {
    const conversationId = `lab-feedback-${t.n}`;
    const q = consumed('chat', { conversationId, messageId: `${conversationId}-q`, role: 'user', userId: user, text: t.question }, `${conversationId}-q`);
    const a = consumed('chat', { conversationId, messageId: `${conversationId}-a`, role: 'assistant', userId: user, replyTo: `${conversationId}-q`, responseId: `${conversationId}-r`, text: t.wrong }, `${conversationId}-a`);
    const f = consumed('feedback', { responseId: `${conversationId}-r`, kind: 'correction', userId: user, correction: t.correction }, `${conversationId}-f`);
    chat.push(q, a);
    corrections.push(f);
    probes.push({ question: t.question, paraphrase: t.paraphrase, user, answerId: a.event.id, correctionId: f.event.id });
  }
  chat.forEach((e) => index.note(e.event.payload as ChatMessage));
  for (const e of [...chat, ...corrections]) {
    const r = addRequestFor(cfg, e, index);
    if (r) requests.push(toAdd(r, e.event.id));
  }
  return { requests, turnOf, probes };
}

const pct = (x: number) => (100 * x).toFixed(1);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string', default: process.env.LOCOMO_DATASET ?? path.join(ROOT, '..', 'shared', 'datasets', 'locomo', 'locomo10.json') },
      conversations: { type: 'string', default: '0-3' },
      candidates: { type: 'string' },
      'in-context': { type: 'string' },
      batch: { type: 'string', default: '1' },
      'reply-to': { type: 'string', default: 'on' },
      feedback: { type: 'string', default: '60' },
      adversarial: { type: 'boolean', default: false },
      questions: { type: 'string', default: '0' },
      'no-cache': { type: 'boolean', default: false },
      work: { type: 'string', default: path.join(ROOT, '.data', 'recall-lab') },
    },
  });
  const cfg = loadMemoryConfig(path.join(ROOT, 'config'));
  const rr = cfg.search.rerank;
  if (values.candidates) rr.candidates = Number(values.candidates);
  if (values['in-context']) rr.inContext = Number(values['in-context']);
  const batch = Number(values.batch);
  const all = loadLocomo(values.dataset!);
  const chosen = indexes(values.conversations!).map((i) => all[i]);
  const { requests, turnOf, probes } = memories(cfg, chosen, all, Number(values.feedback), values['reply-to'] === 'on');

  const modelsDir = process.env.PHOENIX_MODELS_DIR ?? defaultModelsDir();
  const hash = createHash('sha256').update(JSON.stringify([cfg.store, requests])).digest('hex').slice(0, 16);
  const dir = path.join(values.work!, `store-${hash}`);
  fs.mkdirSync(values.work!, { recursive: true });
  const local = new LocalReranker(modelsDir, rr.model, batch);
  // A padded batch's scores depend on what else is in it: cached only when each pair is read alone.
  const cached = values['no-cache'] || batch > 1 ? null : new CachedReranker(local, path.join(values.work!, `rerank-${rr.model}-b${batch}.jsonl`));
  const store = new Mem0MemoryStore({ dir, modelsDir, store: cfg.store, search: cfg.search, reranker: cached ?? local, log });
  await store.init();
  let started = Date.now();
  for (let i = 0; i < requests.length; i += 256) await store.addMany(requests.slice(i, i + 256));
  log(`${requests.length} memories in ${dir} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

  const questions = chosen.flatMap((c) => (Number(values.questions) ? c.questions.slice(0, Number(values.questions)) : c.questions)).filter((q) => values.adversarial || q.category !== 5);
  const scores: QuestionScore[] = [];
  started = Date.now();
  for (const q of questions) {
    const t0 = performance.now();
    const hits = await store.search(q.question.slice(0, 500), { scope: { runId: q.sample }, limit: 10 });
    const ms = performance.now() - t0;
    scores.push(scoreQuestion(hits.map((h) => turnOf.get(String(h.metadata.event_id)) ?? null), q.evidence, q.category, ms));
    if (scores.length % 100 === 0) {
      log(`${scores.length}/${questions.length} questions`);
      cached?.save();
    }
  }
  cached?.save();
  const lat = scores.map((s) => s.latencyMs);

  let same = 0;
  let para = 0;
  for (const p of probes) {
    for (const [q, which] of [
      [p.question, 'same'],
      [p.paraphrase, 'para'],
    ] as const) {
      const hits = await store.search(q, { scope: { userId: p.user }, limit: 10 });
      const rank = (id: string) => {
        const i = hits.findIndex((h) => h.metadata.event_id === id);
        return i < 0 ? null : i + 1;
      };
      if (correctionWins({ correction: rank(p.correctionId), answer: rank(p.answerId) })) {
        if (which === 'same') same++;
        else para++;
      }
    }
  }
  cached?.save();
  await store.close();

  const rows: [string, QuestionScore[]][] = [['non-adversarial', scores.filter((s) => s.category !== 5)], ...Object.entries(CATEGORIES).map(([k, name]) => [name, scores.filter((s) => s.category === Number(k))] as [string, QuestionScore[]])];
  const lines = [
    `conversations ${values.conversations} · candidates ${rr.candidates} · inContext ${rr.inContext} · batch ${batch} · replyTo ${values['reply-to']}`,
    '| questions | n | turn R@1 | turn R@5 | turn R@10 | session R@10 | MRR |',
    '|---|---|---|---|---|---|---|',
    ...rows.filter(([, s]) => s.length).map(([name, s]) => {
      const a = aggregate(s);
      return `| ${name} | ${a.questions} | ${KS.map((k) => pct(a.turn[k])).join(' | ')} | ${pct(a.session[10])} | ${a.mrr.toFixed(3)} |`;
    }),
    `search: p50 ${percentile(lat, 50).toFixed(0)} ms, p95 ${percentile(lat, 95).toFixed(0)} ms${cached ? ` (reranker cache: ${cached.hits} pairs cached, ${cached.misses} read)` : ''}`,
    probes.length ? `feedback: correction above the answer ${same}/${probes.length} (same question), ${para}/${probes.length} (paraphrase)` : '',
  ];
  process.stdout.write(lines.filter(Boolean).join('\n') + '\n');
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
