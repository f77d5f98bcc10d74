import * as fs from 'node:fs';

/** One turn of a LoCoMo conversation. */
export interface Turn {
  sample: string;
  /** "D<session>:<turn>". */
  dia: string;
  session: number;
  speaker: string;
  text: string;
  /** The session's date and time, epoch ms (UTC). */
  at: number;
}

export interface Question {
  sample: string;
  question: string;
  /** 1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial. */
  category: number;
  /** Normalised evidence turn ids. */
  evidence: string[];
  /** The reference answer (adversarial questions have none). */
  answer: string | null;
}

export interface Conversation {
  sample: string;
  turns: Turn[];
  questions: Question[];
}

export const CATEGORIES: Record<number, string> = { 1: 'multi-hop', 2: 'temporal', 3: 'open-domain', 4: 'single-hop', 5: 'adversarial' };

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "1:56 pm on 8 May, 2023" → epoch ms (read as UTC). */
export function parseSessionDate(s: string): number {
  const m = /^(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})$/i.exec(s.trim());
  if (!m) throw new Error(`not a LoCoMo session date: "${s}"`);
  const month = MONTHS.indexOf(m[5].toLowerCase());
  if (month < 0) throw new Error(`not a month in "${s}"`);
  const hour = (Number(m[1]) % 12) + (m[3].toLowerCase() === 'pm' ? 12 : 0);
  return Date.UTC(Number(m[6]), month, Number(m[4]), hour, Number(m[2]));
}

/** Evidence ids as the dataset writes them, split and normalised ("D8:6; D9:17", "D:11:26", "D30:05"). */
export function normaliseEvidence(ids: unknown[]): string[] {
  const out: string[] = [];
  for (const raw of ids) {
    for (const part of String(raw).split(/[;,\s]+/)) {
      const m = /^D:?(\d+):0*(\d+)$/.exec(part.trim());
      if (m) out.push(`D${Number(m[1])}:${Number(m[2])}`);
    }
  }
  return [...new Set(out)];
}

export const sessionOf = (dia: string): string => dia.split(':')[0];

interface RawSample {
  sample_id: string;
  conversation: Record<string, unknown>;
  qa: { question: string; category: number; evidence?: unknown[]; answer?: unknown }[];
}

/** Reads locomo10.json: every conversation's turns in order (sessions by number) and its questions. */
export function loadLocomo(file: string): Conversation[] {
  const samples = JSON.parse(fs.readFileSync(file, 'utf8')) as RawSample[];
  if (!Array.isArray(samples) || !samples.every((s) => typeof s.sample_id === 'string' && s.conversation && Array.isArray(s.qa))) {
    throw new Error(`${file} is not LoCoMo's locomo10.json (a list of { sample_id, conversation, qa })`);
  }
  return samples.map((s) => {
    const sessions = Object.keys(s.conversation)
      .map((k) => /^session_(\d+)$/.exec(k))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const turns: Turn[] = [];
    for (const n of sessions) {
      const at = parseSessionDate(String(s.conversation[`session_${n}_date_time`]));
      for (const t of s.conversation[`session_${n}`] as { speaker: string; dia_id: string; text: string; blip_caption?: string }[]) {
        const [dia] = normaliseEvidence([t.dia_id]);
        // A shared photo is part of the message: its caption, as the dataset gives it.
        const text = `${t.text ?? ''}${t.blip_caption ? ` [shares a photo: ${t.blip_caption}]` : ''}`.trim();
        if (dia && text) turns.push({ sample: s.sample_id, dia, session: n, speaker: t.speaker, text, at });
      }
    }
    const questions = s.qa
      .map((q) => ({ sample: s.sample_id, question: String(q.question), category: q.category, evidence: normaliseEvidence(q.evidence ?? []), answer: q.answer === undefined || q.answer === null || q.answer === '' ? null : String(q.answer) }))
      .filter((q) => q.evidence.length > 0);
    return { sample: s.sample_id, turns, questions };
  });
}

/** The chat message a turn is recorded as (`POST /v1/interactions/chat`). */
export interface TurnMessage {
  conversationId: string;
  messageId: string;
  role: 'user';
  userId: string;
  text: string;
  occurredAt: number;
  replyTo?: string;
}

export const turnMessageId = (t: Pick<Turn, 'sample' | 'dia'>): string => `${t.sample}-${t.dia}`;

/**
 * A turn as a chat message: the speaker as the user, dated by its session, replying to the turn
 * before it in the same session (a session's first turn replies to nothing: sessions are days apart).
 */
export function turnMessage(t: Turn, previous: Turn | undefined): TurnMessage {
  const replyTo = previous && previous.sample === t.sample && previous.session === t.session ? turnMessageId(previous) : undefined;
  return { conversationId: t.sample, messageId: turnMessageId(t), role: 'user', userId: t.speaker, text: t.text, occurredAt: t.at, ...(replyTo ? { replyTo } : {}) };
}

/** One question's scores: recall at each k at turn and session level, and the reciprocal rank. */
export interface QuestionScore {
  category: number;
  turn: Record<number, number>;
  session: Record<number, number>;
  rr: number;
  latencyMs: number;
}

export const KS = [1, 5, 10] as const;

/**
 * As LoCoMo's own evaluation counts recall: the share of the question's evidence ids found among
 * the top k retrieved (turn ids; for session level, their `D<n>` prefixes). `retrieved` is in rank
 * order and may hold nulls (a memory not traced to a turn).
 */
export function scoreQuestion(retrieved: (string | null)[], evidence: string[], category: number, latencyMs: number): QuestionScore {
  const turn: Record<number, number> = {};
  const session: Record<number, number> = {};
  const gold = new Set(evidence);
  const goldSessions = new Set(evidence.map(sessionOf));
  for (const k of KS) {
    const top = retrieved.slice(0, k).filter((d): d is string => !!d);
    const seen = new Set(top);
    const seenSessions = new Set(top.map(sessionOf));
    turn[k] = [...gold].filter((g) => seen.has(g)).length / gold.size;
    session[k] = [...goldSessions].filter((g) => seenSessions.has(g)).length / goldSessions.size;
  }
  const first = retrieved.findIndex((d) => !!d && gold.has(d));
  return { category, turn, session, rr: first >= 0 ? 1 / (first + 1) : 0, latencyMs };
}

export interface Aggregate {
  questions: number;
  turn: Record<number, number>;
  session: Record<number, number>;
  mrr: number;
}

export function aggregate(scores: QuestionScore[]): Aggregate {
  const mean = (f: (s: QuestionScore) => number) => (scores.length ? scores.reduce((a, s) => a + f(s), 0) / scores.length : 0);
  const turn: Record<number, number> = {};
  const session: Record<number, number> = {};
  for (const k of KS) {
    turn[k] = mean((s) => s.turn[k]);
    session[k] = mean((s) => s.session[k]);
  }
  return { questions: scores.length, turn, session, mrr: mean((s) => s.rr) };
}
