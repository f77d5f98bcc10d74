import { TopK } from './top-k';

/** Mem0's keyword tokens: lower case, split on whitespace. */
export const tokenize = (text: string): string[] => text.toLowerCase().split(/\s+/).filter(Boolean);

/** Which slots a search may return, with their count and total text length (for BM25's averages). */
export interface Admitted {
  mask: Uint8Array;
  n: number;
  totalLength: number;
}

/**
 * An inverted index over the memories' texts, scored with BM25 (k1 1.5, b 0.75) as Mem0's own
 * store scores keyword search: document count and average length over the admitted memories.
 */
export class KeywordIndex {
  /** term → (slot → term frequency). */
  private readonly postings = new Map<string, Map<number, number>>();
  /** Distinct terms of each slot's text (to unindex it). */
  private readonly terms: (string[] | null)[] = [];
  private readonly lengths: number[] = [];
  private total = 0;

  /** Total length (words) of every indexed text. */
  get totalLength(): number {
    return this.total;
  }

  /** Words in a slot's text. */
  length(slot: number): number {
    return this.lengths[slot] ?? 0;
  }

  add(slot: number, text: string): void {
    const words = tokenize(text);
    const tf = new Map<string, number>();
    for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
    for (const [w, n] of tf) {
      let docs = this.postings.get(w);
      if (!docs) this.postings.set(w, (docs = new Map()));
      docs.set(slot, n);
    }
    this.terms[slot] = [...tf.keys()];
    this.lengths[slot] = words.length;
    this.total += words.length;
  }

  remove(slot: number): void {
    for (const w of this.terms[slot] ?? []) {
      const docs = this.postings.get(w)!;
      docs.delete(slot);
      if (docs.size === 0) this.postings.delete(w);
    }
    this.total -= this.lengths[slot] ?? 0;
    this.terms[slot] = null;
    this.lengths[slot] = 0;
  }

  clear(): void {
    this.postings.clear();
    this.terms.length = 0;
    this.lengths.length = 0;
    this.total = 0;
  }

  /** The best `topK` slots for `query` among those admitted (all `live` slots when `admitted` is null). */
  search(query: string, topK: number, admitted: Admitted | null, live: number, slots: number): TopK {
    const best = new TopK(topK);
    const terms = tokenize(query);
    const mask = admitted?.mask;
    const n = admitted ? admitted.n : live;
    if (terms.length === 0 || n === 0) return best;
    const avgLength = (admitted ? admitted.totalLength : this.total) / n;
    const k1 = 1.5;
    const b = 0.75;
    const scores = new Float64Array(slots);
    const touched: number[] = [];
    const idf = new Map<string, number>();
    for (const term of terms) {
      const docs = this.postings.get(term);
      if (!docs) continue;
      let w = idf.get(term);
      if (w === undefined) {
        let df = docs.size;
        if (mask) {
          df = 0;
          for (const s of docs.keys()) df += mask[s];
        }
        w = Math.log((n - df + 0.5) / (df + 0.5) + 1);
        idf.set(term, w);
      }
      for (const [s, tf] of docs) {
        if (mask && !mask[s]) continue;
        if (scores[s] === 0) touched.push(s);
        scores[s] += (w * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * this.lengths[s]) / avgLength));
      }
    }
    for (const s of touched) if (scores[s] > 0) best.offer(s, scores[s]);
    return best;
  }
}
