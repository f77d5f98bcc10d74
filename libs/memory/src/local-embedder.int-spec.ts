import { loadConfig } from '@phoenix/config';
import { LocalEmbedder } from './local-embedder';
import { LOCAL_MODEL_DIMS } from './local-model';

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

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
    expect(dot(a, da)).toBeGreaterThan(0.999);
    expect(dot(b, db)).toBeGreaterThan(0.999);
  });
});
