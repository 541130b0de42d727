import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelPool } from '../../dist/vector/index.js';
import { ROOT } from '../helpers/daemon.js';

/** Deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
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

const SHAPES: Array<[number, number]> = [[0, 16], [1, 1], [1, 7], [3, 5], [17, 13], [64, 1024], [257, 1023], [100, 1030]];

for (const build of ['simd', 'scalar'] as const) {
  describe(`${build} kernel`, () => {
    type Exports = {
      scores(q: number, m: number, rows: number, dims: number, out: number): void;
      topK(s: number, n: number, k: number, idx: number, sc: number): number;
      search(q: number, m: number, rows: number, dims: number, k: number, idx: number, sc: number): number;
    };
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 1024, shared: true });
    const file = path.join(ROOT, 'build', build === 'simd' ? 'kernel.wasm' : 'kernel-scalar.wasm');
    const kernel = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory } }).exports as unknown as Exports;
    const Q = 65536, M = Q + 8192, OUT = 8 * 1024 * 1024, IDX = OUT + 2 * 1024 * 1024, SC = IDX + 4096;

    it.each(SHAPES)('equals a scalar reference within 1e-5 for %i rows × %i dims', (rows, dims) => {
      const q = randomMatrix(1, dims, dims);
      const m = randomMatrix(rows, dims, rows * 31 + dims);
      new Float32Array(memory.buffer, Q, dims).set(q);
      new Float32Array(memory.buffer, M, rows * dims).set(m);
      kernel.scores(Q, M, rows, dims, OUT);
      const got = Array.from(new Float32Array(memory.buffer, OUT, rows));
      const want = reference(q, m, rows, dims);
      expect(got.length).toBe(rows);
      got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i]!))));
    });

    it.each(SHAPES)('top-k and the fused search return the k best rows in order for %i × %i', (rows, dims) => {
      const q = randomMatrix(1, dims, 7);
      const m = randomMatrix(rows, dims, 11 + rows);
      new Float32Array(memory.buffer, Q, dims).set(q);
      new Float32Array(memory.buffer, M, rows * dims).set(m);
      const k = Math.min(5, rows);
      const want = reference(q, m, rows, dims).map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s || a.i - b.i).slice(0, k);
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
  beforeAll(() => { pool = new KernelPool({ minThreads: 2, maxThreads: 2 }); });
  afterAll(async () => { await pool.close(); });

  it('scores a resident matrix in workers exactly like the reference', async () => {
    const rows = 300, dims = 1024;
    const m = randomMatrix(rows, dims, 5);
    const region = pool.load(m, rows, dims);
    expect(region.offset % 64).toBe(0);
    const q = randomMatrix(1, dims, 6);
    const res = await pool.scan(q, region, 3, true);
    const want = reference(q, m, rows, dims);
    Array.from(res.all!).forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(1e-4));
    const best = want.map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s).slice(0, 3).map((x) => x.i);
    expect(Array.from(res.ids)).toEqual(best);
  });

  it('serves many concurrent scans from both workers against the same resident matrix', async () => {
    const rows = 50, dims = 33;
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
    const rows = 6, dims = 1024;
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
      const rows = 1001, dims = 77;
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

  it('keeps earlier matrices valid after later loads grow the shared memory', async () => {
    const a = randomMatrix(4, 8, 1);
    const ra = pool.load(a, 4, 8);
    pool.load(new Float32Array(2_000_000), 2000, 1000);
    const res = await pool.scan(a.subarray(8, 16), ra, 1);
    expect(res.ids[0]).toBe(1);
  });
});
