/**
 * Learning DNA rows from seed vectors: a cosine-softmax classifier whose weight rows, kept at
 * unit length, are the DNA "centroids" (issue 3: a linear classifier's weight rows are centroids
 * too). An intent may own several rows (prototypes); its score is the best of them, exactly what
 * `intentScores` computes at routing time. Scoring stays a plain cosine top-k in the kernel; only
 * the rows are smarter than means. Pure functions, deterministic (seeded shuffles).
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
  for (let i = 0; i < v.length; i++)
    if (v[i] !== 0) {
      idx[n] = i;
      val[n++] = v[i]!;
    }
  return { idx, val };
}

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

  const byClass: number[][] = Array.from({ length: classes }, () => []);
  samples.forEach((_, n) => {
    byClass[labels[n]!]!.push(n);
  });
  const rowClass: number[] = [];
  const inits: Float32Array[] = [];
  for (let c = 0; c < classes; c++) {
    // A class without samples gets no row (its intent is then absent from the DNA, scoring -1).
    if (byClass[c]!.length === 0) continue;
    for (const row of sphericalKMeans(
      byClass[c]!.map((n) => samples[n]!),
      Math.min(k, byClass[c]!.length),
      dims,
      rand,
    )) {
      inits.push(row);
      rowClass.push(c);
    }
  }
  const rows = inits.length;
  // Feature-major copy during training (T[d * stride + r], rows padded to a multiple of 8): a
  // sample's nonzeros touch contiguous runs of weights and the dot products run in blocks of 8
  // accumulators, about 3× faster than row-major in V8 (measured on the seed).
  const stride = Math.ceil(rows / 8) * 8;
  const T = new Float64Array(dims * stride);
  inits.forEach((row, r) => {
    for (let d = 0; d < dims; d++) T[d * stride + r] = row[d]!;
  });
  // Rows are grouped by class: class c owns rows [first[c], first[c + 1]).
  const first = new Int32Array(classes + 1);
  for (const c of rowClass) first[c + 1]!++;
  for (let c = 0; c < classes; c++) first[c + 1]! += first[c]!;

  const balance = byClass.map((members, c) => (members.length === 0 ? 0 : (samples.length / (classes * members.length)) * (options.classWeights?.[c] ?? 1)));
  // Squared row norms drift during an epoch; cosines divide by them until rows are renormalised.
  const norms2 = new Float64Array(rows).fill(1);
  const order = samples.map((_, i) => i);
  const dots = new Float64Array(stride);
  const dropout = Math.min(0.9, Math.max(0, options.dropout ?? 0));
  const kept = new Float32Array(samples.reduce((m, s) => Math.max(m, s.idx.length), 0));
  const best = new Int32Array(classes);
  const logits = new Float64Array(classes);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffle(order, rand);
    const lr = lr0 * (1 - epoch / epochs) + 0.01;
    for (let o = 0; o < order.length; o++) {
      const n = order[o]!;
      const { idx } = samples[n]!;
      let val = samples[n]!.val;
      const nnz = idx.length;
      const y = labels[n]!;
      if (dropout > 0) {
        for (let j = 0; j < nnz; j++) kept[j] = rand() < dropout ? 0 : val[j]! / (1 - dropout);
        val = kept;
      }
      blockDots(T, stride, idx, val, dots);
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        let b = -1;
        let bs = -Infinity;
        for (let r = first[c]!; r < first[c + 1]!; r++) {
          const cos = dots[r]! / Math.sqrt(norms2[r]!);
          if (cos > bs) {
            bs = cos;
            b = r;
          }
        }
        best[c] = b;
        logits[c] = b < 0 ? -Infinity : scale * bs;
        if (logits[c]! > max) max = logits[c]!;
      }
      let total = 0;
      for (let c = 0; c < classes; c++) {
        logits[c] = Math.exp(logits[c]! - max);
        total += logits[c]!;
      }
      for (let c = 0; c < classes; c++) {
        const r = best[c]!;
        if (r < 0) continue;
        const grad = logits[c]! / total - (c === y ? 1 : 0);
        if (Math.abs(grad) < 1e-4) continue;
        const step = -lr * balance[y]! * grad;
        let n2 = norms2[r]!;
        for (let j = 0; j < nnz; j++) {
          const at = idx[j]! * stride + r;
          const d = step * val[j]!;
          n2 += 2 * T[at]! * d + d * d;
          T[at]! += d;
        }
        norms2[r] = n2;
      }
    }
    // Renormalise every row to unit length.
    norms2.fill(0);
    for (let d = 0; d < dims; d++) for (let r = 0; r < rows; r++) norms2[r]! += T[d * stride + r]! ** 2;
    for (let r = 0; r < rows; r++) norms2[r] = norms2[r]! > 0 ? 1 / Math.sqrt(norms2[r]!) : 0;
    for (let d = 0; d < dims; d++) for (let r = 0; r < rows; r++) T[d * stride + r]! *= norms2[r]!;
    norms2.fill(1);
  }
  const W = new Float32Array(rows * dims);
  for (let r = 0; r < rows; r++) for (let d = 0; d < dims; d++) W[r * dims + d] = T[d * stride + r]!;
  normalizeRows(W, rows, dims);
  return { data: W, rowClass };
}

/** dots[r] = Σ_j T[idx[j] · stride + r] · val[j] for every r < stride (stride is a multiple of 8). */
function blockDots(T: Float64Array, stride: number, idx: Int32Array, val: Float32Array, dots: Float64Array): void {
  const nnz = idx.length;
  for (let r = 0; r < stride; r += 8) {
    let a0 = 0,
      a1 = 0,
      a2 = 0,
      a3 = 0,
      a4 = 0,
      a5 = 0,
      a6 = 0,
      a7 = 0;
    for (let j = 0; j < nnz; j++) {
      const v = val[j]!;
      const b = idx[j]! * stride + r;
      a0 += T[b]! * v;
      a1 += T[b + 1]! * v;
      a2 += T[b + 2]! * v;
      a3 += T[b + 3]! * v;
      a4 += T[b + 4]! * v;
      a5 += T[b + 5]! * v;
      a6 += T[b + 6]! * v;
      a7 += T[b + 7]! * v;
    }
    dots[r] = a0;
    dots[r + 1] = a1;
    dots[r + 2] = a2;
    dots[r + 3] = a3;
    dots[r + 4] = a4;
    dots[r + 5] = a5;
    dots[r + 6] = a6;
    dots[r + 7] = a7;
  }
}

