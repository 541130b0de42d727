import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import { DOCUMENTED_DNA_THRESHOLD } from '../config/index.js';
import type { Embedder } from '../embedding/index.js';
import { isSrdError, SrdError } from '../errors.js';
import { type ClassifierPrediction, classifierDecision, type DnaModel, type IntentClassifier, type IntentScores, intentScores } from '../intent-model/index.js';
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
  /**
   * The supervised intent classifier (issue 16), wired only in the built-in local embedding space
   * (config intentClassifier); it decides after patches, before the DNA. Absent or null: the DNA decides.
   */
  classifier?: IntentClassifier | null;
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
  /** Who asked, for the decision stream and metrics: a gateway `route` (default) or the model API. */
  via?: 'gateway' | 'proxy';
}

/** Confidence of a keyword decision; measured on the seed's held-out folds (docs/pipeline.md). */
const KEYWORD_CONFIDENCE = 0.6;
/** Confidence of the default decision: the lightweight share of typical traffic. */
const DEFAULT_CONFIDENCE = 0.5;

/** What one route carries from stage to stage. */
interface RouteContext {
  readonly text: string;
  readonly options: RouteOptions;
  /** performance.now() at entry, ms. */
  readonly started: number;
  /** The deps at entry: a reload mid-route does not mix two configs in one decision. */
  readonly deps: RouterDeps;
  /** The query in this space; set by the embed stage. */
  vector: Float32Array | null;
  /** DNA cosines per intent, once the DNA stage has scanned. */
  scores: IntentScores | null;
  /** Why the embedding stages gave way to keywords (the left branch in docs/pipeline.md). */
  why: string | null;
  /** Degradations that did not change the outcome but belong in `reasoning`. */
  notes: string[];
}

/** One pipeline stage: a decision ends the route; null hands the context to the next stage. */
type Stage = (ctx: RouteContext) => RouteDecision | null | Promise<RouteDecision | null>;

/**
 * The Smart Router pipeline (DESIGN.md §2, docs/pipeline.md), one stage each:
 *
 *   disabled → prefix → embed → patch → model (local space) → dna → keyword (else default)
 *
 * A route never fails: an embedding or scan error sets `why` and skips to the keyword stage (or,
 * with a remote embedder's local fallback, decides in the fallback space), and `reasoning` says so.
 */
export class Router {
  private deps: RouterDeps;
  /** The stages in order (fastify hooks-style list); see the class comment. */
  private readonly stages: readonly Stage[] = [
    (c) => this.disabledStage(c),
    (c) => this.prefixStage(c),
    (c) => this.embedStage(c),
    (c) => this.patchStage(c),
    (c) => this.modelStage(c),
    (c) => this.dnaStage(c),
    (c) => this.keywordStage(c),
  ];

  constructor(deps: RouterDeps) {
    this.deps = deps;
  }

  /** Swaps config and/or DNA (SIGHUP reload); in-flight routes finish on what they started with. */
  update(partial: Partial<Pick<RouterDeps, 'config' | 'dna' | 'classifier' | 'scanDna' | 'fallback' | 'dnaPending'>>): void {
    this.deps = { ...this.deps, ...partial };
  }

  /** The DNA threshold in force: the config's, else the DNA file's calibrated one, else 0.60. */
  get dnaThreshold(): number {
    return this.deps.config.dnaSimilarityThreshold ?? this.deps.dna?.threshold ?? DOCUMENTED_DNA_THRESHOLD;
  }

  /** Routes one message through the stages. Never rejects for embedding or scan failures. */
  async route(text: string, options: RouteOptions = {}): Promise<RouteDecision> {
    const ctx: RouteContext = { text, options, started: performance.now(), deps: this.deps, vector: null, scores: null, why: null, notes: [] };
    for (const stage of this.stages) {
      const result = stage(ctx);
      // Synchronous stages are not awaited: on the built-in embedder most of a route is synchronous,
      // and each await is a microtask turn on the hot path (bench 2a).
      const decision = result instanceof Promise ? await result : result;
      if (decision) return decision;
    }
    throw new Error('unreachable: the keyword stage always decides');
  }

  private disabledStage(ctx: RouteContext): RouteDecision | null {
    if (ctx.deps.config.enabled) return null;
    return this.finish(ctx, 'lightweight', 'disabled', 1, 'smart routing is disabled (enabled: false); default lightweight model', null);
  }

  /** A prefix decides at once; with learning allowed, its text is stored as a patch before the answer. */
  private async prefixStage(ctx: RouteContext): Promise<RouteDecision | null> {
    const { deps, options } = ctx;
    const prefix = matchPrefix(ctx.text, deps.config.prefix);
    if (!prefix) return null;
    let learned = '';
    if (options.learn !== false && deps.onLearn && prefix.text.length > 0) {
      try {
        const vector = await this.embed(deps, prefix.text);
        await deps.onLearn({ text: prefix.text, tier: prefix.tier, origin: 'prefix', vector, timestamp: Date.now() });
        learned = '; learned as a patch';
      } catch (err) {
        learned = `; not learned (${(err as Error).message})`;
      }
    }
    return this.finish(ctx, prefix.tier, 'prefix', 1, `prefix "${prefix.prefix}" forces ${prefix.tier}${learned}`, null);
  }

