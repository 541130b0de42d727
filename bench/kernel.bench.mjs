// Section 1 — the similarity kernel: top-5 dot-product search over N × 1024 float32 rows.
//
// One matrix of the largest N lives in the real KernelPool's shared WebAssembly.Memory; smaller
// N scan its first N rows. On that same memory the main thread instantiates both kernel builds
// (build/kernel.wasm with SIMD, build/kernel-scalar.wasm without) to time `search` directly, and
// a plain JS loop reads the same bytes through a Float32Array view. The native peer (usearch
// exactSearch, inner product, 1 thread) cannot read a SharedArrayBuffer, so it gets a plain copy.
// The bandwidth floor is the kernel's `sumFloats` over the same bytes, with glibc memcmp of the
// matrix against its plain copy as a second, native floor. Pool scaling goes through
// the real KernelPool (2 workers): one `scan` over all rows vs two concurrent `scan`s over the two
// row halves (sub-regions of the same matrix) with their top-5 merged on the main thread.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { allocShared } from '../dist/kernel/kernel-memory.js';
import { KernelPool } from '../dist/kernel/kernel-pool.js';
import { ms, pct, printTable, si, times } from './lib/format.mjs';
import { ROOT } from './lib/procs.mjs';
import { sampleInterleaved } from './lib/stats.mjs';
import { prng } from './lib/texts.mjs';

const DIMS = 1024;
const K = 5;
/** Row counts measured (issue 7): the DNA today, ~1,500 user patches, and two scale points. */
export const ROWS = [6, 1_500, 100_000, 1_000_000];
/** Sampling per N: more rounds where one call is cheap. */
const PLAN = {
  6: { rounds: 11, minSampleMs: 20 },
  1500: { rounds: 11, minSampleMs: 20 },
  100000: { rounds: 9, minSampleMs: 1 },
  1000000: { rounds: 5, minSampleMs: 1 },
};

/** Plain JS top-k: Float32Array dot (one accumulator) + the kernel's insertion, same contract. */
function jsSearch(mat, q, rows, dims, k, outIdx, outScore) {
  let len = 0;
  for (let r = 0, base = 0; r < rows; r++, base += dims) {
    let s = 0;
    for (let i = 0; i < dims; i++) s += q[i] * mat[base + i];
    if (Number.isNaN(s)) continue;
    if (len === k && s <= outScore[k - 1]) continue;
    let pos = len < k ? len : k - 1;
    while (pos > 0 && outScore[pos - 1] < s) {
      outScore[pos] = outScore[pos - 1];
      outIdx[pos] = outIdx[pos - 1];
      pos--;
    }
    outScore[pos] = s;
    outIdx[pos] = r;
    if (len < k) len++;
  }
  return len;
}

/**
 * Fills `view` (rows × DIMS) with distinct pseudo-random rows cheaply: one 4 MiB random block,
 * row r is the DIMS-float window at (r · 4099) mod 2^20 (4099 is odd, so the first 2^20 rows all
 * start at different offsets). Values are uniform in [-1, 1); scan speed does not depend on them.
 */
function fillRows(view, rows) {
  const rnd = prng(42);
  const block = new Float32Array((1 << 20) + DIMS);
  for (let i = 0; i < block.length; i++) block[i] = rnd() * 2 - 1;
  for (let r = 0; r < rows; r++) {
    const o = (r * 4099) & ((1 << 20) - 1);
    view.set(block.subarray(o, o + DIMS), r * DIMS);
  }
}

function instantiate(file, memory) {
  const bytes = readFileSync(path.join(ROOT, 'build', file));
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
}

/**
 * Runs the kernel section. `native` is setup.mjs's ensureNative() result. Returns
 * `{ rows: printable table rows, ratios: printable ratio rows, data: raw figures for JSON }`.
 */
