/**
 * Learning DNA rows from seed vectors: a cosine-softmax classifier whose weight rows, kept at
 * unit length, are the DNA "centroids" (issue 3: a linear classifier's weight rows are centroids
 * too). Scoring stays a plain cosine top-k in the kernel; only the rows are smarter than means.
 * Pure functions, deterministic (seeded shuffles).
 */

/** A seed vector in sparse form (the local embedder fills ~5–15% of dims). */
export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

/** Dense → sparse. */
export function toSparse(v: Float32Array): SparseVector {
  let n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) n++;
  const idx = new Int32Array(n);
  const val = new Float32Array(n);
  n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) { idx[n] = i; val[n++] = v[i]!; }
  return { idx, val };
}

/** Training knobs; defaults were chosen on held-out seed (see `smart-routerd dna build` output). */
export interface TrainOptions {
  /** Softmax scale during training. */
  scale?: number;
  epochs?: number;
  learningRate?: number;
  /** PRNG seed for the shuffles. */
  seed?: number;
}

/**
 * Trains `classes` unit rows of `dims` floats so that softmax(scale · cos(row, x)) predicts each
 * sample's class. Starts from class means; class-balanced. Returns rows × dims row-major.
 */
export function trainRows(samples: SparseVector[], labels: number[], classes: number, dims: number, options: TrainOptions = {}): Float32Array {
  const scale = options.scale ?? 16;
  const epochs = options.epochs ?? 40;
  const lr0 = options.learningRate ?? 0.5;
  const W = new Float32Array(classes * dims);
  const counts = new Array<number>(classes).fill(0);
  samples.forEach((s, n) => {
    const c = labels[n]!;
    counts[c]!++;
    for (let j = 0; j < s.idx.length; j++) W[c * dims + s.idx[j]!]! += s.val[j]!;
  });
  normalizeRows(W, classes, dims);
  const balance = counts.map((c) => (c === 0 ? 0 : samples.length / (classes * c)));
  const norms2 = new Float64Array(classes).fill(1);
  const order = samples.map((_, i) => i);
  const rand = mulberry32(options.seed ?? 1);
  const logits = new Float64Array(classes);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffle(order, rand);
    const lr = lr0 * (1 - epoch / epochs) + 0.01;
    for (const n of order) {
      const s = samples[n]!;
      const y = labels[n]!;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        let dot = 0;
        const base = c * dims;
        for (let j = 0; j < s.idx.length; j++) dot += W[base + s.idx[j]!]! * s.val[j]!;
        logits[c] = (scale * dot) / Math.sqrt(norms2[c]!);
        if (logits[c]! > max) max = logits[c]!;
      }
      let total = 0;
      for (let c = 0; c < classes; c++) { logits[c] = Math.exp(logits[c]! - max); total += logits[c]!; }
      for (let c = 0; c < classes; c++) {
        const grad = logits[c]! / total - (c === y ? 1 : 0);
        if (Math.abs(grad) < 1e-4) continue;
        const step = -lr * balance[y]! * grad;
        const base = c * dims;
        for (let j = 0; j < s.idx.length; j++) {
          const k = base + s.idx[j]!;
          const d = step * s.val[j]!;
          norms2[c]! += 2 * W[k]! * d + d * d;
          W[k]! += d;
        }
      }
    }
    normalizeRows(W, classes, dims);
    norms2.fill(1);
  }
  return W;
}

/** Scales every row to unit length (zero rows stay zero). */
export function normalizeRows(W: Float32Array, rows: number, dims: number): void {
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let d = 0; d < dims; d++) n += W[r * dims + d]! ** 2;
    if (n === 0) continue;
    const inv = 1 / Math.sqrt(n);
    for (let d = 0; d < dims; d++) W[r * dims + d]! *= inv;
  }
}

/** Cosines of one sparse unit vector against every row. */
export function scoreRows(s: SparseVector, W: Float32Array, rows: number, dims: number): number[] {
  const out = new Array<number>(rows).fill(0);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let j = 0; j < s.idx.length; j++) dot += W[r * dims + s.idx[j]!]! * s.val[j]!;
    out[r] = dot;
  }
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
    if (nll < bestNll) { bestNll = nll; best = t; }
  }
  return best;
}

function shuffle<T>(a: T[], rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
