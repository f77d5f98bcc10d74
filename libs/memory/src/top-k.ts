/** The best `k` (slot, score) pairs seen, kept sorted descending; insertion is O(k) only for winners. */
export class TopK {
  readonly slots: number[] = [];
  readonly scores: number[] = [];
  constructor(private readonly k: number) {}
  get floor(): number {
    return this.slots.length < this.k ? -Infinity : this.scores[this.scores.length - 1];
  }
  offer(slot: number, score: number): void {
    if (this.k <= 0 || (this.slots.length >= this.k && score <= this.scores[this.scores.length - 1])) return;
    let i = this.slots.length < this.k ? this.slots.length : this.k - 1;
    if (this.slots.length < this.k) {
      this.slots.push(slot);
      this.scores.push(score);
    }
    while (i > 0 && this.scores[i - 1] < score) {
      this.slots[i] = this.slots[i - 1];
      this.scores[i] = this.scores[i - 1];
      i--;
    }
    this.slots[i] = slot;
    this.scores[i] = score;
  }
}

