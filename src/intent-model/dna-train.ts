/**
 * Learning DNA rows from seed vectors: a cosine-softmax classifier whose weight rows, kept at
 * unit length, are the DNA "centroids" (issue 3: a linear classifier's weight rows are centroids
 * too). An intent may own several rows (prototypes); its score is the best of them, exactly what
 * `intentScores` computes at routing time. Scoring stays a plain cosine top-k in the kernel; only
 * the rows are smarter than means. Pure functions, deterministic (seeded shuffles).
 */
import { initialPrototypes } from './dna-prototypes.js';
import { PrototypeTrainer } from './dna-sgd.js';
import { dotSparse, type SparseVector } from './sparse-vector.js';

export { normalizeRows, type SparseVector, toSparse } from './sparse-vector.js';

/** Training knobs; defaults were chosen on held-out seed (see `smart-routerd dna build` output). */
export interface TrainOptions {
  /** Softmax scale during training (cosines are multiplied by it). */
  scale?: number;
  epochs?: number;
  learningRate?: number;
  /** Rows per class (prototypes); a class with fewer samples gets fewer. */
  prototypes?: number;
  /** Per-class loss multipliers on top of class balancing (e.g. to protect flagship recall). */
  classWeights?: number[];
  /**
   * Probability of hiding each nonzero of a sample at each step (inverted dropout): no single
   * word can carry a class alone, so spurious words of the seed ("always" in long FACT lines) weigh less.
   */
  dropout?: number;
  /** PRNG seed for the shuffles. */
  seed?: number;
}

/** Trained DNA rows: `rows × dims` row-major unit vectors and the class of each row. */
export interface TrainedRows {
  data: Float32Array;
  rowClass: number[];
}

/**
 * Trains unit rows of `dims` floats so that softmax(scale · max-cos per class) predicts each
 * sample's class (a multi-prototype cosine classifier: each sample's gradient goes to the best
 * row of every class). Each class starts from spherical k-means of its samples; training is
 * class-balanced, times `classWeights`. Returns the rows and their classes, grouped by class.
 */
export function trainRows(samples: SparseVector[], labels: number[], classes: number, dims: number, options: TrainOptions = {}): TrainedRows {
  const scale = options.scale ?? 16;
  const epochs = options.epochs ?? 40;
  const lr0 = options.learningRate ?? 0.5;
  const k = Math.max(1, options.prototypes ?? 1);
  const rand = mulberry32(options.seed ?? 1);

  const byClass = samplesByClass(samples, labels, classes);
  const { rows, rowClass } = initialPrototypes(samples, byClass, classes, k, dims, rand);
  const trainer = new PrototypeTrainer(rows, rowClass, classes, dims, {
    scale,
    dropout: Math.min(0.9, Math.max(0, options.dropout ?? 0)),
    balance: classBalance(byClass, samples.length, classes, options.classWeights),
    maxNonzeros: samples.reduce((m, s) => Math.max(m, s.idx.length), 0),
    rand,
  });
  const order = samples.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffle(order, rand);
    const lr = lr0 * (1 - epoch / epochs) + 0.01;
    for (const n of order) trainer.step(samples[n]!, labels[n]!, lr);
    trainer.renormalise();
  }
  return { data: trainer.unitRows(), rowClass };
}

/** The indexes of each class's samples, in sample order. */
function samplesByClass(samples: SparseVector[], labels: number[], classes: number): number[][] {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  samples.forEach((_, n) => {
    byClass[labels[n]!]!.push(n);
  });
  return byClass;
}

/** Each class's loss weight: balanced by its sample count (0 when it has none), times its `classWeights` entry. */
function classBalance(byClass: number[][], sampleCount: number, classes: number, classWeights: number[] | undefined): number[] {
  return byClass.map((members, c) => (members.length === 0 ? 0 : (sampleCount / (classes * members.length)) * (classWeights?.[c] ?? 1)));
}

/** Best cosine per class of one sparse unit vector (max over each class's rows; -1 if none). */
export function scoreClasses(s: SparseVector, model: TrainedRows, classes: number, dims: number): number[] {
  const out = new Array<number>(classes).fill(-1);
  model.rowClass.forEach((c, r) => {
    const dot = dotSparse(s, model.data, r * dims);
    if (dot > out[c]!) out[c] = dot;
  });
  return out;
}

/**
 * Temperature T minimising the negative log-likelihood of softmax(T · scores) on held-out data
 * (temperature scaling, Guo et al. 2017). Grid search over 1…200.
 */
export function fitTemperature(scores: number[][], labels: number[]): number {
  let best = 1;
  let bestNll = Infinity;
  for (let t = 1; t <= 200; t *= 1.05) {
    let nll = 0;
    scores.forEach((row, n) => {
      const max = Math.max(...row);
      const z = row.reduce((acc, s) => acc + Math.exp(t * (s - max)), 0);
      nll -= t * (row[labels[n]!]! - max) - Math.log(z);
    });
    if (nll < bestNll) {
      bestNll = nll;
      best = t;
    }
  }
  return best;
}

function shuffle<T>(a: T[], rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

/**
 * mulberry32: a small seeded PRNG returning floats in [0, 1), so a DNA build (and the tests and
 * benches that import it) is the same on every machine for a given seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
