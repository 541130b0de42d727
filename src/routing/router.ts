import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import { DOCUMENTED_DNA_THRESHOLD } from '../config/index.js';
import type { Embedder } from '../embedding/index.js';
import { isSrdError, SrdError } from '../errors.js';
import { type DnaModel, type IntentScores, intentScores } from '../intent-model/index.js';
import type { KernelPool, MatrixRegion } from '../kernel/index.js';
import type { PatchHit } from '../memory/index.js';
import type { DecisionSource, LearningEvent, RouteDecision } from './decision.js';
import { INTENT_TIER, type Intent, type Tier } from './intents.js';
import { matchKeywords } from './keyword-fallback.js';
import { matchPrefix } from './prefix.js';

/** Scores a query vector against every DNA row (a kernel scan in a worker). */
export type DnaScanner = (query: Float32Array) => Promise<Float32Array>;

/** A scanner over one DNA region: every row's cosine, computed by the kernel (inline or pooled). */
export function dnaScanner(pool: KernelPool, region: MatrixRegion): DnaScanner {
  return async (query) => (await pool.scan(query, region, 0, true)).all!;
}

/** What the router needs; the daemon wires real parts, tests may wire others. */
export interface RouterDeps {
  config: Config;
  embedder: Embedder;
  /** Null while no usable DNA exists (keywords and default still route). */
  dna: DnaModel | null;
  scanDna: DnaScanner;
  /**
   * Records a prefix learning event (never the router's own decisions: DESIGN.md §4); the route
   * answers after it resolves, so a client that got the decision knows the correction is durable.
   */
  onLearn?: (event: LearningEvent) => Promise<void>;
  /** Best user patch for a query vector, exact at `threshold` (PatchSearch.best); absent = no user memory. */
  searchPatches?: (query: Float32Array, threshold: number) => Promise<PatchHit | null>;
  /**
   * A router over another embedding space (the built-in local embedder and its DNA) that decides
   * when this one cannot embed or has no DNA yet (config memorySearch.fallback "local"); its DNA
   * decisions come back with source "local-dna". Absent = keywords decide.
   */
  fallback?: Router | undefined;
  /** Why `dna` is null, asked per route for `reasoning` (e.g. "DNA for openai/… is being built (40% embedded)"). */
  dnaPending?: (() => string | null) | undefined;
}

/** Options of one route call. */
export interface RouteOptions {
  /** Record prefix commands as learning events (default true; `eval` turns it off). */
  learn?: boolean;
}

/** Confidence of a keyword decision; measured on the seed's held-out folds (docs/pipeline.md). */
const KEYWORD_CONFIDENCE = 0.6;
/** Confidence of the default decision: the lightweight share of typical traffic. */
const DEFAULT_CONFIDENCE = 0.5;

/**
 * The Smart Router pipeline (DESIGN.md §2, docs/pipeline.md):
 * prefix → embed (timeout/error → keywords) → patch search → DNA search → keywords → default.
 * A route never fails: every error degrades to a later stage and says so in `reasoning`.
 */
export class Router {
  private deps: RouterDeps;

  constructor(deps: RouterDeps) {
    this.deps = deps;
  }

  /** Swaps config and/or DNA (SIGHUP reload); in-flight routes finish on what they started with. */
  update(partial: Partial<Pick<RouterDeps, 'config' | 'dna' | 'scanDna' | 'fallback' | 'dnaPending'>>): void {
    this.deps = { ...this.deps, ...partial };
  }

  /** The DNA threshold in force: the config's, else the DNA file's calibrated one, else 0.60. */
  get dnaThreshold(): number {
    return this.deps.config.dnaSimilarityThreshold ?? this.deps.dna?.threshold ?? DOCUMENTED_DNA_THRESHOLD;
  }

