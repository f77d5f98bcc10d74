import { PhoenixError } from '@phoenix/errors';
/** Where a model answers: any OpenAI-compatible `/chat/completions` endpoint (LLM_BASE_URL). */
export interface LlmSettings {
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** Per request; a small local model on one core answers a short prompt in a second or two. */
  timeoutMs?: number;
  /**
   * Further tries after an endpoint that refused the connection or answered 429/5xx (default 2,
   * after 1 s then 2 s). A request that timed out is not tried again: the model may still be busy with it.
   */
  retries?: number;
}

export enum LlmErrorCode {
  Unreachable = 'LLM_UNREACHABLE',
  /** No answer within the timeout: retriable later, but not tried again at once (the endpoint may still be busy with it). */
  TimedOut = 'LLM_TIMEOUT',
  Refused = 'LLM_REFUSED',
  BadAnswer = 'LLM_BAD_ANSWER',
}

export class LlmError extends PhoenixError<LlmErrorCode> {
  /** @param retriable worth trying again later: the endpoint was down, slow or overloaded. */
  constructor(code: LlmErrorCode, message: string, retriable: boolean) {
    super(code, message, { kind: retriable ? 'unavailable' : 'record' });
  }
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  maxTokens?: number;
  /**
   * Constrains the answer to JSON matching this schema (`response_format: json_schema`, which
   * OpenAI and llama.cpp's server both enforce while decoding); the answer is parsed.
   */
  schema?: { name: string; schema: Record<string, unknown> };
}

export interface ChatAnswer {
  content: string;
  model: string;
  promptTokens: number | null;
  completionTokens: number | null;
}

const DEFAULT_TIMEOUT_MS = 60000;
const DEFAULT_RETRIES = 2;
const RETRY_BACKOFF_MS = 1000;

/**
 * The one client for chat completions in Phoenix (planner, NL→SQL, answers). Temperature 0, so a
 * model answers the same prompt the same way; typed errors, so callers can refuse cleanly.
 */
export class LlmClient {
  constructor(
    readonly settings: LlmSettings,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  get name(): string {
    return `llm:${this.settings.model}`;
  }

  async chat(req: ChatRequest): Promise<ChatAnswer> {
    const retries = this.settings.retries ?? DEFAULT_RETRIES;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.chatOnce(req);
      } catch (err) {
        if (!(err instanceof LlmError) || !err.retriable || err.code === LlmErrorCode.TimedOut || attempt >= retries) throw err;
        await new Promise((r) => setTimeout(r, RETRY_BACKOFF_MS * 2 ** attempt));
      }
    }
  }

  private async chatOnce(req: ChatRequest): Promise<ChatAnswer> {
    const body: Record<string, unknown> = { model: this.settings.model, temperature: 0, messages: req.messages };
    if (req.maxTokens) body.max_tokens = req.maxTokens;
    if (req.schema) body.response_format = { type: 'json_schema', json_schema: { name: req.schema.name, strict: true, schema: req.schema.schema } };
    let res: Response;
    try {
      res = await this.fetchFn(`${this.settings.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.settings.apiKey ? { authorization: `Bearer ${this.settings.apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.settings.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      const timeoutMs = this.settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (timedOut) throw new LlmError(LlmErrorCode.TimedOut, `LLM endpoint ${this.settings.baseUrl} did not answer within ${timeoutMs / 1000} s`, true);
      throw new LlmError(LlmErrorCode.Unreachable, `LLM endpoint ${this.settings.baseUrl} unreachable: ${(err as Error).message}`, true);
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      throw new LlmError(LlmErrorCode.Refused, `LLM endpoint answered ${res.status}${text ? `: ${text}` : ''}`, res.status === 429 || res.status >= 500);
    }
    const answer = (await res.json().catch(() => null)) as { model?: string; choices?: { message?: { content?: string | null } }[]; usage?: { prompt_tokens?: number; completion_tokens?: number } } | null;
    const content = answer?.choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw new LlmError(LlmErrorCode.BadAnswer, 'the LLM endpoint answered without a message', false);
    return { content, model: this.settings.model, promptTokens: answer?.usage?.prompt_tokens ?? null, completionTokens: answer?.usage?.completion_tokens ?? null };
  }

  /** A JSON answer under `schema`, parsed (a model that still wraps it in a code fence is forgiven). */
  async json(req: ChatRequest & { schema: NonNullable<ChatRequest['schema']> }): Promise<unknown> {
    const { content } = await this.chat(req);
    try {
      return JSON.parse(content.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
    } catch {
      throw new LlmError(LlmErrorCode.BadAnswer, `the LLM did not answer with JSON: ${content.slice(0, 200)}`, false);
    }
  }
}
