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

  it('reads the best items that have a context again after it, and ranks by the sum of both scores', async () => {
    const table: Record<string, number> = { 'q|alone A': 2, 'q|alone B': 1, 'q|alone C': 0.5, 'q|alone D': -1, 'q|ctx B\nalone B': 4, 'q|ctx D\nalone D': 9 };
    const calls: string[][] = [];
    const r: Reranker = { score: async (q, ps) => (calls.push(ps), ps.map((p) => table[`${q}|${p}`])) };
    const context = (x: string) => ({ B: 'ctx B', D: 'ctx D' })[x];
    const out = await rerank(r, 'q', ['A', 'B', 'C', 'D'], (x) => `alone ${x}`, { context, top: 3 });
    // B: 1 + 4 = 5 beats A: 2 + 2; D is not among the best 3 alone, so it is not read in context.
    expect(out.map((o) => o.item)).toEqual(['B', 'A', 'C', 'D']);
    expect(calls[1]).toEqual(['ctx B\nalone B']);
    expect(out[0].relevance).toBeCloseTo(1 / (1 + Math.exp(-2.5)));
    expect(out[1].relevance).toBeCloseTo(1 / (1 + Math.exp(-2)));
  });

  it('with top 0 (or no context) ranks as the text alone does', async () => {
    const r = fixed([-2, 3, 0, 3]);
    const out = await rerank(r, 'q', ['a', 'b', 'c', 'd'], (x) => x, { context: () => 'ctx', top: 0 });
    expect(out.map((o) => o.item)).toEqual(['b', 'd', 'c', 'a']);
    expect(r.calls).toHaveLength(1);
  });
});
