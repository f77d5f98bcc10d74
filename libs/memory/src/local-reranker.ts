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
  private ready = false;

  /**
   * `batchSize`: pairs per inference run. A padded batch shifts the int8 model's scores a little
   * (its activations are quantized per run, padding included) and reading pairs alone is exact, but
   * alone a search of ~40 pairs took ~4 s instead of ~0.9 s on 2 cores: batches stay the default
   * and the recall lab (`--batch 1`) measures the difference.
   */
  constructor(
    private readonly modelsRoot: string,
    modelId: string = DEFAULT_LOCAL_RERANKER,
    readonly batchSize = 16,
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

/** How {@link rerank} reads items that have a context (a reply: the message it replies to). */
export interface ContextReading<T> {
  /** The item's context, if it has one. */
  context: (item: T) => string | undefined;
  /** How many of the best items (after reading them alone) are read again in context. */
  top: number;
}

/**
 * Orders `items` by the reranker's score of their text against the query (stable for ties), with
 * each item's score as a 0…1 relevance. With `inContext`, the `top` best that have a context are
 * read a second time, after their context ("<context>\n<text>"), and rank by the sum of both
 * logits; every other item counts its own logit twice, so items without a context are ranked as
 * before. A short reply ("Yes, last Saturday!") says little alone: the question it answers says
 * what it is about, and the text alone keeps a reply from riding on a relevant question.
 */
export async function rerank<T>(reranker: Reranker, query: string, items: T[], text: (item: T) => string, inContext?: ContextReading<T>): Promise<{ item: T; relevance: number }[]> {
  const alone = await reranker.score(query, items.map(text));
  const logits = alone.map((s) => 2 * s);
  if (inContext && inContext.top > 0) {
    const best = items
      .map((item, i) => ({ item, i, context: inContext.context(item) }))
      .sort((a, b) => alone[b.i] - alone[a.i] || a.i - b.i)
      .slice(0, inContext.top)
      .filter((c): c is { item: T; i: number; context: string } => !!c.context);
    const read = await reranker.score(query, best.map((c) => `${c.context}\n${text(c.item)}`));
    best.forEach((c, j) => (logits[c.i] = alone[c.i] + read[j]));
  }
  return items
    .map((item, i) => ({ item, i, logit: logits[i] / 2 }))
    .sort((a, b) => b.logit - a.logit || a.i - b.i)
    .map(({ item, logit }) => ({ item, relevance: 1 / (1 + Math.exp(-logit)) }));
}
