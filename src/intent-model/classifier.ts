import { FeatureCollector } from '../embedding/index.js';
import { INTENT_TIER, INTENTS, type Intent, type Tier } from '../intents.js';

/**
 * The supervised intent classifier (issue 16), fastText-style: a message's hashed features (the
 * local embedder's words, word bigrams, character trigrams, Han 1–3-grams, start markers and
 * shapes; src/embedding/features.ts) each pick a row of an embedding table; the rows, weighted by
 * the features' weights, are averaged, optionally pass one small ReLU layer, and a linear layer
 * and softmax give the six intents. Bag of tricks: Joulin et al. 2016, "Bag of Tricks for
 * Efficient Text Classification" (averaged n-gram embeddings + linear softmax, hashing trick).
 */

/** Shape and calibration of a trained classifier; the file header stores it (classifier-file.ts). */
export interface ClassifierShape {
  /** Rows of the embedding table: a power of two (features are hashed into them). */
  buckets: number;
  /** Width of an embedding row. */
  dim: number;
  /** Width of the ReLU layer between the average and the softmax; 0 = none. */
  hidden: number;
}

/**
 * Calibration (classifier-calibrate.ts): logits are divided by
 * `temperature × (1 + oodSlope × (1 − coverage))` (Guo et al. 2017, temperature scaling, plus one
 * out-of-distribution term), where coverage is the weighted share of the message's n-grams seen in
 * training; both are fitted. Then, below `oodKnee` coverage, each tier's probability is pulled
 * toward 1/2 in proportion (at coverage 0 the model knows nothing of the message: 50/50). The knee
 * is a rule, not fitted: almost no calibration text is below it, so no data could fit it.
 */
export interface ClassifierCalibration {
  temperature: number;
  oodSlope: number;
  /** Coverage under which confidence shrinks toward 1/2 (0 = never). */
  oodKnee?: number;
}

/** The shipped out-of-distribution knee: under half of a message's n-grams known. */
export const OOD_KNEE = 0.5;

/** The parameters of a trained classifier. */
export interface ClassifierWeights extends ClassifierShape {
  /** buckets × dim, int8; row r's value k is `embedding[r·dim+k] × rowScale[r]`. */
  embedding: Int8Array;
  /** Scale per embedding row; 0 marks a row no training feature touched (unseen n-grams). */
  rowScale: Float32Array;
  /**
   * Bit set of the n-gram features seen in ≥ minCount training texts, by SEEN_BITS bits of each
   * feature's hash (featureSeenKey): far sparser than the rows, most of which some feature
   * trained, so a new n-gram is told apart from a known one. Only these n-grams are read (training
   * used only them); coverage is their weighted share. Empty = every row with a scale counts.
   */
  seenFeatures: Uint8Array;
  /** hidden × dim, row-major (empty when hidden = 0). */
  hiddenWeights: Float32Array;
  hiddenBias: Float32Array;
  /** 6 × (hidden || dim), row-major, rows in INTENTS order. */
  outputWeights: Float32Array;
  outputBias: Float32Array;
  calibration: ClassifierCalibration;
}

/** What the classifier says about one message. */
export interface ClassifierPrediction {
  /** Calibrated probability per intent (INTENTS order), summing to 1. */
  probability: Record<Intent, number>;
  /** Calibrated probability of each tier (sum of its intents). */
  tierProbability: Record<Tier, number>;
  /** The most probable intent. */
  intent: Intent;
  /** Weighted share in [0,1] of the message's n-gram features (words, bigrams, character and Han n-grams) seen in training; 0 when it has none. */
  coverage: number;
}

/**
 * A negated instruction clause followed by another clause: "Do not analyze the tradeoffs; answer
 * briefly: …", "Don't write code, just explain …", "不用深入分析，简单回答…". Group 1 is the clause
 * start, group 2 the negator, group 3 the negated words (dropped), group 4 the clause's end mark.
 * Negation scope ends at the first punctuation, as in Pang, Lee & Vaithyanathan 2002 ("NOT_"
 * tagging up to the next punctuation); only clause-initial negators count, so "why doesn't my
 * code compile" keeps every word.
 */
const NEGATED_CLAUSE_EN =
  /(^|[.;:!?,\n]\s*)((?:please\s+)?(?:do not|don't|dont|no need to|no need for|there's no need to|without|skip(?:ping)? the|never mind the|i don't need|i do not need|you don't need to))\b([^.;:!?,\n]*)([.;:!?,\n])(?=\s*\S)/gi;
