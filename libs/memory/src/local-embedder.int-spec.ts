import { loadConfig } from '@phoenix/config';
import { LocalEmbedder } from './local-embedder';
import { LOCAL_MODEL_DIMS } from './local-model';
import { LocalReranker } from './local-reranker';

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('LocalReranker (the real cross-encoder, on the models thread)', () => {
  it('scores the passage that answers the question above the ones that only share its words', async () => {
    const reranker = new LocalReranker(loadConfig().paths.models);
    const scores = await reranker.score('what is the capital of france', ['The mitochondria is the powerhouse of the cell.', 'Paris is the capital and most populous city of France.', 'France borders Spain; its capital question came up in class.']);
    expect(scores).toHaveLength(3);
    expect(scores[1]).toBeGreaterThan(scores[0]);
    expect(scores[1]).toBeGreaterThan(scores[2]);
    expect(await reranker.score('anything', [])).toEqual([]);
  });

  it('scores more passages than one run takes, in order', async () => {
    const reranker = new LocalReranker(loadConfig().paths.models);
    const passages = Array.from({ length: 40 }, (_, i) => (i === 33 ? 'The refund window is 14 days from delivery.' : `Unrelated note number ${i} about the weather.`));
    const scores = await reranker.score('how long is the refund window', passages);
    expect(scores).toHaveLength(40);
    expect(scores.indexOf(Math.max(...scores))).toBe(33);
  });
});

describe('LocalEmbedder (the real model, on its own thread)', () => {
  const embedder = new LocalEmbedder(loadConfig().paths.models);

  it('embeds with the real model and never loads it on the calling thread', async () => {
    const [renewal, renewal2, lunch] = await embedder.embedDocuments(['the customer asked about renewing the contract', 'a question about contract renewal', 'we had pasta for lunch']);
    expect(renewal).toHaveLength(LOCAL_MODEL_DIMS);
    expect(Math.abs(dot(renewal, renewal) - 1)).toBeLessThan(1e-3);
    expect(dot(renewal, renewal2)).toBeGreaterThan(dot(renewal, lunch));
    expect(Object.keys(require.cache).some((k) => k.includes('@huggingface/transformers') || k.includes('onnxruntime-node'))).toBe(false);
  });

  it('leaves the event loop free while a large batch is embedded', async () => {
    // On the event loop a 64-text batch blocks it for its whole inference run: timers would fire
    // about once per batch. Off it, a 5 ms timer keeps firing throughout.
    const texts = Array.from({ length: 512 }, (_, i) => `note ${i}: the customer asked about renewal option ${i % 97} for account ${i}`);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const vectors = await embedder.embedDocuments(texts);
    clearInterval(timer);
    expect(vectors).toHaveLength(512);
    expect(ticks).toBeGreaterThan(4 * (512 / embedder.batchSize));
  });

  it('two embedders in one process work side by side (they share the model thread)', async () => {
    const other = new LocalEmbedder(loadConfig().paths.models);
    const [mine, theirs] = await Promise.all([embedder.embedDocuments(['shared thread']), other.embedDocuments(['shared thread'])]);
    expect(dot(mine[0], theirs[0])).toBeGreaterThan(0.999);
  });

  it('queries share the thread and come back in call order', async () => {
    const [a, b] = await Promise.all([embedder.embedQuery('renewal'), embedder.embedQuery('lunch')]);
    const [da, db] = await embedder.embedDocuments(['renewal', 'lunch']);
    // Queries carry e5's "query: " prefix, passages "passage: ": close, not equal — and each
    // query is nearest its own text, so the answers did not swap.
    expect(dot(a, da)).toBeGreaterThan(dot(a, db));
    expect(dot(b, db)).toBeGreaterThan(dot(b, da));
  });
});
