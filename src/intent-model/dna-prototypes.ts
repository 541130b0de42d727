/**
 * The DNA trainer's starting rows: each class's samples clustered by spherical k-means (cosine),
 * one unit row per cluster. Seeded and deterministic: the PRNG is drawn in class order.
 */
import { densify, dotSparse, normalizeRows, type SparseVector } from './sparse-vector.js';

/** Initial unit rows of `dims` floats, grouped by class, and the class of each row. */
export interface Prototypes {
  rows: Float32Array[];
  rowClass: number[];
}

/**
 * Up to `k` rows per class from its samples (`byClass[c]`: indexes into `samples`); fewer for a
 * class with fewer samples, none for a class without samples (its intent is then absent from the
 * DNA, scoring -1).
 */
export function initialPrototypes(samples: SparseVector[], byClass: number[][], classes: number, k: number, dims: number, rand: () => number): Prototypes {
  const rowClass: number[] = [];
  const rows: Float32Array[] = [];
  for (let c = 0; c < classes; c++) {
    if (byClass[c]!.length === 0) continue;
    for (const row of sphericalKMeans(
      byClass[c]!.map((n) => samples[n]!),
      Math.min(k, byClass[c]!.length),
      dims,
      rand,
    )) {
      rows.push(row);
      rowClass.push(c);
    }
  }
  return { rows, rowClass };
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
