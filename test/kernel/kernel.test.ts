import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INLINE_SCAN_WORK, KernelPool, scanWork } from '../../dist/kernel/index.js';
import { PatchIndex } from '../../dist/memory/index.js';
import { ROOT } from '../helpers/daemon.js';
import { mulberry32 } from '../helpers/random.js';

/** Deterministic values in [-0.5, 0.5) so a failure reproduces. */
function rng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() - 0.5;
}

function randomMatrix(rows: number, dims: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: rows * dims }, () => r());
}

/** Plain scalar reference in float64. */
function reference(q: Float32Array, m: Float32Array, rows: number, dims: number): number[] {
  return Array.from({ length: rows }, (_, i) => {
    let s = 0;
    for (let d = 0; d < dims; d++) s += q[d]! * m[i * dims + d]!;
    return s;
  });
}

/** Column-major copy of a row-major matrix with `stride` ≥ rows floats per dim (stride − rows slots hold junk). */
function columnMajor(m: Float32Array, rows: number, dims: number, stride: number): Float32Array {
  const out = new Float32Array(stride * dims).fill(Number.NaN);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dims; j++) out[j * stride + r] = m[r * dims + j]!;
  return out;
}

/** A query with only `nonZero` of `dims` entries set (like the local embedder's). */
function sparseQuery(dims: number, nonZero: number, seed: number): Float32Array {
  const r = rng(seed);
  const q = new Float32Array(dims);
  for (let i = 0; i < nonZero; i++) q[Math.floor((r() + 0.5) * dims) % dims] = r();
  return q;
}

const SHAPES: Array<[number, number]> = [
  [0, 16],
  [1, 1],
  [1, 7],
  [3, 5],
  [17, 13],
  [64, 1024],
  [257, 1023],
  [100, 1030],
];

for (const build of ['simd', 'scalar'] as const) {
  describe(`${build} kernel`, () => {
    type Exports = {
      scores(q: number, m: number, rows: number, dims: number, out: number): void;
      topK(s: number, n: number, k: number, idx: number, sc: number): number;
      search(q: number, m: number, rows: number, dims: number, k: number, idx: number, sc: number): number;
      scoresColumns(q: number, m: number, rows: number, dims: number, stride: number, out: number): void;
    };
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 1024, shared: true });
    const file = path.join(ROOT, 'build', build === 'simd' ? 'kernel.wasm' : 'kernel-scalar.wasm');
    const kernel = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory } }).exports as unknown as Exports;
    const Q = 65536,
      M = Q + 8192,
      OUT = 8 * 1024 * 1024,
      IDX = OUT + 2 * 1024 * 1024,
      SC = IDX + 4096;

    it.each(SHAPES)('equals a scalar reference within 1e-5 for %i rows × %i dims', (rows, dims) => {
      const q = randomMatrix(1, dims, dims);
      const m = randomMatrix(rows, dims, rows * 31 + dims);
      new Float32Array(memory.buffer, Q, dims).set(q);
      new Float32Array(memory.buffer, M, rows * dims).set(m);
      kernel.scores(Q, M, rows, dims, OUT);
      const got = Array.from(new Float32Array(memory.buffer, OUT, rows));
      const want = reference(q, m, rows, dims);
      expect(got.length).toBe(rows);
      got.forEach((g, i) => {
        expect(Math.abs(g - want[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i]!)));
      });
    });

    it.each([...SHAPES, [4100, 9], [2049, 64]] as Array<[number, number]>)(
      'column-major scores equal the reference within 1e-5 for %i rows × %i dims (dense and sparse queries)',
      (rows, dims) => {
        const stride = rows + 3;
        const m = randomMatrix(rows, dims, rows * 17 + dims);
        new Float32Array(memory.buffer, M, stride * dims).set(columnMajor(m, rows, dims, stride));
        for (const q of [randomMatrix(1, dims, dims + 1), sparseQuery(dims, Math.max(1, dims >> 3), dims + 2)]) {
          new Float32Array(memory.buffer, Q, dims).set(q);
          new Float32Array(memory.buffer, OUT, rows + 8).fill(Number.NaN);
          kernel.scoresColumns(Q, M, rows, dims, stride, OUT);
          const got = Array.from(new Float32Array(memory.buffer, OUT, rows));
          const want = reference(q, m, rows, dims);
          got.forEach((g, i) => {
            expect(Math.abs(g - want[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i]!)));
          });
          // Nothing past `rows` is written.
          expect(new Float32Array(memory.buffer, OUT + rows * 4, 1)[0]).toBeNaN();
        }
      },
    );

    it.each(SHAPES)('top-k and the fused search return the k best rows in order for %i × %i', (rows, dims) => {
      const q = randomMatrix(1, dims, 7);
      const m = randomMatrix(rows, dims, 11 + rows);
      new Float32Array(memory.buffer, Q, dims).set(q);
      new Float32Array(memory.buffer, M, rows * dims).set(m);
      const k = Math.min(5, rows);
      const want = reference(q, m, rows, dims)
        .map((s, i) => ({ s, i }))
        .sort((a, b) => b.s - a.s || a.i - b.i)
        .slice(0, k);
      const n = kernel.search(Q, M, rows, dims, 5, IDX, SC);
      expect(n).toBe(k);
      expect(Array.from(new Int32Array(memory.buffer, IDX, n))).toEqual(want.map((w) => w.i));
      kernel.scores(Q, M, rows, dims, OUT);
      const n2 = kernel.topK(OUT, rows, 5, IDX, SC);
      expect(n2).toBe(k);
      expect(Array.from(new Int32Array(memory.buffer, IDX, n2))).toEqual(want.map((w) => w.i));
    });
  });
}

