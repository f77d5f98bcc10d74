import { JsonValue } from '@phoenix/contracts';
import { LlmClient, LlmError } from '@phoenix/llm';
import { MemoryHit } from '@phoenix/memory';

/** Tokens an answer may take: a few words or a sentence, as a question from memory needs. */
const ANSWER_MAX_TOKENS = 64;
/** Memories shown to the model at most (the task's memory read may return more). */
const ANSWER_MEMORIES = 10;

const SYSTEM = [
  'You answer questions for Phoenix from what it remembers and from the results of the steps it ran.',
  'Use only the memories and results given. Answer in a few words, without explanation.',
  'If they do not contain the answer, answer "unknown".',
].join(' ');

/** The prompt for an answer: numbered memories (as stored: who said what, when), results, the question. */
export function answerPrompt(goal: string, memories: MemoryHit[], results: Record<string, JsonValue>): string {
  const lines = memories.slice(0, ANSWER_MEMORIES).map((m, i) => `${i + 1}. ${m.text}`);
  return [
    lines.length ? `Memories:\n${lines.join('\n')}` : 'Memories: none.',
    Object.keys(results).length ? `Results: ${JSON.stringify(results).slice(0, 4000)}` : '',
    `Question: ${goal}`,
    'Answer:',
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** The answer's first line, without the list marker a small model copies from the numbered memories. */
export function firstLine(content: string): string {
  return (content.trim().split('\n')[0] ?? '').replace(/^(\d+[.)]|[-*•])\s+/, '').trim();
}

export interface ModelAnswer {
  answer: string;
  model: string;
  memories: number;
}

/** Asks the model; throws {@link LlmError} when the endpoint fails. */
export async function answerFromMemory(llm: LlmClient, goal: string, memories: MemoryHit[], results: Record<string, JsonValue>): Promise<ModelAnswer> {
  const res = await llm.chat({ messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: answerPrompt(goal, memories, results) }], maxTokens: ANSWER_MAX_TOKENS });
  return { answer: firstLine(res.content), model: res.model, memories: Math.min(memories.length, ANSWER_MEMORIES) };
}


/** How a `with: model` step settles: the model's answer, or the reason there is none. */
export interface AnswerOutcome {
  status: 'ok' | 'failed';
  result: JsonValue | null;
  error: string | null;
}

/**
 * A `with: model` synthesis: the configured model answers the goal from memory and the results of
 * the step's dependencies. No model, or a model that fails, fails the step with the reason.
 */
export async function answerStep(llm: LlmClient | undefined, goal: string, memories: MemoryHit[], results: Record<string, JsonValue>, notConfigured: string): Promise<AnswerOutcome> {
  if (!llm) return { status: 'failed', result: null, error: notConfigured };
  try {
    const a = await answerFromMemory(llm, goal, memories, results);
    return { status: 'ok', result: { goal, answer: a.answer, model: a.model, memories: a.memories, results } as unknown as JsonValue, error: null };
  } catch (err) {
    if (!(err instanceof LlmError)) throw err;
    return { status: 'failed', result: null, error: `${err.code}: ${err.message}` };
  }
}
