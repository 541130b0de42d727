import type { Intent, Tier } from './intents.js';

/**
 * Which pipeline stage decided (docs/pipeline.md). `model`: the supervised intent classifier of
 * the built-in local space (issue 16). `local-dna`: the configured remote embedder could not embed
 * (or has no DNA yet) and the built-in local embedder's DNA decided instead.
 */
export type DecisionSource = 'prefix' | 'patch' | 'model' | 'dna' | 'local-dna' | 'keyword' | 'default' | 'disabled';

/** The answer to one route request (DESIGN.md §2 step 5). */
export interface RouteDecision {
  /** Opaque id; `route.feedback` refers to it. */
  decisionId: string;
  modelTier: Tier;
  /** The model ref for that tier from config. */
  selectedModel: string;
  /** Estimated probability in [0,1] that `modelTier` is the right tier (calibrated on held-out data). */
  confidence: number;
  /** One human sentence on why. */
  reasoning: string;
  source: DecisionSource;
  /** The DNA intent behind the decision, when one was identified. */
  intent: Intent | null;
  /** Per intent: the classifier's calibrated probability (source `model`), else the best DNA cosine when DNA was consulted. */
  scores: Partial<Record<Intent, number>> | null;
  /** Wall time inside the router, ms (embedding + search + decision). */
  latencyMs: number;
}

/** A learning event the router emits for a prefix command (issue 4 stores them as patches). */
export interface LearningEvent {
  text: string;
  tier: Tier;
  /** What produced it: a prefix in a routed message, or explicit feedback. */
  origin: 'prefix' | 'feedback' | 'cli';
  /** Embedding of `text` in the current space, when available. */
  vector: Float32Array | null;
  timestamp: number;
}
