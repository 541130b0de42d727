import { INTENTS, type Intent } from '../intents.js';
import { type ClassifierShape, type ClassifierWeights, FeatureHasher, SEEN_BITS } from './classifier.js';
import { mulberry32 } from './dna-train.js';

/** Hyper-parameters of `trainClassifier`; the defaults are the shipped model's (docs/quality.md "Model"). */
export interface ClassifierTrainOptions extends ClassifierShape {
  /** Passes over the training texts. */
  epochs: number;
  /** SGD step at the start; it decays linearly to 0 over all steps (as fastText's supervised mode). */
  learningRate: number;
  /** Seed of the PRNG that initialises the weights and shuffles each epoch. */
  seed: number;
  /**
   * Weight each text by 1 / (texts of its intent and language), scaled so the weights sum to the
   * number of texts: every intent × language cell counts the same, however many texts a source gave.
   */
  balance: boolean;
  /**
   * An n-gram feature counts only when at least this many training texts have it (fastText's
   * minCount, on the seen-feature key): a feature seen once is mostly noise. Rows no counted
   * feature reaches stay 0 and are not stored.
   */
  minCount: number;
}

/** The shipped model's hyper-parameters. */
export const DEFAULT_TRAIN_OPTIONS: ClassifierTrainOptions = {
  buckets: 2 ** 18,
  dim: 16,
  hidden: 0,
  epochs: 1,
  learningRate: 0.5,
  seed: 16,
  balance: true,
  minCount: 2,
};

/** A training text: a corpus or seed line. */
export interface TrainingText {
  text: string;
  label: Intent;
  lang: string;
  /** The corpus source (absent for seed lines); the out-of-source calibration holds each source out in turn. */
  source?: string;
}

/** Progress of a training run, reported once per epoch. */
export interface TrainProgress {
  epoch: number;
  epochs: number;
  /** Mean weighted cross-entropy over the epoch's texts. */
  loss: number;
}

/**
 * Trains the classifier by plain SGD on softmax cross-entropy, one text at a time, single-threaded
 * so that the same texts in the same order and the same options give byte-identical weights (the
 * PRNG is seeded; nothing depends on time or on thread scheduling). The embedding starts at 0, so
 * a row no training feature touches stays 0 and is marked unseen (`rowScale` 0) after quantising.
 * Calibration is left at identity (temperature 1); classifier-calibrate.ts fits it afterwards.
 */
