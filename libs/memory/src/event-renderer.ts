import { ChangeEvent, ChatMessage, CODE_TOPIC_PREFIX, CodeEvent, Envelope, Feedback, JsonValue, McpResult, TaskOutcome, TOPICS } from '@phoenix/contracts';
import { renderCodeEvent } from './code-event-renderer';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const cap = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s);
const systemName = (s: string) => ({ hubspot: 'HubSpot', github: 'GitHub', zendesk: 'Zendesk', gong: 'Gong', salesforce: 'Salesforce' })[s.toLowerCase()] ?? cap(s);

/** "deals" → "Deal", "ticket_comments" → "Ticket comment". */
function entityName(table: string): string {
  const words = table.replace(/[_-]+/g, ' ').trim();
  const singular = words.replace(/ies$/, 'y').replace(/(ss)$/, '$1').replace(/s$/, '');
  return cap(singular);
}

function scalar(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return 'empty';
  if (typeof v === 'object') return JSON.stringify(v).slice(0, 80);
  return String(v);
}

function pkText(pk: JsonValue): string {
  if (pk && typeof pk === 'object' && !Array.isArray(pk)) {
    const vals = Object.values(pk);
    return vals.length === 1 ? scalar(vals[0]) : vals.map(scalar).join('/');
  }
  return scalar(pk);
}

function fields(row: JsonValue | null, limit = 6): string {
  if (!row || typeof row !== 'object' || Array.isArray(row)) return '';
  return Object.entries(row)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .slice(0, limit)
    .map(([k, v]) => `${k} ${scalar(v)}`)
    .join(', ');
}

/** "Deal 42 moved stage from proposal to closed-won (HubSpot, 2026-11-20)". */
export function renderChange(c: ChangeEvent, occurredAt: number): string {
  const what = `${entityName(c.table)} ${pkText(c.primaryKey)}`;
  const where = `(${systemName(c.system)}, ${day(c.sourceTs ?? occurredAt)})`;
  const before = (c.before ?? {}) as Record<string, JsonValue>;
  const after = (c.after ?? {}) as Record<string, JsonValue>;
  switch (c.op) {
    case 'create':
    case 'snapshot':
      return `${what} ${c.op === 'create' ? 'was created' : 'exists'}: ${fields(c.after)} ${where}`.replace(': (', '(');
    case 'delete':
      return `${what} was deleted ${where}`;
    case 'truncate':
      return `${entityName(c.table)} table was truncated ${where}`;
    default: {
      const changes = c.changedFields.slice(0, 4).map((f) => (f in before ? `${f} from ${scalar(before[f])} to ${scalar(after[f])}` : `${f} to ${scalar(after[f])}`));
      return `${what} moved ${changes.join(', ') || 'with no field changes'} ${where}`;
    }
  }
}

/**
 * A readable sentence for an event, for semantic memory. Built-in renderings for CDC changes,
 * code repository events, tool results and task outcomes; other events read as "<type> <key>: <fields> (<source>, <date>)".
 */
/** An answer as feedback refers to it: its words and the question it answered, when known. */
export interface RatedAnswer {
  text: string;
  prompt?: string;
}

/** What the renderer may know beyond the event: for feedback, the answer it rates. */
export interface RenderContext {
  ratedResponse?: (responseId: string) => RatedAnswer | undefined;
}

export function renderEvent(topic: string, event: Envelope<unknown>, rc: RenderContext = {}): string {
  if (topic.startsWith('cdc.')) return renderChange(event.payload as ChangeEvent, event.occurredAt);
  if (topic.startsWith(CODE_TOPIC_PREFIX)) return renderCodeEvent(event.payload as CodeEvent, event.occurredAt);
  if (topic === TOPICS.mcpResults) {
    const r = event.payload as McpResult;
    return `Tool ${r.server}/${r.tool} answered ${r.status}${r.error ? `: ${r.error}` : ''} (${day(event.occurredAt)})`;
  }
  if (topic === TOPICS.supervisorOutcomes) {
    const o = event.payload as TaskOutcome;
    return `Task "${o.goal}" ${o.status} after ${o.steps.length} step(s)${o.error ? `: ${o.error}` : ''} (${day(event.occurredAt)})`;
  }
  if (topic === TOPICS.interactionsFeedback) {
    const f = event.payload as Feedback;
    const who = f.userId ? `User ${f.userId}` : 'A user';
    const rated = rc.ratedResponse?.(f.responseId);
    // With the question it answered, a correction is found by the question the next time it is asked.
    const subject = rated?.prompt ? `the answer to "${rated.prompt.slice(0, 300)}"` : `response ${f.responseId}`;
    const what =
      f.kind === 'rating' ? `rated ${subject} ${f.rating}/5` : f.kind === 'thumbs' ? `gave ${subject} a thumbs ${f.thumbs}` : f.kind === 'correction' ? `corrected ${subject}: "${(f.correction ?? '').slice(0, 300)}"` : `labelled ${subject} "${f.label}"`;
    const answer = rated ? ` (${f.kind === 'correction' ? 'the corrected answer was' : 'the answer was'}: "${rated.text.slice(0, 300)}")` : '';
    return `${who} ${what}${answer}${f.comment ? ` — "${f.comment.slice(0, 200)}"` : ''} (${day(event.occurredAt)})`;
  }
  if (topic === TOPICS.interactionsChat) {
    const m = event.payload as ChatMessage;
    // The speaker, the day and the words: the conversation is the memory's run (its scope), and
    // repeating its id in every text only pulls the embeddings of one conversation together.
    return `${chatSpeaker(m)} said on ${day(event.occurredAt)}: "${m.text.slice(0, 500)}"`;
  }
  const p = event.payload as JsonValue;
  const body = typeof p === 'string' ? p.slice(0, 300) : fields(p) || scalar(p);
  const text = (p as { text?: unknown })?.text;
  return `${event.type}${event.key ? ` ${event.key}` : ''}: ${typeof text === 'string' ? text.slice(0, 300) : body} (${event.source}, ${day(event.occurredAt)})`;
}

/** Who wrote a chat message, as its memory names them: the user's id, or the role. */
export const chatSpeaker = (m: Pick<ChatMessage, 'role' | 'userId'>): string => (m.role === 'user' ? (m.userId ?? 'User') : cap(m.role));

/** The entity an event is about, for deleting its memories: "<topic>/<key>". */
export function entityOf(topic: string, event: Envelope<unknown>): string | null {
  return event.key ? `${topic}/${event.key}` : null;
}
