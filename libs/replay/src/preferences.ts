import * as fs from 'node:fs';
import { ChatMessage, Feedback, TOPICS } from '@phoenix/contracts';

export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  /** Why this pair exists: a correction, or two responses rated differently. */
  source: 'correction' | 'ranking';
  responseIds: string[];
  conversationId: string;
}

export interface SftRecord {
  prompt: string;
  completion: string;
  source: 'rated' | 'correction';
  responseId: string;
  conversationId: string;
}

interface Response {
  msg: ChatMessage;
  prompt: string | null;
  score: number | null;
  corrections: string[];
}

/** +1 thumbs up, −1 thumbs down, rating 1–5 → −1…+1; several judgements average. */
function scoreOf(f: Feedback): number | null {
  if (f.kind === 'thumbs' && f.thumbs) return f.thumbs === 'up' ? 1 : -1;
  if (f.kind === 'rating' && f.rating !== null) return (f.rating - 3) / 2;
  return null;
}

/**
 * Joins feedback with the responses it rates. A response's prompt is the message it replies to,
 * else the last user message before it in the conversation. Corrections give (prompt, correction ≻
 * response) pairs and SFT records; two responses to the same prompt rated differently give a
 * ranking pair; positively rated responses give SFT records. Output order is deterministic.
 */
export function buildPreferences(messages: ChatMessage[], feedback: Feedback[]): { pairs: PreferencePair[]; sft: SftRecord[] } {
  const byId = new Map(messages.map((m) => [m.messageId, m]));
  const responses = new Map<string, Response>();
  const lastUser = new Map<string, ChatMessage>();
  for (const m of messages) {
    if (m.role === 'user') lastUser.set(m.conversationId, m);
    if (m.role === 'assistant' && m.responseId) {
      const replied = m.replyTo ? byId.get(m.replyTo) : lastUser.get(m.conversationId);
      responses.set(m.responseId, { msg: m, prompt: replied?.text ?? null, score: null, corrections: [] });
    }
  }
  const scores = new Map<string, number[]>();
  for (const f of feedback) {
    const r = responses.get(f.responseId);
    if (!r) continue;
    if (f.kind === 'correction' && f.correction) r.corrections.push(f.correction);
    const s = scoreOf(f);
    if (s !== null) scores.set(f.responseId, [...(scores.get(f.responseId) ?? []), s]);
  }
  for (const [id, list] of scores) responses.get(id)!.score = list.reduce((a, b) => a + b, 0) / list.length;

  const pairs: PreferencePair[] = [];
  const sft: SftRecord[] = [];
  const ordered = [...responses.entries()].sort(([a], [b]) => a.localeCompare(b));
  for (const [id, r] of ordered) {
    if (r.prompt === null) continue;
    for (const c of r.corrections) {
      pairs.push({ prompt: r.prompt, chosen: c, rejected: r.msg.text, source: 'correction', responseIds: [id], conversationId: r.msg.conversationId });
      sft.push({ prompt: r.prompt, completion: c, source: 'correction', responseId: id, conversationId: r.msg.conversationId });
    }
    if (r.score !== null && r.score > 0 && r.corrections.length === 0) sft.push({ prompt: r.prompt, completion: r.msg.text, source: 'rated', responseId: id, conversationId: r.msg.conversationId });
  }
  // Responses to the same prompt, rated differently: best ≻ worst.
  const byPrompt = new Map<string, [string, Response][]>();
  for (const [id, r] of ordered) {
    if (r.prompt === null || r.score === null) continue;
    const k = `${r.msg.conversationId}\u0000${r.prompt}`;
    byPrompt.set(k, [...(byPrompt.get(k) ?? []), [id, r]]);
  }
  for (const group of [...byPrompt.values()]) {
    if (group.length < 2) continue;
    const sorted = [...group].sort((a, b) => b[1].score! - a[1].score! || a[0].localeCompare(b[0]));
    const [best, worst] = [sorted[0], sorted[sorted.length - 1]];
    if (best[1].score! > worst[1].score!) {
      pairs.push({ prompt: best[1].prompt!, chosen: best[1].msg.text, rejected: worst[1].msg.text, source: 'ranking', responseIds: [best[0], worst[0]], conversationId: best[1].msg.conversationId });
    }
  }
  return { pairs, sft };
}

/** Reads a replay JSONL file's events of the interactions topics. */
export function readInteractions(jsonl: string): { messages: ChatMessage[]; feedback: Feedback[] } {
  const messages: ChatMessage[] = [];
  const feedback: Feedback[] = [];
  for (const line of fs.readFileSync(jsonl, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { topic: string; event: { payload: unknown } };
    if (r.topic === TOPICS.interactionsChat) messages.push(r.event.payload as ChatMessage);
    else if (r.topic === TOPICS.interactionsFeedback) feedback.push(r.event.payload as Feedback);
  }
  return { messages, feedback };
}

/** Writes records as `<base>.jsonl` and `<base>.parquet` (same rows, same order). */
export async function writeDataset(base: string, records: object[]): Promise<{ jsonl: string; parquet: string }> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const path = await import('node:path');
  fs.mkdirSync(path.dirname(base), { recursive: true });
  const jsonl = `${base}.jsonl`;
  const parquet = `${base}.parquet`;
  fs.writeFileSync(jsonl, records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  try {
    if (records.length) await c.run(`COPY (SELECT * FROM read_json_auto(${q(jsonl)}, format = 'newline_delimited')) TO ${q(parquet)} (FORMAT parquet)`);
    else fs.writeFileSync(parquet, '');
  } finally {
    c.closeSync();
    db.closeSync();
  }
  return { jsonl, parquet };
}