describe('KernelPool (Piscina workers on one shared memory)', () => {
  let pool: KernelPool;
  beforeAll(() => {
    pool = new KernelPool({ minThreads: 2, maxThreads: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('scores a resident matrix in workers exactly like the reference', async () => {
    const rows = 300,
      dims = 1024;
    const m = randomMatrix(rows, dims, 5);
    const region = pool.load(m, rows, dims);
    expect(region.offset % 64).toBe(0);
    const q = randomMatrix(1, dims, 6);
    const res = await pool.scan(q, region, 3, true);
    const want = reference(q, m, rows, dims);
    Array.from(res.all!).forEach((g, i) => {
      expect(Math.abs(g - want[i]!)).toBeLessThan(1e-4);
    });
    const best = want
      .map((s, i) => ({ s, i }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 3)
      .map((x) => x.i);
    expect(Array.from(res.ids)).toEqual(best);
  });

  it('serves many concurrent scans from both workers against the same resident matrix', async () => {
    const rows = 50,
      dims = 33;
    const m = randomMatrix(rows, dims, 9);
    const region = pool.load(m, rows, dims);
    const queries = Array.from({ length: 64 }, (_, i) => randomMatrix(1, dims, 100 + i));
    const results = await Promise.all(queries.map((q) => pool.scanInWorker(q, region, 1)));
    results.forEach((r, i) => {
      const want = reference(queries[i]!, m, rows, dims);
      expect(r.ids[0]).toBe(want.indexOf(Math.max(...want)));
    });
    expect(pool.threads).toBe(2);
  });

  it('gives the same answer inline (tiny scans) as in a worker', async () => {
    const rows = 6,
      dims = 1024;
    const m = randomMatrix(rows, dims, 21);
    const region = pool.load(m, rows, dims);
    const q = randomMatrix(1, dims, 22);
    const inline = await pool.scan(q, region, 3, true);
    const worker = await pool.scanInWorker(q, region, 3, true);
    expect(Array.from(inline.ids)).toEqual(Array.from(worker.ids));
    expect(Array.from(inline.all!)).toEqual(Array.from(worker.all!));
  });

  it('splits a large scan by row range across both workers and merges exactly what one worker finds', async () => {
    const split = new KernelPool({ minThreads: 2, maxThreads: 2, splitScanFloats: 1 });
    try {
      const rows = 4001,
        dims = 77; // above INLINE_SCAN_WORK, so it goes to the workers
      const m = randomMatrix(rows, dims, 31);
      const region = split.load(m, rows, dims);
      const q = randomMatrix(1, dims, 32);
      const before = split.completedTasks;
      const merged = await split.scan(q, region, 7, true);
      expect(split.completedTasks - before).toBe(2);
      const single = await split.scanInWorker(q, region, 7, true);
      expect(Array.from(merged.ids)).toEqual(Array.from(single.ids));
      expect(Array.from(merged.scores)).toEqual(Array.from(single.scores));
      expect(Array.from(merged.all!)).toEqual(Array.from(single.all!));
    } finally {
      await split.close();
    }
  });

  it('scans a column-major matrix inline for a sparse query and in workers (one or split) for a dense one, with the same answers', async () => {
    const split = new KernelPool({ minThreads: 2, maxThreads: 2, splitScanFloats: 1 });
    try {
      const rows = 1500,
        dims = 1024,
        stride = 2048;
      const m = randomMatrix(rows, dims, 41);
      const base = split.load(columnMajor(m, rows, dims, stride), stride, dims);
      const region = { ...base, rows, columnStride: stride };
      const sparse = sparseQuery(dims, 100, 42);
      const dense = randomMatrix(1, dims, 43);
      expect(scanWork(sparse, region)).toBeLessThanOrEqual(INLINE_SCAN_WORK);
      expect(scanWork(dense, region)).toBeGreaterThan(INLINE_SCAN_WORK);
      for (const [q, tasks] of [
        [sparse, 0],
        [dense, 2],
      ] as const) {
        const want = reference(q, m, rows, dims)
          .map((s, i) => ({ s, i }))
          .sort((a, b) => b.s - a.s || a.i - b.i)
          .slice(0, 5);
        const before = split.completedTasks;
        const res = await split.scan(q, region, 5, true);
        expect(split.completedTasks - before).toBe(tasks);
        expect(Array.from(res.ids)).toEqual(want.map((w) => w.i));
        Array.from(res.all!).forEach((g, i) => {
          expect(Math.abs(g - reference(q, m, rows, dims)[i]!)).toBeLessThan(1e-4);
        });
        const single = await split.scanInWorker(q, region, 5);
        expect(Array.from(single.ids)).toEqual(want.map((w) => w.i));
      }
    } finally {
      await split.close();
    }
  });

  it('loadColumns (the DNA layout) scores like the row-major load, for sparse and dense queries', async () => {
    const rows = 48,
      dims = 1024;
    const m = randomMatrix(rows, dims, 61);
    const byRows = pool.load(m, rows, dims);
    const byColumns = pool.loadColumns(m, rows, dims);
    expect(byColumns.columnStride).toBe(rows);
    for (const q of [sparseQuery(dims, 60, 62), randomMatrix(1, dims, 63)]) {
      const a = await pool.scan(q, byRows, 0, true);
      const b = await pool.scan(q, byColumns, 0, true);
      Array.from(b.all!).forEach((g, i) => {
        expect(Math.abs(g - a.all![i]!)).toBeLessThan(1e-5);
      });
    }
  });

  it('PatchIndex: appended rows are found by the next scan, across growth, and a held view survives replace', async () => {
    const dims = 64;
    const index = new PatchIndex(pool, dims, 16);
    const rows = 40;
    const m = randomMatrix(rows, dims, 51);
    for (let r = 0; r < rows; r++) {
      index.append(m.subarray(r * dims, (r + 1) * dims));
      const { matrix, release } = index.acquire();
      const res = await pool.scan(m.subarray(r * dims, (r + 1) * dims), matrix, rows, true);
      release();
      expect(matrix.rows).toBe(r + 1);
      const want = reference(m.subarray(r * dims, (r + 1) * dims), m, r + 1, dims);
      Array.from(res.all!).forEach((g, i) => {
        expect(Math.abs(g - want[i]!)).toBeLessThan(1e-5);
      });
    }
    expect(() => index.append(new Float32Array(dims - 1))).toThrow(/63 dims, expected 64/);
    expect(index.layout).toBe('dense'); // random rows: every value non-zero
    // A scan holding the old slot keeps reading the old rows while replace lays out new ones.
    const held = index.acquire();
    const fresh = randomMatrix(3, dims, 52);
    index.replace(fresh, 3);
    const old = await pool.scan(m.subarray(0, dims), held.matrix, 1);
    held.release();
    expect(old.ids[0]).toBe(0);
    const now = index.acquire();
    expect(now.matrix.rows).toBe(3);
    const res = await pool.scan(fresh.subarray(2 * dims, 3 * dims), now.matrix, 1);
    now.release();
    expect(res.ids[0]).toBe(2);
  });

  it('PatchIndex keeps sparse rows as inverted lists plus a column-major tail; scans agree with the reference inline and in a worker, across rebuilds', async () => {
    const dims = 1024;
    const index = new PatchIndex(pool, dims);
    const rows = 600;
    const m = new Float32Array(rows * dims);
    for (let r = 0; r < rows; r++) m.set(sparseQuery(dims, 60, 1000 + r), r * dims);
    const queries = [sparseQuery(dims, 66, 7), m.slice(5 * dims, 6 * dims), randomMatrix(1, dims, 8)];
    let held: ReturnType<PatchIndex['acquire']> | null = null;
    for (let r = 0; r < rows; r++) {
      index.append(m.subarray(r * dims, (r + 1) * dims));
      if (r === 300) held = index.acquire(); // 257 rows in the lists, 44 in the tail
      if (![0, 255, 256, 300, 512, 513, rows - 1].includes(r)) continue;
      const { matrix, release } = index.acquire();
      try {
        expect(matrix.rows).toBe(r + 1);
        // The tail holds up to 256 rows; the append that finds it full rebuilds the lists with every row.
        expect(matrix.inverted?.rows ?? 0).toBe(r < 256 ? 0 : r < 513 ? 257 : 514);
        for (const q of queries) {
          const want = reference(q, m, r + 1, dims);
          const inline = await pool.scan(q, matrix, 5, true);
          Array.from(inline.all!).forEach((g, i) => {
            expect(Math.abs(g - want[i]!)).toBeLessThan(1e-5);
          });
          const worker = await pool.scanInWorker(q, matrix, 5, true);
          expect(Array.from(worker.ids)).toEqual(Array.from(inline.ids));
        }
      } finally {
        release();
      }
    }
    expect(index.layout).toBe('sparse');
    // A view taken before two rebuilds still reads the rows it was taken with.
    const old = await pool.scanInWorker(queries[1]!, held!.matrix, 301, true);
    held!.release();
    const want = reference(queries[1]!, m, 301, dims);
    Array.from(old.all!).forEach((g, i) => {
      expect(Math.abs(g - want[i]!)).toBeLessThan(1e-5);
    });
    // A dense replace switches the layout; an empty one goes back to sparse.
    index.replace(randomMatrix(10, dims, 9), 10);
    expect(index.layout).toBe('dense');
    index.replace(new Float32Array(0), 0);
    expect(index.layout).toBe('sparse');
    expect(index.acquire().matrix.rows).toBe(0);
  });

  it('PatchIndex reuses its two blocks: repeated compactions (replace) and rebuilds do not grow the shared memory', () => {
    const dims = 256;
    const index = new PatchIndex(pool, dims);
    const dense = randomMatrix(300, dims, 71);
    const sparse = new Float32Array(300 * dims);
    for (let r = 0; r < 300; r++) sparse.set(sparseQuery(dims, 12, 2000 + r), r * dims);
    const cycle = () => {
      index.replace(dense, 300);
      index.replace(sparse, 300);
      for (let r = 0; r < 300; r++) index.append(sparse.subarray(r * dims, (r + 1) * dims));
    };
    cycle();
    cycle();
    const used = pool.memory.usedBytes;
    for (let i = 0; i < 5; i++) cycle();
    expect(pool.memory.usedBytes).toBe(used);
    expect(index.rows).toBe(600);
  });

  it('keeps earlier matrices valid after later loads grow the shared memory', async () => {
    const a = randomMatrix(4, 8, 1);
    const ra = pool.load(a, 4, 8);
    pool.load(new Float32Array(2_000_000), 2000, 1000);
    const res = await pool.scan(a.subarray(8, 16), ra, 1);
    expect(res.ids[0]).toBe(1);
  });
});
