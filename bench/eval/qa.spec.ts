import { answerScore, normalizeAnswer, qaSummary } from './qa';

describe('QA scores (exact match, token F1)', () => {
  it('normalises case, punctuation and articles', () => {
    expect(normalizeAnswer('The  Lake, at sunrise!')).toBe('lake at sunrise');
  });
  it('scores exact, partial and wrong answers', () => {
    expect(answerScore('A lake at sunrise.', 'lake at sunrise')).toEqual({ em: 1, f1: 1 });
    const partial = answerScore('a lake', 'lake at sunrise');
    expect(partial.em).toBe(0);
    expect(partial.f1).toBeCloseTo((2 * 1 * (1 / 3)) / (1 + 1 / 3), 6);
    expect(answerScore('unknown', '7 May 2023')).toEqual({ em: 0, f1: 0 });
    expect(answerScore('', '')).toEqual({ em: 0, f1: 1 });
  });
  it('summarises answers: means, failures and the median time', () => {
    const a = (em: number, f1: number, ms: number, status = 'succeeded') => ({ question: 'q', category: 1, reference: 'r', answer: 'x', status, error: null, memories: 1, em, f1, ms });
    expect(qaSummary([a(1, 1, 10), a(0, 0.5, 30), a(0, 0, 20, 'failed')])).toEqual({ n: 3, em: 1 / 3, f1: 0.5, failed: 1, p50Ms: 20 });
  });
});
