import { LlmClient, LlmError, LlmErrorCode } from '@phoenix/llm';

/** Facts one event may become at most. */
export const MAX_FACTS = 8;

const SYSTEM = [
  'You extract what is worth remembering from one message for a long-term memory.',
  'Write each fact as a short standalone sentence that names who it is about (never "I" or "he") and keeps any date the message gives.',
  'Only facts the message states: preferences, plans, events, relationships, decisions, numbers. Skip greetings and small talk.',
  'Answer as JSON: {"facts": ["…"]}; an empty list when nothing is worth keeping.',
].join(' ');

const FACTS_SCHEMA = {
  type: 'object',
  properties: { facts: { type: 'array', maxItems: MAX_FACTS, items: { type: 'string', minLength: 3, maxLength: 300 } } },
  required: ['facts'],
  additionalProperties: false,
};

/**
 * Memory's fact extraction (`infer: on`): the configured model turns a message into standalone
 * facts, decoded under a JSON schema. Phoenix's own compact prompt (~200 tokens) instead of Mem0's
 * additive-extraction prompt, which is ~8.6k tokens per add — more than a small model's whole
 * context and the bulk of the cost of every write with a large one.
 */
export class FactExtractor {
  constructor(private readonly llm: LlmClient) {}

  get model(): string {
    return this.llm.settings.model;
  }

  /** The facts in `text`, trimmed and de-duplicated; throws {@link LlmError} when the model fails. */
  async facts(text: string): Promise<string[]> {
    const answer = (await this.llm.json({ messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: text.slice(0, 4000) }], maxTokens: 400, schema: { name: 'facts', schema: FACTS_SCHEMA } })) as { facts?: unknown };
    if (!Array.isArray(answer?.facts)) throw new LlmError(LlmErrorCode.BadAnswer, 'the model answered without a facts list', false);
    const seen = new Set<string>();
    return answer.facts
      .filter((f): f is string => typeof f === 'string')
      .map((f) => f.trim())
      .filter((f) => f.length >= 3 && !seen.has(f.toLowerCase()) && seen.add(f.toLowerCase()))
      .slice(0, MAX_FACTS);
  }
}
