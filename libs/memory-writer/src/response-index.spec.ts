import { ChatMessage } from '@phoenix/contracts';
import { ResponseIndex } from './response-index';

const msg = (m: Partial<ChatMessage> & Pick<ChatMessage, 'role' | 'text' | 'messageId'>): ChatMessage => ({
  conversationId: 'c1',
  userId: 'u1',
  responseId: null,
  replyTo: null,
  model: null,
  metadata: null,
  ...m,
});

describe('ResponseIndex', () => {
  it('pairs an answer with the message it replies to', () => {
    const idx = new ResponseIndex();
    idx.note(msg({ role: 'user', messageId: 'q1', text: 'Where is the demo?' }));
    idx.note(msg({ role: 'user', messageId: 'q2', text: 'And the price?' }));
    idx.note(msg({ role: 'assistant', messageId: 'a1', responseId: 'r1', replyTo: 'q1', text: 'In Lisbon.' }));
    expect(idx.get('r1')).toEqual({ text: 'In Lisbon.', prompt: 'Where is the demo?' });
  });

  it("falls back to the conversation's last user message, and to no prompt at all", () => {
    const idx = new ResponseIndex();
    idx.note(msg({ role: 'assistant', messageId: 'a0', responseId: 'r0', text: 'Hello.' }));
    idx.note(msg({ role: 'user', messageId: 'q1', text: 'Price?' }));
    idx.note(msg({ role: 'user', messageId: 'q9', conversationId: 'c2', text: 'Other conversation' }));
    idx.note(msg({ role: 'assistant', messageId: 'a1', responseId: 'r1', text: '42 EUR' }));
    expect(idx.get('r0')).toEqual({ text: 'Hello.' });
    expect(idx.get('r1')).toEqual({ text: '42 EUR', prompt: 'Price?' });
    expect(idx.get('nope')).toBeUndefined();
  });

  it('forgets the oldest entries past its capacity', () => {
    const idx = new ResponseIndex(2);
    for (const n of [1, 2, 3]) idx.note(msg({ role: 'assistant', messageId: `a${n}`, responseId: `r${n}`, text: `answer ${n}` }));
    expect(idx.get('r1')).toBeUndefined();
    expect(idx.get('r3')?.text).toBe('answer 3');
  });

  it('knows the message a message replies to, by replyTo only, with its speaker', () => {
    const idx = new ResponseIndex();
    idx.note(msg({ role: 'user', userId: 'Caroline', messageId: 'm1', text: 'How was the race?' }));
    const reply = msg({ role: 'user', userId: 'Melanie', messageId: 'm2', replyTo: 'm1', text: 'We won!' });
    idx.note(reply);
    const answer = msg({ role: 'assistant', messageId: 'a1', responseId: 'r1', replyTo: 'm2', text: 'Congratulations.' });
    expect(idx.repliedTo(reply)).toBe('Caroline: How was the race?');
    expect(idx.repliedTo(answer)).toBe('Melanie: We won!');
    expect(idx.repliedTo(msg({ role: 'user', messageId: 'm3', text: 'next' }))).toBeUndefined();
    expect(idx.repliedTo(msg({ role: 'user', messageId: 'm4', replyTo: 'unknown', text: 'next' }))).toBeUndefined();
  });
});