/**
 * Spherical k-means (cosine) of one class's samples: `k` unit rows (one, the normalised mean, when
 * the class has no more than `k` samples), seeded and deterministic.
 */
function sphericalKMeans(members: SparseVector[], k: number, dims: number, rand: () => number): Float32Array[] {
  const mean = new Float32Array(dims);
  for (const s of members) for (let j = 0; j < s.idx.length; j++) mean[s.idx[j]!]! += s.val[j]!;
  normalizeRows(mean, 1, dims);
  if (k <= 1 || members.length <= k) return [mean];
  // k-means++-style seeding: each next centre is the member least similar to the chosen ones.
  const centres: Float32Array[] = [];
  const first = members[Math.floor(rand() * members.length)]!;
  centres.push(densify(first, dims));
  const closest = members.map((s) => dotSparse(s, centres[0]!));
  while (centres.length < k) {
    let pick = 0;
    for (let n = 1; n < members.length; n++) if (closest[n]! < closest[pick]!) pick = n;
    const c = densify(members[pick]!, dims);
    centres.push(c);
    members.forEach((s, n) => {
      closest[n] = Math.max(closest[n]!, dotSparse(s, c));
    });
  }
  const assign = new Int32Array(members.length);
  for (let iter = 0; iter < 8; iter++) {
    members.forEach((s, n) => {
      let b = 0;
      let bs = -Infinity;
      centres.forEach((c, i) => {
        const d = dotSparse(s, c);
        if (d > bs) {
          bs = d;
          b = i;
        }
      });
      assign[n] = b;
    });
    for (const c of centres) c.fill(0);
    members.forEach((s, n) => {
      const c = centres[assign[n]!]!;
      for (let j = 0; j < s.idx.length; j++) c[s.idx[j]!]! += s.val[j]!;
    });
    centres.forEach((c, i) => {
      if (c.every((x) => x === 0)) centres[i] = mean.slice();
      else normalizeRows(c, 1, dims);
    });
  }
  return centres;
}

function densify(s: SparseVector, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (let j = 0; j < s.idx.length; j++) v[s.idx[j]!] = s.val[j]!;
  normalizeRows(v, 1, dims);
  return v;
}

function dotSparse(s: SparseVector, row: Float32Array, base = 0): number {
  let dot = 0;
  for (let j = 0; j < s.idx.length; j++) dot += row[base + s.idx[j]!]! * s.val[j]!;
  return dot;
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
