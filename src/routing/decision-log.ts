/**
 * The texts of the most recent decisions by decisionId (insertion-ordered Map as an LRU), so
 * `route.feedback {decisionId}` can name a decision instead of resending its text. Bounded: the
 * oldest entries fall out past `capacity`. Only the text is kept, not the decision object: with
 * 10,000 entries those objects made up most of the daemon's long-lived heap and every one of them
 * survived a scavenge, which lengthened GC pauses under load (issue 7).
 */
export class DecisionLog {
  private readonly texts = new Map<string, string>();
  private readonly capacity: number;

  constructor(capacity = 10_000) {
    this.capacity = capacity;
  }

  /** Remembers the text decision `decisionId` was made for. */
  add(decisionId: string, text: string): void {
    this.texts.set(decisionId, text);
    if (this.texts.size > this.capacity) this.texts.delete(this.texts.keys().next().value!);
  }

  /** The text of the decision with this id, if it is still remembered. */
  text(decisionId: string): string | undefined {
    return this.texts.get(decisionId);
  }

  get size(): number {
    return this.texts.size;
  }
}