const NEGATED_CLAUSE_ZH = /(^|[。；：！？，,;:!?\n]\s*)(不用|不要|别|无需|不需要|没必要|用不着)([^。；：！？，,;:!?\n]*)([。；：！？，,;:!?\n])(?=\s*\S)/g;
/** Characters every negated clause needs (cheap test before the regexes). */
const NEGATION_HINT = /n't|\b(?:not|no|without|skip|never)\b|不用|不要|别|无需|不需要|没必要|用不着/i;

/**
 * The text the classifier's features are taken from: the message without the words of negated
 * instruction clauses (the negator itself stays, a feature of its own), so "Do not analyze …;
 * answer briefly" is not read as a request to analyze. Used in training and at inference alike.
 */
export function withoutNegatedClauses(text: string): string {
  if (!NEGATION_HINT.test(text)) return text;
  return text.replace(NEGATED_CLAUSE_EN, '$1$2$4').replace(NEGATED_CLAUSE_ZH, '$1$2$4');
}

/** Bits of the seen-feature set (2^22 bits = 512 KiB). */
export const SEEN_BITS = 22;

/** Key of a feature hash in the seen-feature set: its top SEEN_BITS bits (the row index uses the low bits). */
export function featureSeenKey(hash: number): number {
  return hash >>> (32 - SEEN_BITS);
}

/** Hashed features of one message: bucket index and weight per feature, in order of first occurrence. */
export interface HashedFeatures {
  count: number;
  /** featureSeenKey of each feature. */
  key: Int32Array;
  index: Int32Array;
  weight: Float32Array;
  /** 1 for a structural feature (shape, length, script, symbol): present in every message, so left out of coverage. */
  structural: Uint8Array;
}

/**
 * Hashes the features of messages into `buckets` rows (a power of two). Keeps its buffers between
 * calls: the returned object is overwritten by the next call (calls are synchronous).
 */
export class FeatureHasher {
  private readonly collector = new FeatureCollector();
  private readonly mask: number;
  private out: HashedFeatures = {
    count: 0,
    key: new Int32Array(256),
    index: new Int32Array(256),
    weight: new Float32Array(256),
    structural: new Uint8Array(256),
  };

  /** `buckets`: a power of two ≥ 2 (RangeError otherwise). */
  constructor(buckets: number) {
    if (!Number.isInteger(buckets) || buckets < 2 || (buckets & (buckets - 1)) !== 0)
      throw new RangeError(`buckets must be a power of two ≥ 2 (got ${buckets})`);
    this.mask = buckets - 1;
  }

  /** The hashed features of `text` without its negated clauses (withoutNegatedClauses); count 0 for blank text. */
  hash(text: string): HashedFeatures {
    const c = this.collector;
    const n = c.collect(withoutNegatedClauses(text));
    if (n > this.out.index.length) {
      const size = 2 ** Math.ceil(Math.log2(n));
      this.out = { count: 0, key: new Int32Array(size), index: new Int32Array(size), weight: new Float32Array(size), structural: new Uint8Array(size) };
    }
    const { key, index, weight, structural } = this.out;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const w = c.weight(i);
      if (!(w > 0)) continue;
      const h = c.nameHash(i);
      index[k] = h & this.mask;
      key[k] = featureSeenKey(h);
      weight[k] = w;
      structural[k] = c.structuralSlot(i) >= 0 ? 1 : 0;
      k++;
    }
    this.out.count = k;
    return this.out;
  }
}

const K = INTENTS.length;

/**
 * A loaded classifier, kept hot for the router: `predict` is synchronous and allocation-light
 * (scratch buffers are reused; calls never overlap). About 10–25 µs a message on one core, most of
 * it feature extraction (docs/quality.md "Model").
 */
export class IntentClassifier {
  readonly weights: ClassifierWeights;
  private readonly hasher: FeatureHasher;
  private readonly avg: Float32Array;
  private readonly act: Float32Array;
  private readonly logits = new Float64Array(K);

  constructor(weights: ClassifierWeights) {
    this.weights = weights;
    this.hasher = new FeatureHasher(weights.buckets);
    this.avg = new Float32Array(weights.dim);
    this.act = new Float32Array(weights.hidden);
  }

