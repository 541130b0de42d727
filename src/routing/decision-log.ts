import type { RouteDecision } from './decision.js';

/** What `route.feedback {decisionId}` needs to know about an earlier decision. */
export interface LoggedDecision {
  text: string;
  decision: RouteDecision;
}

/**
 * The most recent decisions by id (insertion-ordered Map as an LRU), so feedback can name a
 * decision instead of resending its text. Bounded: the oldest entries fall out past `capacity`.
 */
export class DecisionLog {
  private readonly entries = new Map<string, LoggedDecision>();
  private readonly capacity: number;

  constructor(capacity = 10_000) {
    this.capacity = capacity;
  }

  /** Remembers a decision and the text it was made for. */
  add(text: string, decision: RouteDecision): void {
    this.entries.set(decision.decisionId, { text, decision });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The decision with this id, if it is still remembered. */
  get(decisionId: string): LoggedDecision | undefined {
    return this.entries.get(decisionId);
  }

  get size(): number {
    return this.entries.size;
  }
}
