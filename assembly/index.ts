// smart-routerd similarity kernel.
//
// Works on raw pointers into one linear memory that the host imports and shares between all
// Piscina workers (DESIGN.md §3): the host lays out matrices and per-worker scratch, the kernel
// only reads and writes where it is told. No allocation happens here (runtime "stub").
//
// Vectors are float32, row-major, little-endian. Rows may start anywhere (v128.load has no
// alignment requirement in WebAssembly), but the host keeps matrices 64-byte aligned so a row
// whose dims is a multiple of 16 never straddles a cache line needlessly.

/** Dot product of two float32 vectors of length `dims`. */
@inline
function dot(a: usize, b: usize, dims: i32): f32 {
  let i: i32 = 0;
  let sum: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    // Four independent accumulators hide the latency of f32x4.add (issue 7: throughput).
    let acc0 = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    let acc2 = f32x4.splat(0);
    let acc3 = f32x4.splat(0);
    const end16 = dims & ~15;
    for (; i < end16; i += 16) {
      const off = <usize>i << 2;
      acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + off), v128.load(b + off)));
      acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + off, 16), v128.load(b + off, 16)));
      acc2 = f32x4.add(acc2, f32x4.mul(v128.load(a + off, 32), v128.load(b + off, 32)));
      acc3 = f32x4.add(acc3, f32x4.mul(v128.load(a + off, 48), v128.load(b + off, 48)));
    }
    const end4 = dims & ~3;
    for (; i < end4; i += 4) {
      const off = <usize>i << 2;
      acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + off), v128.load(b + off)));
    }
    const acc = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
    sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
      f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  }
  for (; i < dims; i++) {
    const off = <usize>i << 2;
    sum += load<f32>(a + off) * load<f32>(b + off);
  }
  return sum;
}

/**
 * Writes `out[r] = dot(query, matrix[r])` for every row r < rows.
 * query: dims float32; matrix: rows × dims float32 row-major; out: rows float32.
 * For L2-normalised inputs the scores are cosines in [-1, 1].
 */
export function scores(queryPtr: usize, matrixPtr: usize, rows: i32, dims: i32, outPtr: usize): void {
  const stride = <usize>dims << 2;
  let row = matrixPtr;
  for (let r: i32 = 0; r < rows; r++) {
    store<f32>(outPtr + (<usize>r << 2), dot(queryPtr, row, dims));
    row += stride;
  }
}

/** Rows per block of a column-major scan: 2,048 scores (8 KiB) stay in L1 while the used dims stream over them. */
const COLUMN_BLOCK: i32 = 2048;