  /** Embeds the text (embedding.timeoutMs); a failure goes to the fallback space, else to keywords. */
  private embedStage(ctx: RouteContext): RouteDecision | null | Promise<RouteDecision | null> {
    const onError = (err: unknown) => {
      const why = `embedding failed (${isSrdError(err) ? `${err.code}: ${err.message}` : String(err)})`;
      if (ctx.deps.fallback) return this.inFallbackSpace(ctx, ctx.deps.fallback, why);
      ctx.why = why;
      return null;
    };
    const embedder = ctx.deps.embedder;
    if (embedder.embedSync) {
      try {
        ctx.vector = embedder.embedSync(ctx.text);
        return null;
      } catch (err) {
        return onError(err);
      }
    }
    return this.embed(ctx.deps, ctx.text).then((v) => {
      ctx.vector = v;
      return null;
    }, onError);
  }

  /** The best user patch at ≥ patchSimilarityThreshold (decay-weighted) decides. */
  private patchStage(ctx: RouteContext): Promise<RouteDecision | null> | null {
    const { deps, vector } = ctx;
    if (!deps.searchPatches || !vector || ctx.why) return null;
    const threshold = deps.config.patchSimilarityThreshold;
    return deps.searchPatches(vector, threshold).then(
      (hit) => {
        if (!hit || hit.score < threshold) return null;
        const reasoning = `user patch #${hit.id} (cosine ${hit.cosine.toFixed(3)} × weight ${hit.weight.toFixed(3)} = ${hit.score.toFixed(3)} ≥ ${threshold}) → ${hit.tier}`;
        return this.finish(ctx, hit.tier, 'patch', patchConfidence(hit.score, threshold), reasoning, hit.label);
      },
      (err: Error) => {
        ctx.notes.push(`patch search failed (${err.message})`);
        return null;
      },
    );
  }

  /**
   * The intent classifier decides: the more probable tier, its confidence the calibrated tier
   * probability. Below lowConfidenceThreshold the tier is lowConfidenceTier's ("auto": the more
   * probable tier) and `reasoning` says so. Runs on the text alone, so an embedding failure does not
   * stop it; a classifier error (a bug) is noted and the DNA decides.
   */
  private modelStage(ctx: RouteContext): RouteDecision | null {
    const { deps } = ctx;
    if (!deps.classifier) return null;
    let p: ClassifierPrediction;
    try {
      p = deps.classifier.predict(ctx.text);
    } catch (err) {
      ctx.notes.push(`intent classifier failed (${(err as Error).message})`);
      return null;
    }
    const { config } = deps;
    const model = classifierDecision(p);
    const flagship = p.tierProbability.flagship;
    const known = `${Math.round(p.coverage * 100)}% of its n-grams known${p.coverage < OOD_COVERAGE ? ', out of distribution' : ''}`;
    const said = `intent model: ${p.intent} p=${p.probability[p.intent].toFixed(2)}, CODE+REASON ${flagship.toFixed(2)} (${known})`;
    let tier = model.tier;
    let reasoning: string;
    if (model.confidence >= config.lowConfidenceThreshold) {
      reasoning = `${said} → ${tier}`;
    } else {
      const setting = config.lowConfidenceTier;
      if (setting !== 'auto') tier = setting;
      const how = setting === 'auto' ? `auto: CODE+REASON ${flagship > 0.5 ? 'lead' : 'do not lead'}` : setting;
      reasoning = `${said}; low confidence (${model.confidence.toFixed(2)} < lowConfidenceThreshold ${config.lowConfidenceThreshold}) → lowConfidenceTier ${how} → ${tier}`;
    }
    const intent = tier === model.tier ? model.intent : bestIntentOf(p, tier);
    if (ctx.why) reasoning = `${ctx.why}; ${reasoning}`;
    const decision = this.finish(ctx, tier, 'model', p.tierProbability[tier], reasoning, intent);
    decision.scores = roundScores(p.probability);
    return decision;
  }