  /** Routes one message. Never rejects for embedding or scan failures. */
  async route(text: string, options: RouteOptions = {}): Promise<RouteDecision> {
    const started = performance.now();
    const deps = this.deps;
    const { config } = deps;
    /** Degradations that did not change the outcome but belong in `reasoning`. */
    const notes: string[] = [];
    const finish = (
      tier: Tier,
      source: DecisionSource,
      confidence: number,
      reasoning: string,
      intent: Intent | null,
      scores: IntentScores | null,
    ): RouteDecision => ({
      decisionId: randomUUID(),
      modelTier: tier,
      selectedModel: this.modelFor(tier),
      confidence: round(confidence),
      reasoning: notes.length > 0 ? `${reasoning}; ${notes.join('; ')}` : reasoning,
      source,
      intent,
      scores: scores ? roundScores(scores.cosine) : null,
      latencyMs: round(performance.now() - started, 3),
    });

    if (!config.enabled) return finish('lightweight', 'disabled', 1, 'smart routing is disabled (enabled: false); default lightweight model', null, null);

    const prefix = matchPrefix(text, config.prefix);
    if (prefix) {
      let learned = '';
      if (options.learn !== false && deps.onLearn && prefix.text.length > 0) {
        try {
          const vector = await this.embed(prefix.text);
          await deps.onLearn({ text: prefix.text, tier: prefix.tier, origin: 'prefix', vector, timestamp: Date.now() });
          learned = '; learned as a patch';
        } catch (err) {
          learned = `; not learned (${(err as Error).message})`;
        }
      }
      return finish(prefix.tier, 'prefix', 1, `prefix "${prefix.prefix}" forces ${prefix.tier}${learned}`, null, null);
    }

    let vector: Float32Array;
    try {
      vector = await this.embed(text);
    } catch (err) {
      const why = isSrdError(err) ? `${err.code}: ${err.message}` : String(err);
      if (deps.fallback) return this.inFallbackSpace(deps.fallback, text, `embedding failed (${why})`, started);
      return this.fallback(text, `embedding failed (${why})`, finish, null);
    }

    if (deps.searchPatches) {
      try {
        const threshold = config.patchSimilarityThreshold;
        const hit = await deps.searchPatches(vector, threshold);
        if (hit && hit.score >= threshold) {
          return finish(
            hit.tier,
            'patch',
            patchConfidence(hit.score, threshold),
            `user patch #${hit.id} (cosine ${hit.cosine.toFixed(3)} × weight ${hit.weight.toFixed(3)} = ${hit.score.toFixed(3)} ≥ ${threshold}) → ${hit.tier}`,
            hit.label,
            null,
          );
        }
      } catch (err) {
        notes.push(`patch search failed (${(err as Error).message})`);
      }
    }

    if (!deps.dna) {
      const why = deps.dnaPending?.() ?? 'no DNA loaded';
      if (deps.fallback) return this.inFallbackSpace(deps.fallback, text, why, started);
      return this.fallback(text, why, finish, null);
    }
    let scores: IntentScores;
    try {
      scores = intentScores(await deps.scanDna(vector), deps.dna);
    } catch (err) {
      return this.fallback(text, `DNA search failed (${(err as Error).message})`, finish, null);
    }
    const best = scores.ranked[0]!;
    const bestCos = scores.cosine[best];
    const threshold = this.dnaThreshold;
    if (bestCos < threshold) {
      return this.fallback(text, `no DNA intent reached ${threshold} (best ${best} ${bestCos.toFixed(3)})`, finish, scores);
    }
    let tier = INTENT_TIER[best];
    let note = '';
    const runnerUp = scores.ranked.find((i) => INTENT_TIER[i] !== tier);
    if (runnerUp && bestCos - scores.cosine[runnerUp] < config.softPartitionThreshold) {
      // Soft partition (Smart Router doc): the best intents of both tiers are too close to call
      // on one row; weigh every intent of each tier (calibrated tier probability) instead.
      const other: Tier = tier === 'flagship' ? 'lightweight' : 'flagship';
      if (scores.tierProbability[other] > scores.tierProbability[tier]) tier = other;
      note = `; soft partition with ${runnerUp} (${scores.cosine[runnerUp].toFixed(3)}) weighed both tiers`;
    }
    const intent = tier === INTENT_TIER[best] ? best : (scores.ranked.find((i) => INTENT_TIER[i] === tier) ?? null);
    const confidence = scores.tierProbability[tier];
    return finish(tier, 'dna', confidence, `DNA intent ${intent} (cosine ${scores.cosine[intent ?? best].toFixed(3)}) → ${tier}${note}`, intent, scores);
  }

  /** Model ref for a tier: defaultXModel, else the first of xModels, else the tier name. */
  modelFor(tier: Tier): string {
    const c = this.deps.config;
    return tier === 'flagship'
      ? (c.defaultFlagshipModel ?? c.flagshipModels[0] ?? 'flagship')
      : (c.defaultLightweightModel ?? c.lightweightModels[0] ?? 'lightweight');
  }

  /**
   * Decides in the fallback router's space (no learning, no patches of this space there) and says
   * why in `reasoning`; a DNA decision there has source "local-dna".
   */
  private async inFallbackSpace(fallback: Router, text: string, why: string, started: number): Promise<RouteDecision> {
    const d = await fallback.route(text, { learn: false });
    return {
      ...d,
      source: d.source === 'dna' ? 'local-dna' : d.source,
      reasoning: `${why}; local fallback embedder: ${d.reasoning}`,
      latencyMs: round(performance.now() - started, 3),
    };
  }

  private fallback(
    text: string,
    why: string,
    finish: (tier: Tier, source: DecisionSource, confidence: number, reasoning: string, intent: Intent | null, scores: IntentScores | null) => RouteDecision,
    scores: IntentScores | null,
  ): RouteDecision {
    const kw = matchKeywords(text);
    if (kw) return finish(kw.tier, 'keyword', KEYWORD_CONFIDENCE, `${why}; keywords ${kw.hits.map((h) => `"${h}"`).join(', ')} → ${kw.tier}`, null, scores);
    return finish('lightweight', 'default', DEFAULT_CONFIDENCE, `${why}; no keyword matched; default lightweight model`, null, scores);
  }

  /** Embeds under embedding.timeoutMs; rejects with SRD_ERR_EMBED_TIMEOUT past it. */
  private embed(text: string): Promise<Float32Array> {
    const { embedder, config } = this.deps;
    if (embedder.embedSync) {
      try {
        return Promise.resolve(embedder.embedSync(text));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const timeoutMs = config.embedding.timeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new SrdError('SRD_ERR_EMBED_TIMEOUT', `no embedding within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    return Promise.race([embedder.embed(text, controller.signal), timeout]).finally(() => clearTimeout(timer));
  }
}

/**
 * Confidence of a patch decision: the user said so explicitly, so a hit exactly at the threshold
 * counts 0.75 and a perfect, fresh match 1 (linear in between). Not calibrated: there is no
 * labelled data for individual users' corrections.
 */
function patchConfidence(score: number, threshold: number): number {
  if (threshold >= 1) return 1;
  return Math.min(1, 0.75 + (0.25 * (score - threshold)) / (1 - threshold));
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function roundScores(cosine: Record<Intent, number>): Partial<Record<Intent, number>> {
  const out: Partial<Record<Intent, number>> = {};
  for (const [k, v] of Object.entries(cosine)) if (v > -1) out[k as Intent] = round(v);
  return out;
}