/** out[i] += q · col[i] for i < n (one query dim's contribution to n row scores). */
@inline
function axpy(outPtr: usize, colPtr: usize, q: f32, n: i32): void {
  let i: i32 = 0;
  if (ASC_FEATURE_SIMD) {
    const qv = f32x4.splat(q);
    const end16 = n & ~15;
    for (; i < end16; i += 16) {
      const off = <usize>i << 2;
      const o = outPtr + off;
      const c = colPtr + off;
      v128.store(o, f32x4.add(v128.load(o), f32x4.mul(qv, v128.load(c))));
      v128.store(o, f32x4.add(v128.load(o, 16), f32x4.mul(qv, v128.load(c, 16))), 16);
      v128.store(o, f32x4.add(v128.load(o, 32), f32x4.mul(qv, v128.load(c, 32))), 32);
      v128.store(o, f32x4.add(v128.load(o, 48), f32x4.mul(qv, v128.load(c, 48))), 48);
    }
    const end4 = n & ~3;
    for (; i < end4; i += 4) {
      const off = <usize>i << 2;
      v128.store(outPtr + off, f32x4.add(v128.load(outPtr + off), f32x4.mul(qv, v128.load(colPtr + off))));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(outPtr + off, load<f32>(outPtr + off) + q * load<f32>(colPtr + off));
  }
}

/**
 * out[i] += q0·c0[i] + q1·c1[i] + q2·c2[i] + q3·c3[i] for i < n: four query dims per pass over
 * `out`, so its loads and stores are paid once per four columns instead of once per column.
 */
@inline
function axpy4(outPtr: usize, c0: usize, c1: usize, c2: usize, c3: usize, q0: f32, q1: f32, q2: f32, q3: f32, n: i32): void {
  let i: i32 = 0;
  if (ASC_FEATURE_SIMD) {
    const v0 = f32x4.splat(q0);
    const v1 = f32x4.splat(q1);
    const v2 = f32x4.splat(q2);
    const v3 = f32x4.splat(q3);
    const end8 = n & ~7;
    for (; i < end8; i += 8) {
      const off = <usize>i << 2;
      const o = outPtr + off;
      const a = f32x4.add(f32x4.mul(v0, v128.load(c0 + off)), f32x4.mul(v1, v128.load(c1 + off)));
      const b = f32x4.add(f32x4.mul(v2, v128.load(c2 + off)), f32x4.mul(v3, v128.load(c3 + off)));
      v128.store(o, f32x4.add(v128.load(o), f32x4.add(a, b)));
      const a2 = f32x4.add(f32x4.mul(v0, v128.load(c0 + off, 16)), f32x4.mul(v1, v128.load(c1 + off, 16)));
      const b2 = f32x4.add(f32x4.mul(v2, v128.load(c2 + off, 16)), f32x4.mul(v3, v128.load(c3 + off, 16)));
      v128.store(o, f32x4.add(v128.load(o, 16), f32x4.add(a2, b2)), 16);
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const part = (q0 * load<f32>(c0 + off) + q1 * load<f32>(c1 + off)) + (q2 * load<f32>(c2 + off) + q3 * load<f32>(c3 + off));
    store<f32>(outPtr + off, load<f32>(outPtr + off) + part);
  }
}

/**
 * Writes `out[r] = dot(query, row r)` for every row r < rows of a COLUMN-major matrix: element
 * (r, j) is at matrix + (j × stride + r) × 4, stride ≥ rows (the allocated row capacity, so rows
 * can be appended in place). Query dims equal to 0 are skipped, so a sparse query (the local
 * embedder sets 20–150 of 1024 dims) costs nnz × rows multiply-adds instead of dims × rows; a
 * dense query costs the same as `scores`. Non-zero dims are taken four at a time (axpy4). Sums
 * run in a different order than the row-major `scores` (results may differ in the last bits).
 * out: rows float32.
 */
export function scoresColumns(queryPtr: usize, matrixPtr: usize, rows: i32, dims: i32, stride: i32, outPtr: usize): void {
  const colBytes = <usize>stride << 2;
  for (let r0: i32 = 0; r0 < rows; r0 += COLUMN_BLOCK) {
    const n = min(COLUMN_BLOCK, rows - r0);
    const out = outPtr + (<usize>r0 << 2);
    const base = matrixPtr + (<usize>r0 << 2);
    for (let i: i32 = 0; i < n; i++) store<f32>(out + (<usize>i << 2), 0);
    // Up to three pending non-zero dims; the fourth triggers one fused pass.
    let pending: i32 = 0;
    let j0: i32 = 0, j1: i32 = 0, j2: i32 = 0;
    for (let j: i32 = 0; j < dims; j++) {
      if (load<f32>(queryPtr + (<usize>j << 2)) == 0) continue;
      if (pending == 0) j0 = j;
      else if (pending == 1) j1 = j;
      else if (pending == 2) j2 = j;
      else {
        axpy4(out, base + <usize>j0 * colBytes, base + <usize>j1 * colBytes, base + <usize>j2 * colBytes, base + <usize>j * colBytes,
          load<f32>(queryPtr + (<usize>j0 << 2)), load<f32>(queryPtr + (<usize>j1 << 2)),
          load<f32>(queryPtr + (<usize>j2 << 2)), load<f32>(queryPtr + (<usize>j << 2)), n);
        pending = 0;
        continue;
      }
      pending++;
    }
    if (pending > 0) axpy(out, base + <usize>j0 * colBytes, load<f32>(queryPtr + (<usize>j0 << 2)), n);
    if (pending > 1) axpy(out, base + <usize>j1 * colBytes, load<f32>(queryPtr + (<usize>j1 << 2)), n);
    if (pending > 2) axpy(out, base + <usize>j2 * colBytes, load<f32>(queryPtr + (<usize>j2 << 2)), n);
  }
}

/**
 * Writes `out[r] = dot(query, row r)` for r < rows from an INVERTED (compressed sparse column)
 * matrix: for each dim j, entries colStart[j] .. colStart[j+1] − 1 of rowIdx / values hold the
 * rows whose dim j is non-zero and that value. Only the query's non-zero dims' lists are read, so
 * a sparse query over sparse rows (local embedder: ~66 of 1024 dims each) touches ~1/15 of what
 * the column-major scan reads. colStart: dims + 1 int32; rowIdx: int32 (< rows); values: float32;
 * out: rows float32. Sums run in dim order per row, as in scoresColumns.
 */
export function scoresInverted(queryPtr: usize, dims: i32, colStartPtr: usize, rowIdxPtr: usize, valuesPtr: usize, rows: i32, outPtr: usize): void {
  for (let i: i32 = 0; i < rows; i++) store<f32>(outPtr + (<usize>i << 2), 0);
  for (let j: i32 = 0; j < dims; j++) {
    const q = load<f32>(queryPtr + (<usize>j << 2));
    if (q == 0) continue;
    const end = load<i32>(colStartPtr + (<usize>(j + 1) << 2));
    for (let p = load<i32>(colStartPtr + (<usize>j << 2)); p < end; p++) {
      const o = outPtr + (<usize>load<i32>(rowIdxPtr + (<usize>p << 2)) << 2);
      store<f32>(o, load<f32>(o) + q * load<f32>(valuesPtr + (<usize>p << 2)));
    }
  }
}

/** Inserts (idx, score) into the descending top list of length `len` (capacity k). Returns new length. */
@inline
function insertTop(idxPtr: usize, scorePtr: usize, len: i32, k: i32, idx: i32, score: f32): i32 {
  let pos = len < k ? len : k - 1;
  // Shift smaller entries down; ties keep the earlier row first (stable by row index).
  while (pos > 0 && load<f32>(scorePtr + (<usize>(pos - 1) << 2)) < score) {
    if (pos < k) {
      store<f32>(scorePtr + (<usize>pos << 2), load<f32>(scorePtr + (<usize>(pos - 1) << 2)));
      store<i32>(idxPtr + (<usize>pos << 2), load<i32>(idxPtr + (<usize>(pos - 1) << 2)));
    }
    pos--;
  }
  store<f32>(scorePtr + (<usize>pos << 2), score);
  store<i32>(idxPtr + (<usize>pos << 2), idx);
  return len < k ? len + 1 : k;
}

/**
 * Top-k of `n` precomputed scores, written in descending score order (ties: lower index first).
 * outIdx: k int32; outScore: k float32. Returns the number written, min(k, n). NaN scores are skipped.
 */
export function topK(scoresPtr: usize, n: i32, k: i32, outIdxPtr: usize, outScorePtr: usize): i32 {
  if (k <= 0) return 0;
  let len: i32 = 0;
  for (let r: i32 = 0; r < n; r++) {
    const s = load<f32>(scoresPtr + (<usize>r << 2));
    if (s != s) continue; // NaN
    if (len == k && s <= load<f32>(outScorePtr + (<usize>(k - 1) << 2))) continue;
    len = insertTop(outIdxPtr, outScorePtr, len, k, r, s);
  }
  return len;
}

/**
 * Fused scan: dot-product of the query against every row, keeping only the top k.
 * Same output contract as `topK`; never materialises the full score vector, so a
 * million-row scan needs only k slots of scratch.
 */
export function search(
  queryPtr: usize, matrixPtr: usize, rows: i32, dims: i32, k: i32, outIdxPtr: usize, outScorePtr: usize,
): i32 {
  if (k <= 0) return 0;
  const stride = <usize>dims << 2;
  let row = matrixPtr;
  let len: i32 = 0;
  for (let r: i32 = 0; r < rows; r++) {
    const s = dot(queryPtr, row, dims);
    row += stride;
    if (s != s) continue;
    if (len == k && s <= load<f32>(outScorePtr + (<usize>(k - 1) << 2))) continue;
    len = insertTop(outIdxPtr, outScorePtr, len, k, r, s);
  }
  return len;
}

/**
 * Reads `count` float32 values and returns their sum: the memory-bandwidth floor that the
 * benchmark compares `search` against (same bytes read, no multiply).
 */
export function sumFloats(ptr: usize, count: i32): f32 {
  let i: i32 = 0;
  let sum: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc0 = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    const end8 = count & ~7;
    for (; i < end8; i += 8) {
      const off = <usize>i << 2;
      acc0 = f32x4.add(acc0, v128.load(ptr + off));
      acc1 = f32x4.add(acc1, v128.load(ptr + off, 16));
    }
    const acc = f32x4.add(acc0, acc1);
    sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
      f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  }
  for (; i < count; i++) sum += load<f32>(ptr + (<usize>i << 2));
  return sum;
}