export async function runKernel({ native: peer, quick = false, log = console.error }) {
  let native = peer;
  const rowsList = ROWS.filter((n) => !quick || n <= 100_000);
  let maxN = Math.max(...rowsList);
  const pool = new KernelPool({ minThreads: 2, maxThreads: 2, idleTimeout: 60_000 });
  await pool.warm();
  const { memory, control } = pool.memory;

  let matOff;
  try {
    matOff = allocShared(memory, control, maxN * DIMS * 4);
  } catch (err) {
    log(`[kernel] cannot allocate ${maxN} rows in the shared memory (${err.message}); measuring up to 100,000`);
    maxN = 100_000;
    rowsList.splice(rowsList.indexOf(1_000_000), 1);
    matOff = allocShared(memory, control, maxN * DIMS * 4);
  }
  const scratch = allocShared(memory, control, DIMS * 4 + 4 * 64 * 4);
  const qOff = scratch;
  const out = (slot) => ({ idx: scratch + DIMS * 4 + slot * 512, score: scratch + DIMS * 4 + slot * 512 + 256 });

  let t0 = performance.now();
  const view = new Float32Array(memory.buffer, matOff, maxN * DIMS);
  fillRows(view, maxN);
  const rnd = prng(4242);
  const query = new Float32Array(DIMS).map(() => rnd() * 2 - 1);
  new Float32Array(memory.buffer, qOff, DIMS).set(query);
  log(
    `[kernel] ${maxN.toLocaleString()} × ${DIMS} f32 (${((maxN * DIMS * 4) / 2 ** 30).toFixed(2)} GiB) written to shared memory in ${ms(performance.now() - t0)}`,
  );

  let plain = null;
  if (native.ok) {
    t0 = performance.now();
    try {
      plain = new Float32Array(maxN * DIMS);
      plain.set(view);
      log(`[kernel] plain copy for the native peer in ${ms(performance.now() - t0)}`);
    } catch (err) {
      native = { ok: false, reason: `no memory for its ${maxN.toLocaleString('en-US')}-row copy (${err.message})` };
    }
  }

  const simd = instantiate('kernel.wasm', memory);
  // Two bare threads reading one half each: the memory system's ceiling for the two-worker pool.
  const floorThreads = [0, 1].map(
    () =>
      new Worker(new URL('./lib/floor-worker.mjs', import.meta.url), {
        workerData: { memory, module: new WebAssembly.Module(readFileSync(path.join(ROOT, 'build', 'kernel.wasm'))) },
      }),
  );
  const floorHalves = (offset, count) =>
    Promise.all(
      floorThreads.map(
        (w, i) =>
          new Promise((resolve) => {
            const half = Math.ceil(count / 2);
            w.once('message', resolve);
            w.postMessage({ offset: offset + i * half * 4, count: i === 0 ? half : count - half });
          }),
      ),
    );
  const scalar = instantiate('kernel-scalar.wasm', memory);
  const jsIdx = new Int32Array(K);
  const jsScore = new Float32Array(K);

  const rows = [];
  const data = { dims: DIMS, k: K, poolFlavour: pool.flavour, poolThreads: pool.threads, native: native.ok ? `usearch ${native.version}` : null, byN: {} };

  for (const N of rowsList) {
    const plan = PLAN[N];
    const region = { offset: matOff, rows: N, dims: DIMS };
    const last = {};
    const readIds = (slot, n) => Array.from(new Int32Array(memory.buffer, out(slot).idx, n));
    const variants = [
      {
        name: 'wasm-simd search',
        work: N,
        run: () => {
          last.simd = simd.search(qOff, matOff, N, DIMS, K, out(0).idx, out(0).score);
        },
      },
      {
        name: 'wasm-scalar search',
        work: N,
        run: () => {
          last.scalar = scalar.search(qOff, matOff, N, DIMS, K, out(1).idx, out(1).score);
        },
      },
      {
        name: 'js-f32 loop',
        work: N,
        run: () => {
          last.js = jsSearch(view, query, N, DIMS, K, jsIdx, jsScore);
        },
      },
    ];
    if (native.ok) {
      const sub = plain.subarray(0, N * DIMS);
      variants.push({
        name: 'native usearch (1 thread)',
        work: N,
        run: () => {
          last.native = native.usearch.exactSearch(sub, query, DIMS, K, 'ip', 1);
        },
      });
    }
    variants.push({
      name: 'pool.scan, 1 worker',
      work: N,
      async: true,
      run: async () => {
        last.pool1 = await pool.scanInWorker(query, region, K);
      },
    });
    if (N >= 100_000) {
      variants.push({
        name: 'pool.scan, 2 workers (row halves)',
        work: N,
        async: true,
        // KernelPool.scan itself splits scans of ≥ SPLIT_SCAN_FLOATS by row range across the workers
        // and merges the top-k; N ≥ 100,000 × 1024 dims is above it.
        run: async () => {
          const r = await pool.scan(query, region, K);
          last.pool2 = Array.from(r.ids);
        },
      });
      // The floor reads the same N × 1024 floats with no multiply; reported as rows/s.
      variants.push({
        name: 'bandwidth floor (sumFloats)',
        work: N,
        run: () => {
          last.floor = simd.sumFloats(matOff, N * DIMS);
        },
      });
      variants.push({
        name: 'bandwidth floor, 2 threads (halves)',
        work: N,
        async: true,
        run: async () => {
          last.floor2 = await floorHalves(matOff, N * DIMS);
        },
      });
      if (plain) {
        // A second, native floor: glibc memcmp of the shared matrix against its identical plain
        // copy reads 2 × N rows; rows/s counts both, so it is comparable with the rows above.
        const a = Buffer.from(memory.buffer, matOff, N * DIMS * 4);
        const b = Buffer.from(plain.buffer, 0, N * DIMS * 4);
        variants.push({
          name: 'native read floor (memcmp)',
          work: 2 * N,
          run: () => {
            last.memcmp = Buffer.compare(a, b);
          },
        });
      }
    }

    t0 = performance.now();
    const stats = await sampleInterleaved(variants, plan);
    log(`[kernel] N=${N.toLocaleString()}: ${variants.length} variants × ${plan.rounds} rounds in ${ms(performance.now() - t0)}`);

    const ref = readIds(0, last.simd);
    const ids = {
      'wasm-simd search': ref,
      'wasm-scalar search': readIds(1, last.scalar),
      'js-f32 loop': Array.from(jsIdx.subarray(0, last.js)),
      'native usearch (1 thread)': last.native ? Array.from(last.native.keys, Number) : undefined,
      'pool.scan, 1 worker': last.pool1 ? Array.from(last.pool1.ids) : undefined,
      'pool.scan, 2 workers (row halves)': last.pool2,
    };
    const agree = (name) => {
      const mine = ids[name];
      if (!mine) return '—';
      const want = new Set(ref.slice(0, Math.min(K, N)));
      return mine.length === want.size && mine.every((i) => want.has(i)) ? 'yes' : `NO ${mine.join(',')}`;
    };
    const med = (name) => stats.get(name)?.median ?? null;
    const jsRate = med('js-f32 loop');
    const byName = {};
    for (const [name, s] of stats) {
      byName[name] = { ...s, topK: ids[name] ?? null };
      rows.push({
        N: N.toLocaleString('en-US'),
        variant: name,
        'rows/s': si(s.median),
        '±%': pct(s.spreadPct),
        'GB/s': ((s.median * DIMS * 4) / 1e9).toFixed(2),
        'vs js-f32': times(s.median / jsRate),
        'top-5 = simd': name.includes('floor') ? '(n/a)' : agree(name),
      });
    }
    if (!native.ok) rows.push({ N: N.toLocaleString('en-US'), variant: 'native usearch', 'rows/s': `unavailable: ${native.reason}` });
    const simdRate = med('wasm-simd search');
    data.byN[N] = {
      variants: byName,
      ratios: {
        simdOverJs: simdRate / jsRate,
        simdOverScalar: simdRate / med('wasm-scalar search'),
        simdOverNative: native.ok ? simdRate / med('native usearch (1 thread)') : null,
        simdOverFloor: N >= 100_000 ? simdRate / med('bandwidth floor (sumFloats)') : null,
        simdOverMemcmp: N >= 100_000 && med('native read floor (memcmp)') ? simdRate / med('native read floor (memcmp)') : null,
        pool2OverPool1: N >= 100_000 ? med('pool.scan, 2 workers (row halves)') / med('pool.scan, 1 worker') : null,
        floor2OverFloor1: N >= 100_000 ? med('bandwidth floor, 2 threads (halves)') / med('bandwidth floor (sumFloats)') : null,
        pool1OverSimd: med('pool.scan, 1 worker') / simdRate,
      },
    };
  }
  await pool.close();
  await Promise.all(floorThreads.map((w) => w.terminate()));
  plain = null;

  const ratios = [];
  for (const N of rowsList) {
    const r = data.byN[N].ratios;
    const n = N.toLocaleString('en-US');
    ratios.push({ N: n, ratio: 'SIMD / plain JS', value: times(r.simdOverJs), goal: N >= 100_000 ? '≥ 8×' : '' });
    ratios.push({ N: n, ratio: 'SIMD / native (usearch, 1 thread)', value: times(r.simdOverNative), goal: N >= 100_000 ? '≥ 0.9×' : '' });
    ratios.push({ N: n, ratio: 'SIMD / scalar WASM', value: times(r.simdOverScalar), goal: '' });
    if (r.simdOverFloor !== null)
      ratios.push({ N: n, ratio: 'SIMD / bandwidth floor (sumFloats)', value: times(r.simdOverFloor), goal: N >= 1_000_000 ? '≥ 0.8×' : '' });
    if (r.simdOverMemcmp !== null) ratios.push({ N: n, ratio: 'SIMD / native read floor (memcmp)', value: times(r.simdOverMemcmp), goal: '' });
    if (r.pool2OverPool1 !== null)
      ratios.push({ N: n, ratio: 'pool 2 workers / 1 worker', value: times(r.pool2OverPool1), goal: N >= 1_000_000 ? '≥ 1.7×' : '' });
    if (r.floor2OverFloor1 !== null)
      ratios.push({ N: n, ratio: 'bandwidth floor 2 threads / 1 thread (the ceiling for the line above)', value: times(r.floor2OverFloor1), goal: '' });
    ratios.push({ N: n, ratio: 'pool.scan 1 worker / in-thread SIMD', value: times(r.pool1OverSimd), goal: '' });
  }
  return { rows, ratios, data };
}

/** Prints the kernel tables. */
export function printKernel(result) {
  printTable(`1. kernel — top-${K} dot-product search, ${DIMS} dims (rows/s, median of rounds; ±% robust spread)`, result.rows);
  printTable('1. kernel — ratios (of medians)', result.ratios);
}
