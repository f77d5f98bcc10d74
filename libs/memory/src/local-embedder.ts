import { runOnModelThread } from './local-model-thread';
import { DEFAULT_LOCAL_EMBEDDER, ensureLocalModel, localModel, LocalModelSpec } from './local-model';

/**
 * A local embedding model (e5-small-v2 by default, or all-MiniLM-L6-v2; transformers.js +
 * onnxruntime, int8), offline: remote model loading is disabled and the files come from
 * {@link ensureLocalModel}. The model's pooling and L2 normalization, as sentence-transformers
 * does; queries and passages get the prefixes the model was trained with ("query: " and
 * "passage: " for e5). Inference runs on the models thread (`local-model.worker.js`):
 * onnxruntime-node's `run` is synchronous, and on the event loop a batch would hold up Kafka
 * heartbeats, health checks and HTTP for its whole duration. Concurrent calls are coalesced into
 * one batch. Exposes `embedQuery`/`embedDocuments`, the embeddings interface Mem0's langchain
 * provider takes.
 */
export class LocalEmbedder {
  readonly batchSize = 64;
  private pending: { text: string; resolve: (v: number[]) => void; reject: (e: Error) => void }[] = [];
  private scheduled = false;
  private readonly cache = new Map<string, number[]>();
  readonly cacheSize = 10_000;

  readonly model: LocalModelSpec;
  private ready = false;

  constructor(
    private readonly modelsRoot: string,
    modelId: string = DEFAULT_LOCAL_EMBEDDER,
  ) {
    this.model = localModel(modelId, 'embedder');
  }

  private async run(texts: string[]): Promise<number[][]> {
    if (!this.ready) {
      ensureLocalModel(this.modelsRoot, this.model.id);
      this.ready = true;
    }
    const { dims, data } = await runOnModelThread(this.modelsRoot, { op: 'embed', model: this.model.id, pooling: this.model.pooling, texts });
    if (!dims) throw new Error('local embedder: no vectors returned');
    const out: number[][] = [];
    for (let j = 0; j < texts.length; j++) out.push(Array.from(data.subarray(j * dims, (j + 1) * dims)));
    return out;
  }

  /**
   * Embeds a list of texts. Mem0 calls this for the entities it extracts from every query and
   * memory (company, person, product names), which recur constantly: those vectors are remembered
   * (LRU of {@link cacheSize} texts), so only new names cost an inference. Queries (embedQuery) are
   * not cached.
   */
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return this.embedCached(texts.map((t) => this.model.passagePrefix + t));
  }

  private async embedCached(texts: string[]): Promise<number[][]> {
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

  /**
   * Every chunk is posted at once: the thread runs them back to back, instead of waiting for this
   * (possibly busy) event loop to hand over the next one after each answer.
   */
  private async infer(texts: string[]): Promise<number[][]> {
    const runs: Promise<number[][]>[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) runs.push(this.run(texts.slice(i, i + this.batchSize)));
    return (await Promise.all(runs)).flat();
  }

  /** One text; calls made in the same tick share an inference run. */
  embedQuery(text: string): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ text: this.model.queryPrefix + text, resolve, reject });
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