export function trainClassifier(texts: readonly TrainingText[], options: ClassifierTrainOptions, onProgress?: (p: TrainProgress) => void): ClassifierWeights {
  const { buckets, dim, hidden, epochs, learningRate } = options;
  const K = INTENTS.length;
  const width = hidden > 0 ? hidden : dim;
  const rand = mulberry32(options.seed);

  // Hash every text once: features of text t are index/weight[offsets[t] … offsets[t+1]).
  const hasher = new FeatureHasher(buckets);
  const offsets = new Int32Array(texts.length + 1);
  const idx: number[] = [];
  const wts: number[] = [];
  /** featureSeenKey of each n-gram feature, −1 for a structural one (always kept). */
  const keys: number[] = [];
  // Texts per seen-feature key (n-gram features only), counted once per text.
  const textsPerKey = new Uint8Array(2 ** SEEN_BITS);
  const lastKeyText = new Int32Array(2 ** SEEN_BITS).fill(-1);
  const labels = new Int32Array(texts.length);
  texts.forEach((t, i) => {
    const f = hasher.hash(t.text);
    for (let k = 0; k < f.count; k++) {
      idx.push(f.index[k]!);
      wts.push(f.weight[k]!);
      const key = f.key[k]!;
      keys.push(f.structural[k] === 0 ? key : -1);
      if (f.structural[k] === 0 && lastKeyText[key] !== i) {
        lastKeyText[key] = i;
        if (textsPerKey[key]! < 255) textsPerKey[key]!++;
      }
    }
    offsets[i + 1] = idx.length;
    labels[i] = INTENTS.indexOf(t.label);
  });
  // An n-gram feature of fewer than minCount training texts is dropped (fastText's minCount): it is
  // not in seenFeatures, so inference skips it too; rows no kept feature reaches stay 0 (unseen).
  // Each text keeps the weight total of all its features, so that training averages as inference
  // does (classifier.ts logitsOf divides by every feature's weight, seen or not).
  const kept: number[] = [];
  const keptW: number[] = [];
  const keptOffsets = new Int32Array(texts.length + 1);
  const totals = new Float64Array(texts.length);
  for (let t = 0; t < texts.length; t++) {
    for (let i = offsets[t]!; i < offsets[t + 1]!; i++) {
      totals[t]! += wts[i]!;
      if (keys[i]! >= 0 && textsPerKey[keys[i]!]! < options.minCount) continue;
      kept.push(idx[i]!);
      keptW.push(wts[i]!);
    }
    keptOffsets[t + 1] = kept.length;
  }
  const index = Int32Array.from(kept);
  const weight = Float64Array.from(keptW);
  const sampleWeight = sampleWeights(texts, options.balance);

  const emb = new Float32Array(buckets * dim);
  const touched = new Uint8Array(buckets);
  for (const i of index) touched[i] = 1;
  const hW = new Float32Array(hidden * dim);
  const hB = new Float32Array(hidden);
  const oW = new Float32Array(K * width);
  const oB = new Float32Array(K);
  const init = (a: Float32Array, fanIn: number, fanOut: number) => {
    const r = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < a.length; i++) a[i] = (rand() * 2 - 1) * r;
  };
  init(hW, dim, hidden);
  hB.fill(0.1); // a positive start keeps the ReLUs alive while the embedding is still 0
  init(oW, width, K);

  const avg = new Float64Array(dim);
  const act = new Float64Array(width);
  const pre = new Float64Array(hidden);
  const grad = new Float64Array(K);
  const dAct = new Float64Array(width);
  const dAvg = new Float64Array(dim);
  const order = Int32Array.from({ length: texts.length }, (_, i) => i);
  const steps = epochs * texts.length;
  let step = 0;

  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffle(order, rand);
    let lossSum = 0;
    let weightSum = 0;
    for (const t of order) {
      const lr = learningRate * (1 - step / steps);
      step++;
      const from = keptOffsets[t]!;
      const to = keptOffsets[t + 1]!;
      const total = totals[t]!;
      if (total === 0) continue;
      // Forward: weighted average of the rows, optional ReLU layer, softmax.
      avg.fill(0);
      for (let i = from; i < to; i++) {
        const base = index[i]! * dim;
        const w = weight[i]! / total;
        for (let k = 0; k < dim; k++) avg[k] += w * emb[base + k]!;
      }
      if (hidden > 0) {
        for (let j = 0; j < hidden; j++) {
          let z = hB[j]!;
          for (let k = 0; k < dim; k++) z += hW[j * dim + k]! * avg[k]!;
          pre[j] = z;
          act[j] = Math.max(z, 0);
        }
      } else {
        act.set(avg);
      }
      let max = -Infinity;
      for (let c = 0; c < K; c++) {
        let z = oB[c]!;
        for (let k = 0; k < width; k++) z += oW[c * width + k]! * act[k]!;
        grad[c] = z;
        if (z > max) max = z;
      }
      let sum = 0;
      for (let c = 0; c < K; c++) {
        grad[c] = Math.exp(grad[c]! - max);
        sum += grad[c]!;
      }
      const y = labels[t]!;
      const sw = sampleWeight[t]!;
      lossSum += -sw * Math.log(Math.max(1e-12, grad[y]! / sum));
      weightSum += sw;
      // Backward: dL/dlogit = p − onehot, times the text's weight.
      for (let c = 0; c < K; c++) grad[c] = (grad[c]! / sum - (c === y ? 1 : 0)) * sw;
      dAct.fill(0);
      for (let c = 0; c < K; c++) {
        const g = grad[c]!;
        for (let k = 0; k < width; k++) {
          dAct[k] += oW[c * width + k]! * g;
          oW[c * width + k]! -= lr * g * act[k]!;
        }
        oB[c]! -= lr * g;
      }
      if (hidden > 0) {
        dAvg.fill(0);
        for (let j = 0; j < hidden; j++) {
          if (pre[j]! <= 0) continue;
          const g = dAct[j]!;
          for (let k = 0; k < dim; k++) {
            dAvg[k] += hW[j * dim + k]! * g;
            hW[j * dim + k]! -= lr * g * avg[k]!;
          }
          hB[j]! -= lr * g;
        }
      } else {
        dAvg.set(dAct);
      }
      for (let i = from; i < to; i++) {
        const base = index[i]! * dim;
        const w = (lr * weight[i]!) / total;
        for (let k = 0; k < dim; k++) emb[base + k]! -= w * dAvg[k]!;
      }
    }
    onProgress?.({ epoch, epochs, loss: weightSum > 0 ? lossSum / weightSum : 0 });
  }

  const { embedding, rowScale } = quantise(emb, touched, buckets, dim);
  const seenFeatures = new Uint8Array(2 ** SEEN_BITS / 8);
  for (let key = 0; key < textsPerKey.length; key++) if (textsPerKey[key]! >= options.minCount) seenFeatures[key >>> 3]! |= 1 << (key & 7);
  return {
    seenFeatures,
    buckets,
    dim,
    hidden,
    embedding,
    rowScale,
    hiddenWeights: hW,
    hiddenBias: hB,
    outputWeights: oW,
    outputBias: oB,
    calibration: { temperature: 1, oodSlope: 0 },
  };
}

/**
 * Symmetric int8 per row: scale = max |value| / 127. A touched row that ends all zeros keeps a tiny
 * scale so it still counts as seen; an untouched row gets scale 0 (unseen).
 */
function quantise(emb: Float32Array, touched: Uint8Array, buckets: number, dim: number): { embedding: Int8Array; rowScale: Float32Array } {
  const embedding = new Int8Array(buckets * dim);
  const rowScale = new Float32Array(buckets);
  for (let r = 0; r < buckets; r++) {
    if (!touched[r]) continue;
    let max = 0;
    for (let k = 0; k < dim; k++) max = Math.max(max, Math.abs(emb[r * dim + k]!));
    const scale = max > 0 ? max / 127 : Number.MIN_VALUE;
    rowScale[r] = Math.fround(scale);
    if (max === 0) continue;
    for (let k = 0; k < dim; k++) embedding[r * dim + k] = Math.round(emb[r * dim + k]! / rowScale[r]!);
  }
  return { embedding, rowScale };
}

function sampleWeights(texts: readonly TrainingText[], balance: boolean): Float64Array {
  const out = new Float64Array(texts.length).fill(1);
  if (!balance) return out;
  const counts = new Map<string, number>();
  for (const t of texts) counts.set(`${t.label}\0${t.lang}`, (counts.get(`${t.label}\0${t.lang}`) ?? 0) + 1);
  let sum = 0;
  texts.forEach((t, i) => {
    out[i] = 1 / counts.get(`${t.label}\0${t.lang}`)!;
    sum += out[i]!;
  });
  const scale = texts.length / sum;
  for (let i = 0; i < out.length; i++) out[i]! *= scale;
  return out;
}

/** Fisher–Yates with the given PRNG. */
function shuffle(a: Int32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
