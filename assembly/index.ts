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
