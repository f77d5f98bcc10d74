import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppContext } from '@phoenix/runtime';
import { AUTH, log, pool, progress, topicEnd, waitMemoryWriter, waitOutboxEmpty } from './eval-support';
import { Conversation } from './locomo';
import { TOPICS } from '@phoenix/contracts';

/** One question answered wrongly, then corrected by the user. */
export interface FeedbackTriple {
  n: number;
  question: string;
  paraphrase: string;
  wrong: string;
  correction: string;
}

/**
 * Rewrites a question with other words, by rule (deterministic): the question word is replaced by
 * an equivalent phrase and the sentence is framed as a request. Questions no rule fits (yes/no
 * questions, statements) are framed only.
 */
export function paraphrase(question: string): string {
  const q = question.trim().replace(/\?+$/, '');
  const rules: [RegExp, string][] = [
    [/^when (did|was|were|is|are|does|do|will|has|had)\b/i, 'at what point in time $1'],
    [/^where (did|was|were|is|are|does|do|has|had)\b/i, 'in which place $1'],
    [/^who (\w+)/i, 'which person $1'],
    [/^why (\w+)/i, 'for what reason $1'],
    [/^how many\b/i, 'what number of'],
    [/^how long\b/i, 'for how much time'],
    [/^what kind of\b/i, 'which type of'],
    [/^what (\w+)/i, 'which thing $1'],
    [/^which\b/i, 'what'],
  ];
  for (const [re, to] of rules) {
    if (re.test(q)) return `Remind me, ${q.replace(re, to)}?`;
  }
  return `Tell me again: ${q.charAt(0).toLowerCase()}${q.slice(1)}?`;
}

/**
 * At least `n` triples from the dataset's answerable questions, spread over its conversations:
 * the question, a wrong answer (another question's answer of the same kind), and the correction
 * (the reference answer). Same dataset, same triples.
 */
export function feedbackTriples(conversations: Conversation[], n: number): FeedbackTriple[] {
  const pool = conversations.flatMap((c) => c.questions).filter((q) => q.category !== 5 && q.answer && q.answer.length <= 200);
  if (pool.length < 2) throw new Error('the dataset has too few answered questions for feedback triples');
  const step = Math.max(1, Math.floor(pool.length / n));
  const triples: FeedbackTriple[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < pool.length && triples.length < n; i += step) {
    const q = pool[i];
    if (seen.has(q.question)) continue;
    seen.add(q.question);
    // The wrong answer: the next question of the same category whose answer differs.
    let wrong: string | null = null;
    for (let j = 1; j < pool.length && !wrong; j++) {
      const other = pool[(i + j * 7) % pool.length];
      if (other.category === q.category && other.answer && other.answer.toLowerCase() !== q.answer!.toLowerCase()) wrong = other.answer;
    }
    if (!wrong) continue;
    triples.push({ n: triples.length, question: q.question, paraphrase: paraphrase(q.question), wrong, correction: q.answer! });
  }
  return triples;
}

/** Where the correction and the corrected answer ranked for one query (1-based; null when not in the top k). */
export interface FeedbackRank {
  correction: number | null;
  answer: number | null;
}

/** The correction outranks the answer it corrects: it is found, and the answer is below it or absent. */
export const correctionWins = (r: FeedbackRank): boolean => r.correction !== null && (r.answer === null || r.correction < r.answer);

export interface FeedbackResult {
  triples: number;
  same: { wins: number; found: number };
  paraphrased: { wins: number; found: number };
  dataset: { pairs: number; matched: number };
  k: number;
}

interface Recorded {
  triple: FeedbackTriple;
  answerEventId: string;
  responseId: string;
  conversationId: string;
  correctionEventId?: string;
}

