import { LlmClient, LlmError, LlmErrorCode } from './llm-client';

const ok = (content: string) => new Response(JSON.stringify({ choices: [{ message: { content } }] }), { status: 200 });

/** A fetch that plays the given outcomes in order (a Response, or an error to throw), counting calls. */
function scripted(outcomes: (Response | Error)[]): typeof fetch & { calls: number } {
  const f = (async () => {
    const next = outcomes[f.calls++];
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch & { calls: number };
  f.calls = 0;
  return f;
}

const timeout = () => Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });

describe('LlmClient', () => {
  beforeEach(() => jest.useFakeTimers({ advanceTimers: true }));
  afterEach(() => jest.useRealTimers());

  it('tries again after a refused connection or a 5xx, then answers', async () => {
    const f = scripted([new TypeError('fetch failed'), new Response('busy', { status: 503 }), ok('Paris')]);
    const answer = await new LlmClient({ baseUrl: 'http://llm', model: 'm' }, f).chat({ messages: [{ role: 'user', content: 'capital?' }] });
    expect([answer.content, f.calls]).toEqual(['Paris', 3]);
  });

  it('gives up after its retries with the last error, retriable', async () => {
    const f = scripted([new Response('a', { status: 502 }), new Response('b', { status: 502 })]);
    const err = await new LlmClient({ baseUrl: 'http://llm', model: 'm', retries: 1 }, f).chat({ messages: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect([(err as LlmError).code, (err as LlmError).retriable, (err as LlmError).message, f.calls]).toEqual([LlmErrorCode.Refused, true, 'LLM endpoint answered 502: b', 2]);
  });

  it('does not try a timed-out request again at once, nor a 4xx', async () => {
    const slow = scripted([timeout(), ok('late')]);
    const e1 = await new LlmClient({ baseUrl: 'http://llm', model: 'm', timeoutMs: 5000 }, slow).chat({ messages: [] }).catch((e: unknown) => e);
    expect([(e1 as LlmError).code, (e1 as LlmError).retriable, (e1 as LlmError).message, slow.calls]).toEqual([LlmErrorCode.TimedOut, true, 'LLM endpoint http://llm did not answer within 5 s', 1]);
    const bad = scripted([new Response('no such model', { status: 404 }), ok('x')]);
    const e2 = await new LlmClient({ baseUrl: 'http://llm', model: 'm' }, bad).chat({ messages: [] }).catch((e: unknown) => e);
    expect([(e2 as LlmError).code, (e2 as LlmError).retriable, bad.calls]).toEqual([LlmErrorCode.Refused, false, 1]);
  });
});
