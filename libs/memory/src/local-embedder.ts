import { ensureLocalModel, LOCAL_MODEL_ID } from './local-model';

type Extractor = (texts: string[], opts: { pooling: 'mean'; normalize: boolean }) => Promise<{ dims: number[]; data: Float32Array }>;

/**
 * all-MiniLM-L6-v2 in-process (transformers.js + onnxruntime, int8), offline: remote model
 * loading is disabled and the files come from {@link ensureLocalModel}. Mean pooling and L2
 * normalization, as sentence-transformers does. Concurrent calls are coalesced into one batch.
 * Exposes `embedQuery`/`embedDocuments`, the embeddings interface Mem0's langchain provider takes.
 */
export class LocalEmbedder {
  readonly batchSize = 64;
  private extractor?: Promise<Extractor>;
  private pending: { text: string; resolve: (v: number[]) => void; reject: (e: Error) => void }[] = [];
  private scheduled = false;
  private readonly cache = new Map<string, number[]>();
  readonly cacheSize = 10_000;

  constructor(private readonly modelsRoot: string) {}

  private load(): Promise<Extractor> {
    this.extractor ??= (async () => {
      ensureLocalModel(this.modelsRoot);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { pipeline, env } = require('@huggingface/transformers') as typeof import('@huggingface/transformers');
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.localModelPath = this.modelsRoot;
      env.useFSCache = false;
      env.useBrowserCache = false;
      return (await pipeline('feature-extraction', LOCAL_MODEL_ID, { dtype: 'q8', device: 'cpu' })) as unknown as Extractor;
    })();
    return this.extractor;
  }

  /**
   * Embeds a list of texts. Mem0 calls this for the entities it extracts from every query and
   * memory (company, person, product names), which recur constantly: those vectors are remembered
   * (LRU of {@link cacheSize} texts), so only new names cost an inference. Queries (embedQuery) are
   * not cached.
   */
  async embedDocuments(texts: string[]): Promise<number[][]> {
    const out: (number[] | undefined)[] = texts.map((t) => {
      const hit = this.cache.get(t);
      if (hit) {
        this.cache.delete(t);
        this.cache.set(t, hit);
      }
      return hit;
    });
    const missing = [...new Set(texts.filter((_, i) => !out[i]))];
    if (missing.length) {
      const vectors = await this.infer(missing);
      const byText = new Map(missing.map((t, i) => [t, vectors[i]]));
      for (const [t, v] of byText) {
        this.cache.set(t, v);
        if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      }
      texts.forEach((t, i) => (out[i] ??= byText.get(t)));
    }
    // Copies: callers may keep or change what they get.
    return out.map((v) => [...v!]);
  }

  private async infer(texts: string[]): Promise<number[][]> {
    const extractor = await this.load();
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const chunk = texts.slice(i, i + this.batchSize);
      const t = await extractor(chunk, { pooling: 'mean', normalize: true });
      const d = t.dims[1];
      for (let j = 0; j < chunk.length; j++) out.push(Array.from(t.data.subarray(j * d, (j + 1) * d)));
    }
    return out;
  }

  /** One text; calls made in the same tick share an inference run. */
  embedQuery(text: string): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ text, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    try {
      const vectors = await this.infer(batch.map((b) => b.text));
      batch.forEach((b, i) => b.resolve(vectors[i]));
    } catch (err) {
      for (const b of batch) b.reject(err as Error);
    }
  }
}