  /** The best DNA intent at ≥ the DNA threshold decides its tier (soft partition when the tiers are close). */
  private async dnaStage(ctx: RouteContext): Promise<RouteDecision | null> {
    const { deps, vector } = ctx;
    if (ctx.why || !vector) return null;
    if (!deps.dna) {
      const why = deps.dnaPending?.() ?? 'no DNA loaded';
      if (deps.fallback) return this.inFallbackSpace(ctx, deps.fallback, why);
      ctx.why = why;
      return null;
    }
    let scores: IntentScores;
    try {
      scores = intentScores(await deps.scanDna(vector), deps.dna);
    } catch (err) {
      ctx.why = `DNA search failed (${(err as Error).message})`;
      return null;
    }
    ctx.scores = scores;
    const best = scores.ranked[0]!;
    const bestCos = scores.cosine[best];
    const threshold = this.dnaThreshold;
    if (bestCos < threshold) {
      ctx.why = `no DNA intent reached ${threshold} (best ${best} ${bestCos.toFixed(3)})`;
      return null;
    }
    let tier = INTENT_TIER[best];
    let note = '';
    const runnerUp = scores.ranked.find((i) => INTENT_TIER[i] !== tier);
    if (runnerUp && bestCos - scores.cosine[runnerUp] < deps.config.softPartitionThreshold) {
      // Soft partition (Smart Router doc): the best intents of both tiers are too close to call
      // on one row; weigh every intent of each tier (calibrated tier probability) instead.
      const other: Tier = tier === 'flagship' ? 'lightweight' : 'flagship';
      if (scores.tierProbability[other] > scores.tierProbability[tier]) tier = other;
      note = `; soft partition with ${runnerUp} (${scores.cosine[runnerUp].toFixed(3)}) weighed both tiers`;
    }
    const intent = tier === INTENT_TIER[best] ? best : (scores.ranked.find((i) => INTENT_TIER[i] === tier) ?? null);
    const confidence = scores.tierProbability[tier];
    return this.finish(ctx, tier, 'dna', confidence, `DNA intent ${intent} (cosine ${scores.cosine[intent ?? best].toFixed(3)}) → ${tier}${note}`, intent);
  }

  /** Bilingual keywords decide, else the default lightweight model. Always decides. */
  private keywordStage(ctx: RouteContext): RouteDecision {
    const why = ctx.why ?? 'no stage decided';
    const kw = matchKeywords(ctx.text);
    if (kw) return this.finish(ctx, kw.tier, 'keyword', KEYWORD_CONFIDENCE, `${why}; keywords ${kw.hits.map((h) => `"${h}"`).join(', ')} → ${kw.tier}`, null);
    return this.finish(ctx, 'lightweight', 'default', DEFAULT_CONFIDENCE, `${why}; no keyword matched; default lightweight model`, null);
  }

  private finish(ctx: RouteContext, tier: Tier, source: DecisionSource, confidence: number, reasoning: string, intent: Intent | null): RouteDecision {
    return {
      decisionId: randomUUID(),
      modelTier: tier,
      selectedModel: this.modelFor(tier, ctx.deps.config, intent),
      confidence: round(confidence),
      reasoning: ctx.notes.length > 0 ? `${reasoning}; ${ctx.notes.join('; ')}` : reasoning,
      source,
      intent,
      scores: ctx.scores ? roundScores(ctx.scores.cosine) : null,
      latencyMs: round(performance.now() - ctx.started, 3),
    };
  }

  /**
   * Model ref a decision selects: the intent's route (`routing.routes.<INTENT>[0]`) when the intent
   * is known and routed and belongs to the decided tier, else the tier's defaultXModel, else the
   * first of xModels, else the tier name.
   */
  modelFor(tier: Tier, c: Config = this.deps.config, intent: Intent | null = null): string {
    const route = intent && INTENT_TIER[intent] === tier ? c.routing.routes[intent] : undefined;
    const routed = route === undefined ? undefined : Array.isArray(route) ? route[0] : route.primary;
    if (routed) return routed;
    return tier === 'flagship'
      ? (c.defaultFlagshipModel ?? c.flagshipModels[0] ?? 'flagship')
      : (c.defaultLightweightModel ?? c.lightweightModels[0] ?? 'lightweight');
  }

  /**
   * Decides in the fallback router's space (no learning, no patches of this space there) and says
   * why in `reasoning`; a DNA decision there has source "local-dna".
   */
  private async inFallbackSpace(ctx: RouteContext, fallback: Router, why: string): Promise<RouteDecision> {
    const d = await fallback.route(ctx.text, { learn: false });
    return {
      ...d,
      source: d.source === 'dna' ? 'local-dna' : d.source,
      reasoning: `${why}; local fallback embedder: ${d.reasoning}`,
      latencyMs: round(performance.now() - ctx.started, 3),
    };
  }

  /** Embeds under embedding.timeoutMs; rejects with SRD_ERR_EMBED_TIMEOUT past it. */
  private embed(deps: RouterDeps, text: string): Promise<Float32Array> {
    const { embedder, config } = deps;
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

/** Feature coverage below which `reasoning` calls a message out of distribution (the calibration already lowered its confidence). */
const OOD_COVERAGE = 0.5;

/** The most probable intent of `tier`. */
function bestIntentOf(p: ClassifierPrediction, tier: Tier): Intent {
  let best: Intent | null = null;
  for (const [intent, prob] of Object.entries(p.probability) as Array<[Intent, number]>) {
    if (INTENT_TIER[intent] === tier && (best === null || prob > p.probability[best])) best = intent;
  }
  return best!;
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
