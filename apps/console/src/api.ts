import { Backoff } from '../../../libs/concurrency/src/backoff';
/**
 * The console's HTTP client: every call carries the API key (kept in this tab's session storage),
 * and every error answer is turned into an ApiError with the gateway's code, message and
 * violations, so pages show the same errors the API gives.
 */
const KEY = 'phoenix.apiKey';

export interface Violation {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly violations: Violation[] = [],
  ) {
    super(message);
  }
  describe(): string {
    const v = this.violations.map((x) => `${x.path || '(body)'}: ${x.message}`).join('; ');
    return `${this.status} ${this.code}: ${this.message}${v ? ` — ${v}` : ''}`;
  }
}

export const apiKey = {
  get: () => sessionStorage.getItem(KEY),
  set: (k: string) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

type Listener = (online: boolean) => void;
const listeners = new Set<Listener>();
let online = true;
function setOnline(v: boolean): void {
  if (v === online) return;
  online = v;
  for (const l of listeners) l(v);
}
export const connection = { onChange: (l: Listener) => listeners.add(l), get online() { return online; } };

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey.get();
  return { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra };
}

async function toError(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; violations?: Violation[] } };
    if (body.error) return new ApiError(res.status, body.error.code ?? 'ERROR', body.error.message ?? res.statusText, body.error.violations ?? []);
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, 'HTTP_ERROR', text.slice(0, 300) || res.statusText);
}

export async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { method, headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }), body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    setOnline(false);
    throw new ApiError(0, 'NETWORK', `the gateway did not answer (${(err as Error).message})`);
  }
  setOnline(true);
  if (!res.ok) throw await toError(res);
  if (res.status === 202 && res.headers.get('content-length') === '0') return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body: unknown) => request<T>('POST', path, body);

/** Calls one tool of Phoenix's own MCP server (`/mcp`, stateless JSON answers). */
export async function callTool<T>(name: string, args: Record<string, unknown>): Promise<T> {
  const answer = await post<{ result?: { isError?: boolean; structuredContent?: T; content?: { text?: string }[] }; error?: { message: string } }>('/mcp', { jsonrpc: '2.0', id: Date.now(), method: 'tools/call', params: { name, arguments: args } });
  if (answer.error) throw new ApiError(200, 'MCP_ERROR', answer.error.message);
  if (answer.result?.isError) throw new ApiError(200, 'TOOL_ERROR', answer.result.content?.map((c) => c.text ?? '').join('\n') ?? 'tool failed');
  return answer.result?.structuredContent as T;
}

export interface StreamHandle {
  close(): void;
}

/**
 * A server-sent-event stream read with fetch (so the key goes in a header, never in the URL).
 * A dropped connection is retried by itself with backoff; `onState` tells the page.
 */
export function stream(path: string, on: { events: (batch: unknown[]) => void; dropped?: (n: number) => void; state: (s: 'connecting' | 'live' | 'retrying', detail?: string) => void }): StreamHandle {
  let closed = false;
  let ctrl: AbortController | undefined;
  const backoff = new Backoff(500, 5000);
  const run = async () => {
    while (!closed) {
      on.state('connecting');
      ctrl = new AbortController();
      try {
        const res = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal: ctrl.signal });
        if (!res.ok) throw await toError(res);
        setOnline(true);
        on.state('live');
        backoff.reset();
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
            }
            if (!data.length) continue;
            if (event === 'events') on.events(JSON.parse(data.join('\n')) as unknown[]);
            else if (event === 'dropped') on.dropped?.(Number(data.join('')));
          }
        }
        if (closed) return;
        on.state('retrying', 'the stream ended');
      } catch (err) {
        if (closed) return;
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
          on.state('retrying', err.describe());
          return;
        }
        setOnline(false);
        on.state('retrying', (err as Error).message);
      }
      await new Promise((r) => setTimeout(r, backoff.next()));
    }
  };
  void run();
  return {
    close() {
      closed = true;
      ctrl?.abort();
    },
  };
}
