import { ChatMessage, createEnvelope, TOPICS } from '@phoenix/contracts';
import { memoryFileSchema, REPLY_CONTEXT_KEY } from '@phoenix/memory';
import { addRequestFor } from './memory-request';
import { ResponseIndex } from './response-index';

const cfg = memoryFileSchema.parse({
  memories: [
    { match: { topics: 'interactions.*' }, scope: { userId: '{{ $.payload.userId }}', runId: '{{ $.payload.conversationId }}' } },
    { match: { topics: 'mcp.results' }, skip: true },
  ],
});
const chat = (messageId: string, text: string, extra: Partial<ChatMessage> = {}) => ({
  topic: TOPICS.interactionsChat,
  replay: false,
  event: createEnvelope({ type: 'chat.message.user', source: 'spec', key: 'c1', occurredAt: Date.UTC(2023, 4, 8), payload: { conversationId: 'c1', messageId, role: 'user', text, userId: 'Caroline', responseId: null, replyTo: null, model: null, metadata: null, ...extra } as ChatMessage }),
});

describe('addRequestFor', () => {
  it('renders the memory, its scope and metadata, and a reply carries the message it replies to', () => {
    const idx = new ResponseIndex();
    const first = chat('m1', 'How was the race?', { userId: 'Melanie' });
    const reply = chat('m2', 'We won!', { replyTo: 'm1' });
    idx.note(first.event.payload);
    idx.note(reply.event.payload);
    const r = addRequestFor(cfg, reply, idx)!;
    expect(r).toMatchObject({ op: 'add', text: 'Caroline said on 2023-05-08: "We won!"', scope: { userId: 'Caroline', runId: 'c1' }, entity: 'interactions.chat/c1', namespace: 'live' });
    expect(r.metadata).toMatchObject({ topic: TOPICS.interactionsChat, event_id: reply.event.id, [REPLY_CONTEXT_KEY]: 'Melanie: How was the race?' });
    expect(addRequestFor(cfg, first, idx)!.metadata).not.toHaveProperty(REPLY_CONTEXT_KEY);
  });

  it('makes nothing of an event no rule keeps, and shadow memories of replays', () => {
    const idx = new ResponseIndex();
    const result = { topic: TOPICS.mcpResults, replay: false, event: createEnvelope({ type: 'mcp.result', source: 'spec', payload: {} }) };
    expect(addRequestFor(cfg, result, idx)).toBeNull();
    expect(addRequestFor(cfg, { ...chat('m1', 'hi'), replay: true }, idx)?.namespace).toBe('shadow');
  });
});
