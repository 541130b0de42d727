/** Seed vectors in sparse form, and the row arithmetic the DNA trainer shares between its steps. */

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

/** Sparse → dense unit vector of `dims` floats. */
export function densify(s: SparseVector, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (let j = 0; j < s.idx.length; j++) v[s.idx[j]!] = s.val[j]!;
  normalizeRows(v, 1, dims);
  return v;
}

/** Dot product of `s` with the dense row of `row` that starts at index `base`. */
export function dotSparse(s: SparseVector, row: Float32Array, base = 0): number {
  let dot = 0;
  for (let j = 0; j < s.idx.length; j++) dot += row[base + s.idx[j]!]! * s.val[j]!;
  return dot;
}

/** Scales every row of the row-major `rows × dims` matrix to unit length (zero rows stay zero). */
export function normalizeRows(W: Float32Array, rows: number, dims: number): void {
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let d = 0; d < dims; d++) n += W[r * dims + d]! ** 2;
    if (n === 0) continue;
    const inv = 1 / Math.sqrt(n);
    for (let d = 0; d < dims; d++) W[r * dims + d]! *= inv;
  }
}
