import { createHistogram } from 'node:perf_hooks';
import type { RouteDecision } from '../routing/index.js';

/** Counters and a latency histogram of routing decisions since start (for `status`, `router.stats`). */
export class DecisionStats {
  private readonly histogram = createHistogram();
  private readonly bySource: Record<string, number> = {};
  private readonly byTier: Record<string, number> = {};
  private total = 0;

  /** Records one decision. */
  record(decision: RouteDecision): void {
    this.total++;
    this.bySource[decision.source] = (this.bySource[decision.source] ?? 0) + 1;
    this.byTier[decision.modelTier] = (this.byTier[decision.modelTier] ?? 0) + 1;
    this.histogram.record(Math.max(1, Math.round(decision.latencyMs * 1000)));
  }

  /** Totals and router latency percentiles in ms. */
  snapshot(): {
    decisions: number;
    bySource: Record<string, number>;
    byTier: Record<string, number>;
    latencyMs: { p50: number; p99: number; max: number } | null;
  } {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      decisions: this.total,
      bySource: { ...this.bySource },
      byTier: { ...this.byTier },
      latencyMs: this.total === 0 ? null : { p50: ms(this.histogram.percentile(50)), p99: ms(this.histogram.percentile(99)), max: ms(this.histogram.max) },
    };
  }
}