async function post(gateway: string, route: string, body: unknown): Promise<Record<string, string>> {
  const res = await fetch(`${gateway}${route}`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${route} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, string>;
}

/**
 * Part 2 of the eval, through Phoenix's own paths: each question and its wrong answer recorded as
 * chat (`POST /v1/interactions/chat`), the correction as feedback (`POST /v1/interactions/feedback`)
 * once the answers are remembered, as a user would give it later; then the question and its
 * paraphrase searched in the user's memory, and `phoenix dataset preferences` built from the bus.
 */
export async function runFeedbackEval(opts: { ctx: AppContext; instance: string; gateway: string; writer: string; triples: FeedbackTriple[]; root: string; env: NodeJS.ProcessEnv; work: string; since: number }): Promise<FeedbackResult> {
  const { ctx, instance, gateway, triples } = opts;
  const user = `eval-feedback-${instance}`;
  const k = 10;
  const chatBase = await topicEnd(ctx, TOPICS.interactionsChat);
  const feedbackBase = await topicEnd(ctx, TOPICS.interactionsFeedback);
  const recorded: Recorded[] = [];
  let started = Date.now();
  await pool(triples, 4, async (t) => {
    const conversationId = `${instance}-feedback-${t.n}`;
    const q = await post(gateway, '/v1/interactions/chat', { conversationId, role: 'user', userId: user, text: t.question });
    const a = await post(gateway, '/v1/interactions/chat', { conversationId, role: 'assistant', userId: user, replyTo: q.messageId, text: t.wrong });
    recorded.push({ triple: t, answerEventId: a.id, responseId: a.responseId, conversationId });
    progress('recording questions and answers', recorded.length, triples.length, started);
  });
  await waitMemoryWriter(ctx, instance, TOPICS.interactionsChat, chatBase, 1, 2 * triples.length);
  started = Date.now();
  let corrected = 0;
  await pool(recorded, 4, async (r) => {
    const f = await post(gateway, '/v1/interactions/feedback', { responseId: r.responseId, kind: 'correction', userId: user, correction: r.triple.correction });
    r.correctionEventId = f.id;
    progress('recording corrections', ++corrected, recorded.length, started);
  });
  await waitMemoryWriter(ctx, instance, TOPICS.interactionsFeedback, feedbackBase, 1, recorded.length);
  await waitOutboxEmpty(opts.writer);

  const rankOf = (memories: { metadata: Record<string, unknown> }[], eventId: string) => {
    const i = memories.findIndex((m) => m.metadata.event_id === eventId);
    return i < 0 ? null : i + 1;
  };
  const search = async (q: string, r: Recorded): Promise<FeedbackRank> => {
    const res = await fetch(`${gateway}/v1/memory/search?${new URLSearchParams({ q, userId: user, limit: String(k) })}`, { headers: AUTH });
    if (!res.ok) throw new Error(`GET /v1/memory/search answered ${res.status}: ${await res.text()}`);
    const { memories } = (await res.json()) as { memories: { metadata: Record<string, unknown> }[] };
    return { correction: rankOf(memories, r.correctionEventId!), answer: rankOf(memories, r.answerEventId) };
  };
  const same = { wins: 0, found: 0 };
  const paraphrased = { wins: 0, found: 0 };
  started = Date.now();
  let asked = 0;
  await pool(recorded, 2, async (r) => {
    for (const [q, tally] of [
      [r.triple.question, same],
      [r.triple.paraphrase, paraphrased],
    ] as const) {
      const rank = await search(q, r);
      if (rank.correction !== null) tally.found++;
      if (correctionWins(rank)) tally.wins++;
    }
    progress('asking again', ++asked, recorded.length, started);
  });

  // The preference dataset, built by the CLI from the interactions topics since the eval began.
  const out = path.join(opts.work, 'preferences');
  const cli = spawnSync(process.execPath, [path.join(opts.root, 'dist', 'apps', 'cli', 'src', 'main.js'), 'dataset', 'preferences', '--from', String(opts.since), '--out', out], { env: opts.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (cli.status !== 0) throw new Error(`phoenix dataset preferences failed (${cli.status}):\n${cli.stderr.slice(-2000)}`);
  const pairs = fs
    .readFileSync(path.join(out, 'preference_pairs.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { prompt: string; chosen: string; rejected: string; conversationId: string });
  const matched = recorded.filter((r) => pairs.some((p) => p.conversationId === r.conversationId && p.prompt === r.triple.question && p.chosen === r.triple.correction && p.rejected === r.triple.wrong)).length;
  log(`feedback: ${same.wins}/${recorded.length} corrections above the answer (same question), ${paraphrased.wins}/${recorded.length} (paraphrase); dataset holds ${matched}/${recorded.length} pairs`);
  return { triples: recorded.length, same, paraphrased, dataset: { pairs: pairs.length, matched }, k };
}
