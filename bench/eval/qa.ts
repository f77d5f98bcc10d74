import { AUTH, log, progress } from './eval-support';
import { Question } from './locomo';

/** SQuAD-style answer normalisation: lower case, no punctuation, no articles, single spaces. */
export function normalizeAnswer(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\b(a|an|the|and)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Exact match and token F1 of a predicted answer against the reference (LoCoMo's QA scores). */
export function answerScore(predicted: string, reference: string): { em: number; f1: number } {
  const p = normalizeAnswer(predicted);
  const r = normalizeAnswer(reference);
  const em = p === r && r !== '' ? 1 : 0;
  const pt = p ? p.split(' ') : [];
  const rt = r ? r.split(' ') : [];
  if (!pt.length || !rt.length) return { em, f1: pt.length === rt.length ? 1 : 0 };
  const counts = new Map<string, number>();
  for (const t of rt) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of pt) {
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      common++;
      counts.set(t, n - 1);
    }
  }
  if (!common) return { em, f1: 0 };
  const precision = common / pt.length;
  const recall = common / rt.length;
  return { em, f1: (2 * precision * recall) / (precision + recall) };
}

export interface QaAnswer {
  question: string;
  category: number;
  reference: string;
  answer: string | null;
  status: string;
  error: string | null;
  memories: number;
  em: number;
  f1: number;
  ms: number;
}

export interface QaResult {
  model: string;
  endpoint: string;
  on: QaAnswer[];
  off: QaAnswer[];
}

const TERMINAL = new Set(['succeeded', 'partial', 'failed', 'timed_out']);

/** One supervisor task through the gateway (`answer_from_memory`), followed to its end. */
async function ask(gateway: string, q: Question, memory: boolean): Promise<QaAnswer> {
  const started = Date.now();
  const body = { goal: q.question, playbook: 'answer_from_memory', inputs: { conversation: q.sample }, memory, timeoutMs: 300000 };
  const res = await fetch(`${gateway}/v1/tasks`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`POST /v1/tasks answered ${res.status}: ${await res.text()}`);
  const { taskId } = (await res.json()) as { taskId: string };
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const t = await fetch(`${gateway}/v1/tasks/${taskId}`, { headers: AUTH });
    if (t.status === 404) continue; // not planned yet
    if (!t.ok) throw new Error(`GET /v1/tasks/${taskId} answered ${t.status}: ${await t.text()}`);
    const o = (await t.json()) as { status: string; error: string | null; steps: { stepId: string; result: { answer?: string; memories?: number } | null; error: string | null }[] };
    if (!TERMINAL.has(o.status)) {
      if (Date.now() - started > 330000) throw new Error(`task ${taskId} still ${o.status} after 330 s`);
      continue;
    }
    const step = o.steps.find((s) => s.stepId === 'answer');
    const answer = step?.result?.answer ?? null;
    const reference = q.answer ?? '';
    return { question: q.question, category: q.category, reference, answer, status: o.status, error: o.error ?? step?.error ?? null, memories: step?.result?.memories ?? 0, ...(answer === null ? { em: 0, f1: 0 } : answerScore(answer, reference)), ms: Date.now() - started };
  }
}

/**
 * Part 3 of the eval: each question asked of the supervisor twice through `POST /v1/tasks` — the
 * `answer_from_memory` playbook with memory read (the conversation's memories, top 10) and the same
 * task with `memory: false` — answered by the configured model; scored against LoCoMo's answers.
 * One at a time: a local model serves one request at once.
 */
export async function runQaEval(o: { gateway: string; questions: Question[]; model: string; endpoint: string }): Promise<QaResult> {
  const on: QaAnswer[] = [];
  const off: QaAnswer[] = [];
  const started = Date.now();
  for (const [i, q] of o.questions.entries()) {
    for (const memory of [true, false]) {
      const a = await ask(o.gateway, q, memory);
      (memory ? on : off).push(a);
      if (a.status !== 'succeeded') log(`question ${i + 1} (memory ${memory ? 'on' : 'off'}): task ${a.status}: ${a.error ?? 'no error given'}`);
    }
    progress('answering with and without memory', i + 1, o.questions.length, started);
  }
  return { model: o.model, endpoint: o.endpoint, on, off };
}

export function qaSummary(answers: QaAnswer[]): { n: number; em: number; f1: number; failed: number; p50Ms: number } {
  const n = answers.length;
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  return {
    n,
    em: n ? answers.reduce((s, a) => s + a.em, 0) / n : 0,
    f1: n ? answers.reduce((s, a) => s + a.f1, 0) / n : 0,
    failed: answers.filter((a) => a.status !== 'succeeded').length,
    p50Ms: ms.length ? ms[Math.floor((ms.length - 1) / 2)] : 0,
  };
}
