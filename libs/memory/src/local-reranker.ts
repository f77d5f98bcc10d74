import { runOnModelThread } from './local-model-thread';
import { DEFAULT_LOCAL_RERANKER, ensureLocalModel, localModel, LocalModelSpec } from './local-model';

/** Scores (query, passage) pairs for relevance; higher is more relevant. */
export interface Reranker {
  score(query: string, passages: string[]): Promise<number[]>;
}

/**
 * A local cross-encoder (ms-marco-MiniLM-L-12-v2, int8) on the models thread: it reads the query
 * and each passage together, which a vector comparison cannot, and orders a first-stage candidate
 * list far better than the vectors alone. Scores are the model's logits (sigmoid → 0…1).
 */
export class LocalReranker implements Reranker {
  readonly model: LocalModelSpec;
  /** Pairs per inference run: bounds the thread's memory and its turn time. */
  readonly batchSize = 16;
  private ready = false;

  constructor(
    private readonly modelsRoot: string,
    modelId: string = DEFAULT_LOCAL_RERANKER,
  ) {
    this.model = localModel(modelId, 'reranker');
  }

  async score(query: string, passages: string[]): Promise<number[]> {
    if (passages.length === 0) return [];
    if (!this.ready) {
      ensureLocalModel(this.modelsRoot, this.model.id);
      this.ready = true;
    }
    const runs: Promise<{ data: Float32Array }>[] = [];
    for (let i = 0; i < passages.length; i += this.batchSize) runs.push(runOnModelThread(this.modelsRoot, { op: 'rerank', model: this.model.id, query, passages: passages.slice(i, i + this.batchSize) }));
    return (await Promise.all(runs)).flatMap((r) => Array.from(r.data));
  }
}

/**
 * Orders `items` by the reranker's score of their text against the query (stable for ties), with
 * each item's score as a 0…1 relevance.
 */
export async function rerank<T>(reranker: Reranker, query: string, items: T[], text: (item: T) => string): Promise<{ item: T; relevance: number }[]> {
  const scores = await reranker.score(query, items.map(text));
  return items
    .map((item, i) => ({ item, i, logit: scores[i] }))
    .sort((a, b) => b.logit - a.logit || a.i - b.i)
    .map(({ item, logit }) => ({ item, relevance: 1 / (1 + Math.exp(-logit)) }));
}
