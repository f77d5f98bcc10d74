import { rerank, Reranker } from './local-reranker';

const fixed = (scores: number[]): Reranker & { calls: [string, string[]][] } => {
  const calls: [string, string[]][] = [];
  return { calls, score: async (q, p) => (calls.push([q, p]), scores) };
};

describe('rerank', () => {
  it('orders by the score, ties in the first-stage order, with a 0…1 relevance', async () => {
    const r = fixed([-2, 3, 0, 3]);
    const out = await rerank(r, 'q', ['a', 'b', 'c', 'd'], (x) => `text ${x}`);
    expect(out.map((o) => o.item)).toEqual(['b', 'd', 'c', 'a']);
    expect(out[2].relevance).toBeCloseTo(0.5);
    expect(out[0].relevance).toBeCloseTo(1 / (1 + Math.exp(-3)));
    expect(r.calls).toEqual([['q', ['text a', 'text b', 'text c', 'text d']]]);
  });
});
