import { LocalEmbedder } from './local-embedder';

/** The embedder with inference replaced by a recorder (the real model runs in the integration specs). */
function recording() {
  const e = new LocalEmbedder('/nonexistent', 'all-MiniLM-L6-v2');
  const calls: string[][] = [];
  (e as unknown as { infer(texts: string[]): Promise<number[][]> }).infer = async (texts) => {
    calls.push(texts);
    return texts.map((t) => [t.length, t.charCodeAt(0)]);
  };
  return { e, calls };
}

describe('LocalEmbedder entity cache', () => {
  it('embeds each distinct new text once and answers repeats from the cache, in order, as copies', async () => {
    const { e, calls } = recording();
    expect(await e.embedDocuments(['Acme', 'Globex', 'Acme'])).toEqual([[4, 65], [6, 71], [4, 65]]);
    const second = await e.embedDocuments(['Globex', 'Initech']);
    expect(second).toEqual([[6, 71], [7, 73]]);
    expect(calls).toEqual([['Acme', 'Globex'], ['Initech']]);
    second[0][0] = 999;
    expect((await e.embedDocuments(['Globex']))[0]).toEqual([6, 71]);
    expect(calls).toHaveLength(2);
  });

  it('forgets the least recently used text beyond cacheSize', async () => {
    const { e, calls } = recording();
    (e as unknown as { cacheSize: number }).cacheSize = 2;
    await e.embedDocuments(['a1', 'b1']);
    await e.embedDocuments(['a1']); // a1 is now the most recent
    await e.embedDocuments(['c1']); // evicts b1
    await e.embedDocuments(['a1', 'b1']);
    expect(calls).toEqual([['a1', 'b1'], ['c1'], ['b1']]);
  });

  it("gives queries and passages the model's prefixes (e5: 'query: ' and 'passage: ')", async () => {
    const e = new LocalEmbedder('/nonexistent', 'e5-small-v2');
    const calls: string[][] = [];
    (e as unknown as { infer(texts: string[]): Promise<number[][]> }).infer = async (texts) => (calls.push(texts), texts.map(() => [1]));
    await e.embedDocuments(['Acme renewed']);
    await e.embedQuery('who renewed');
    expect(calls).toEqual([['passage: Acme renewed'], ['query: who renewed']]);
  });

  it('refuses a model it does not know, naming the ones it has', () => {
    expect(() => new LocalEmbedder('/nonexistent', 'gpt-embed')).toThrow(/not a local embedder model \(there are: e5-small-v2, all-MiniLM-L6-v2\)/);
    expect(() => new LocalEmbedder('/nonexistent', 'ms-marco-MiniLM-L-12-v2')).toThrow(/not a local embedder/);
  });

  it('does not cache queries', async () => {
    const { e, calls } = recording();
    await e.embedQuery('which Acme deals moved');
    await e.embedQuery('which Acme deals moved');
    expect(calls).toEqual([['which Acme deals moved'], ['which Acme deals moved']]);
  });
});
