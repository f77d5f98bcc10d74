import { ConsumedEvent } from '@phoenix/bus';
import { ChatMessage, globToRegExp, render, TOPICS } from '@phoenix/contracts';
import { entityOf, MemoryFileConfig, MemoryNamespace, MemoryScope, renderEvent, REPLY_CONTEXT_KEY } from '@phoenix/memory';
import { MemoryRequest } from './memory-outbox.applier';
import { ResponseIndex } from './response-index';

const any = (globs: string[] | undefined, value: string) => !globs || globs.some((g) => globToRegExp(g).test(value));

/** Characters of the replied-to message kept with a reply's memory (the reranker reads 256 tokens). */
const REPLY_CONTEXT_CHARS = 300;

/**
 * The memory an event becomes under the first `memories` rule that matches it, or null (no rule,
 * or a skip rule): its text, scope and metadata. A chat message that replies to a message the
 * index knows carries that message in `metadata.in_reply_to`, so search can read the reply in
 * context. Pure apart from the index, which must have noted the event's batch already.
 */
export function addRequestFor(cfg: MemoryFileConfig, c: Pick<ConsumedEvent, 'topic' | 'event' | 'replay'>, responses: ResponseIndex): Extract<MemoryRequest, { op: 'add' }> | null {
  const { event } = c;
  const namespace: MemoryNamespace = c.replay ? 'shadow' : 'live';
  const rule = cfg.memories.find((r) => any(r.match.topics, c.topic) && any(r.match.types, event.type));
  if (!rule || rule.skip) return null;
  const text = rule.text ? String(render(rule.text, event)) : renderEvent(c.topic, event, { ratedResponse: (id) => responses.get(id) });
  const scope: MemoryScope = {};
  for (const [k, tpl] of Object.entries(rule.scope ?? {})) {
    const v = render(tpl, event);
    if (v !== null && v !== undefined && v !== '') scope[k as keyof MemoryScope] = String(v);
  }
  const repliedTo = c.topic === TOPICS.interactionsChat ? responses.repliedTo(event.payload as ChatMessage) : undefined;
  return {
    op: 'add',
    topic: c.topic,
    text,
    scope,
    entity: entityOf(c.topic, event),
    namespace,
    metadata: {
      topic: c.topic,
      event_id: event.id,
      type: event.type,
      source: event.source,
      key: event.key,
      occurred_at: new Date(event.occurredAt).toISOString(),
      correlation_id: event.correlationId,
      ...(event.tenant ? { tenant: event.tenant } : {}),
      ...(repliedTo ? { [REPLY_CONTEXT_KEY]: repliedTo.slice(0, REPLY_CONTEXT_CHARS) } : {}),
    },
  };
}