  /** Writes the raw logits of `text` (INTENTS order) into `out` and returns its n-gram coverage (0 for blank text). */
  logitsOf(text: string, out: Float64Array = this.logits): number {
    const { dim, hidden, embedding, rowScale, seenFeatures, hiddenWeights, hiddenBias, outputWeights, outputBias } = this.weights;
    const bySet = seenFeatures.length > 0;
    const f = this.hasher.hash(text);
    const avg = this.avg;
    avg.fill(0);
    let total = 0;
    // Coverage counts n-gram features only: structural ones are known in every message.
    let ngrams = 0;
    let seen = 0;
    for (let i = 0; i < f.count; i++) {
      const row = f.index[i]!;
      const w = f.weight[i]!;
      total += w;
      const s = rowScale[row]!;
      if (f.structural[i] === 0) {
        ngrams += w;
        // An n-gram too rare in training (not in seenFeatures) adds nothing, as it did in training.
        const key = f.key[i]!;
        if (bySet ? (seenFeatures[key >>> 3]! & (1 << (key & 7))) === 0 : s === 0) continue;
        seen += w;
      }
      if (s === 0) continue;
      const ws = w * s;
      const base = row * dim;
      for (let k = 0; k < dim; k++) avg[k] += ws * embedding[base + k]!;
    }
    if (total > 0) for (let k = 0; k < dim; k++) avg[k] /= total;
    let input = avg;
    let width = dim;
    if (hidden > 0) {
      const act = this.act;
      for (let j = 0; j < hidden; j++) {
        let z = hiddenBias[j]!;
        const base = j * dim;
        for (let k = 0; k < dim; k++) z += hiddenWeights[base + k]! * avg[k]!;
        act[j] = Math.max(z, 0);
      }
      input = act;
      width = hidden;
    }
    for (let c = 0; c < K; c++) {
      let z = outputBias[c]!;
      const base = c * width;
      for (let k = 0; k < width; k++) z += outputWeights[base + k]! * input[k]!;
      out[c] = z;
    }
    return ngrams > 0 ? seen / ngrams : 0;
  }

  /** Calibrated intent and tier probabilities of `text` (classifier-calibrate.ts's temperature and OOD term). */
  predict(text: string): ClassifierPrediction {
    const logits = this.logits;
    const coverage = this.logitsOf(text, logits);
    const probs = calibratedProbabilities(logits, coverage, this.weights.calibration);
    const probability = {} as Record<Intent, number>;
    const tierProbability: Record<Tier, number> = { flagship: 0, lightweight: 0 };
    let best = 0;
    for (let c = 0; c < K; c++) {
      const intent = INTENTS[c]!;
      probability[intent] = probs[c]!;
      tierProbability[INTENT_TIER[intent]] += probs[c]!;
      if (probs[c]! > probs[best]!) best = c;
    }
    return { probability, tierProbability, intent: INTENTS[best]!, coverage };
  }
}

const scratch = new Float64Array(K);

/**
 * Softmax of `logits / (T × (1 + oodSlope × (1 − coverage)))`, then the tiers pulled toward 1/2
 * below the OOD knee (ClassifierCalibration), into `out` (a shared scratch array unless given).
 * The single definition used by inference and by calibration.
 */
export function calibratedProbabilities(logits: ArrayLike<number>, coverage: number, cal: ClassifierCalibration, out: Float64Array = scratch): Float64Array {
  const t = cal.temperature * (1 + cal.oodSlope * (1 - coverage));
  let max = -Infinity;
  for (let c = 0; c < K; c++) max = Math.max(max, logits[c]! / t);
  let sum = 0;
  for (let c = 0; c < K; c++) {
    out[c] = Math.exp(logits[c]! / t - max);
    sum += out[c]!;
  }
  for (let c = 0; c < K; c++) out[c]! /= sum;
  const knee = cal.oodKnee ?? 0;
  if (coverage < knee) {
    let flagship = 0;
    for (let c = 0; c < K; c++) if (FLAGSHIP[c]) flagship += out[c]!;
    const target = 0.5 + (flagship - 0.5) * (coverage / knee);
    const up = flagship > 0 ? target / flagship : 0;
    const down = flagship < 1 ? (1 - target) / (1 - flagship) : 0;
    for (let c = 0; c < K; c++) out[c]! *= FLAGSHIP[c] ? up : down;
  }
  return out;
}

/** 1 for the flagship intents, in INTENTS order. */
const FLAGSHIP = INTENTS.map((i) => (INTENT_TIER[i] === 'flagship' ? 1 : 0));
