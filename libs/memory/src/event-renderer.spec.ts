import { createEnvelope, Feedback } from '@phoenix/contracts';
import { renderEvent } from './event-renderer';

const at = Date.UTC(2026, 10, 20, 9, 0);
const feedback = (f: Partial<Feedback>) =>
  createEnvelope<Feedback>({
    type: `feedback.${f.kind}`,
    source: 'spec',
    key: 'r1',
    occurredAt: at,
    payload: { feedbackId: 'f1', responseId: 'r1', kind: 'correction', userId: 'ana', rating: null, thumbs: null, correction: null, label: null, comment: null, ...f },
  });

describe('renderEvent', () => {
  it('a correction quotes the question, the correction and the answer it corrects', () => {
    const text = renderEvent('interactions.feedback', feedback({ kind: 'correction', correction: 'Fourteen days.' }), { ratedResponse: () => ({ text: 'Thirty days.', prompt: 'How long is the refund window?' }) });
    expect(text).toBe('User ana corrected the answer to "How long is the refund window?": "Fourteen days." (the corrected answer was: "Thirty days.") (2026-11-20)');
  });

  it('without the rated answer, feedback names the response id', () => {
    expect(renderEvent('interactions.feedback', feedback({ kind: 'thumbs', thumbs: 'down', userId: null }))).toBe('A user gave response r1 a thumbs down (2026-11-20)');
    expect(renderEvent('interactions.feedback', feedback({ kind: 'rating', rating: 2, comment: 'too vague' }), { ratedResponse: () => ({ text: 'It depends.' }) })).toBe(
      'User ana rated response r1 2/5 (the answer was: "It depends.") — "too vague" (2026-11-20)',
    );
  });

  it('a chat message reads as its speaker, its day and its words', () => {
    const e = createEnvelope({ type: 'chat.message.user', source: 'spec', key: 'c1', occurredAt: at, payload: { conversationId: 'c1', messageId: 'm1', role: 'user', text: 'Hi there', userId: 'Caroline', responseId: null, replyTo: null, model: null, metadata: null } });
    expect(renderEvent('interactions.chat', e)).toBe('Caroline said on 2026-11-20: "Hi there"');
  });
});
