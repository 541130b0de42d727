import { createRequire } from 'node:module';
import os from 'node:os';
import type { Piscina } from 'piscina';
import { channels, type KernelScanEvent, publish } from '../events.js';
import { compileKernel, type KernelFlavour, KernelMemory } from './kernel-memory.js';
import type { KernelWorkerData, MatrixRegion, ScanResult, ScanTask } from './messages.js';
import { KernelScanner } from './scan.js';

/** piscina is loaded with the pool's first worker scan, not at start-up (see KernelPool.piscina). */
const require = createRequire(import.meta.url);

/**
 * Scans of at most this many multiply-adds run inline on the calling thread: rows × dims for a
 * row-major matrix, rows × (non-zero query dims) for a column-major one (the user patches, which a
 * sparse local-embedder query scans at ~100 of 1024 dims). 262,144 multiply-adds take ≈ 15–25 µs
 * in the SIMD kernel, while a Piscina round trip costs 40–200 µs and wakes two threads (bench
 * section 2c). Larger scans go to the workers so the event loop never stalls on them.
 */
export const INLINE_SCAN_WORK = 262_144;
/** The scan events, allocated once: a route scans twice, and the hot path allocates nothing for metrics. */
const INLINE_SCAN: KernelScanEvent = Object.freeze({ mode: 'inline' });
const POOL_SCAN: KernelScanEvent = Object.freeze({ mode: 'pool' });

/**
 * Scans of at least this many floats (16 M: 16,384 rows of 1024 dims, ≥ 1.5 ms of kernel time) are
 * split by row range across every worker and their top-k merged; below it one worker's pass is
 * shorter than the extra hand-offs (bench section 1: pool 2 workers / 1 worker).
 */
export const SPLIT_SCAN_FLOATS = 16_777_216;

/** Pool sizing; defaults follow DESIGN.md §3 (threads = cores, explicit idle timeout). */
export interface KernelPoolOptions {
  minThreads?: number | undefined;
  maxThreads?: number | undefined;
  /** ms before an idle worker above minThreads exits. */
  idleTimeout?: number | undefined;
  /** Override SPLIT_SCAN_FLOATS (tests, benchmarks). */
  splitScanFloats?: number | undefined;
}

/**
 * Piscina workers that all instantiate the WASM kernel on one shared memory (DESIGN.md §3).
 * Matrices are loaded once with `load()` and stay resident; `scan()` runs one query against one.
 */
export class KernelPool {
  readonly memory: KernelMemory;
  readonly flavour: KernelFlavour;
  private workers: Piscina<ScanTask, ScanResult> | null = null;
  private readonly workerOptions: ConstructorParameters<typeof Piscina<ScanTask, ScanResult>>[0] & { minThreads: number; maxThreads: number };
  /** This thread's own kernel instance on the same shared memory, for tiny scans. */
  private readonly inline: KernelScanner;
  private readonly splitScanFloats: number;

  constructor(options: KernelPoolOptions = {}) {
    const cores = Math.max(1, os.availableParallelism());
    const maxThreads = options.maxThreads ?? cores;
    const minThreads = Math.min(options.minThreads ?? maxThreads, maxThreads);
    const { module, flavour } = compileKernel();
    this.flavour = flavour;
    this.memory = new KernelMemory();
    const workerData: KernelWorkerData = { memory: this.memory.memory, control: this.memory.control, module };
    this.inline = new KernelScanner(module, this.memory.memory, this.memory.control);
    this.splitScanFloats = options.splitScanFloats ?? SPLIT_SCAN_FLOATS;
    this.workerOptions = {
      filename: new URL('../kernel/kernel-worker.js', import.meta.url).href, // '../kernel/': right from dist/kernel/ and from the bundled dist/cli/main.js
      minThreads,
      maxThreads,
      idleTimeout: options.idleTimeout ?? 30_000,
      workerData,
    };
  }

  /**
   * The Piscina pool, created on first use (warm() or the first worker scan): on 2 cores, booting
   * the workers while the daemon loads competes with it (~20 ms of start-to-ready, issue 7), and
   * inline scans need no worker at all.
   */
  private get piscina(): Piscina<ScanTask, ScanResult> {
    if (!this.workers) {
      const { Piscina: PiscinaPool } = require('piscina') as typeof import('piscina');
      this.workers = new PiscinaPool<ScanTask, ScanResult>(this.workerOptions);
    }
    return this.workers;
  }

  /** Most worker threads the pool runs (pool.maxThreads). */
  get maxThreads(): number {
    return this.workerOptions.maxThreads;
  }

  /** Copies a matrix into the shared memory once; the region stays valid for the pool's life. */
  load(data: Float32Array, rows: number, dims: number): MatrixRegion {
    return this.memory.loadMatrix(data, rows, dims);
  }

  /**
   * Copies a row-major matrix once into the shared memory as column-major (see
   * KernelMemory.loadColumns): for matrices scanned with sparse queries (the DNA, ~48 rows).
   */
  loadColumns(data: Float32Array, rows: number, dims: number): MatrixRegion {
    return this.memory.loadColumns(data, rows, dims);
  }

  /**
   * Scores `query` against a resident matrix (row- or column-major, see MatrixRegion): inline when
   * its multiply-adds (scanWork) ≤ INLINE_SCAN_WORK, else in a worker, split by row range over all
   * workers from SPLIT_SCAN_FLOATS. k ≤ rows; `all` also returns every row's score. Rejects if the
   * pool is closed or the worker fails.
   */
  scan(query: Float32Array, matrix: MatrixRegion, k: number, all = false): Promise<ScanResult> {
    const inline = scanWork(query, matrix, this.memory.memory) <= INLINE_SCAN_WORK;
    publish<KernelScanEvent>(channels.kernelScan, inline ? INLINE_SCAN : POOL_SCAN);
    if (inline) {
      try {
        return Promise.resolve(this.inline.scan({ query, matrix, k, all }));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const parts = Math.min(this.workerOptions.maxThreads, matrix.rows);
    if (parts > 1 && !matrix.inverted && matrix.rows * matrix.dims >= this.splitScanFloats) return this.scanSplit(query, matrix, k, all, parts);
    return this.piscina.run({ query, matrix, k, all });
  }

  /**
   * One scan as `parts` row ranges in parallel workers, merged: top-k by score (ties: lower row
   * first, as the kernel orders them) and, for `all`, the row scores concatenated in order.
   */
  private async scanSplit(query: Float32Array, matrix: MatrixRegion, k: number, all: boolean, parts: number): Promise<ScanResult> {
    const step = Math.ceil(matrix.rows / parts);
    const starts = Array.from({ length: parts }, (_, i) => i * step).filter((start) => start < matrix.rows);
    const results = await Promise.all(
      starts.map((start) => {
        const rows = Math.min(step, matrix.rows - start);
        const part: MatrixRegion =
          matrix.columnStride === undefined
            ? { offset: matrix.offset + start * matrix.dims * 4, rows, dims: matrix.dims }
            : { offset: matrix.offset + start * 4, rows, dims: matrix.dims, columnStride: matrix.columnStride };
        return this.piscina.run({ query, matrix: part, k: Math.min(k, rows), all });
      }),
    );
    const candidates = results.flatMap((r, i) => Array.from(r.ids, (id, j) => ({ id: id + starts[i]!, score: r.scores[j]! })));
    candidates.sort((a, b) => b.score - a.score || a.id - b.id);
    const best = candidates.slice(0, Math.min(k, matrix.rows));
    let allScores: Float32Array | null = null;
    if (all) {
      allScores = new Float32Array(matrix.rows);
      results.forEach((r, i) => {
        allScores!.set(r.all!, starts[i]!);
      });
    }
    return { ids: Int32Array.from(best, (c) => c.id), scores: Float32Array.from(best, (c) => c.score), all: allScores };
  }

  /** Always dispatches to one worker, whatever the size (benchmarks, tests of the pool itself). */
  scanInWorker(query: Float32Array, matrix: MatrixRegion, k: number, all = false): Promise<ScanResult> {
    return this.piscina.run({ query, matrix, k, all });
  }

  /** Starts the workers and resolves once the minimum number of them answer a scan; rejects if one cannot start. */
  async warm(): Promise<void> {
    const probe = this.load(new Float32Array(1), 1, 1);
    const runs = Array.from({ length: Math.max(1, this.workerOptions.minThreads) }, () => this.scanInWorker(new Float32Array(1), probe, 1));
    await Promise.all(runs);
  }

  /** Worker tasks completed so far (inline scans are not counted). */
  get completedTasks(): number {
    return this.workers?.completed ?? 0;
  }

  /** Number of live worker threads (0 until the pool is first used). */
  get threads(): number {
    return this.workers?.threads.length ?? 0;
  }

  /** Stops all workers; pending scans reject. */
  async close(): Promise<void> {
    await this.workers?.close({ force: true });
  }
}

/**
 * Multiply-adds one scan of `query` over `matrix` costs: rows × dims row-major; rows × the query's
 * non-zero dims column-major (the kernel's scoresColumns skips zero dims); for inverted lists, the
 * entries of the query's non-zero dims (read from `memory`) plus the column-major rows after them.
 */
export function scanWork(query: Float32Array, matrix: MatrixRegion, memory?: WebAssembly.Memory): number {
  if (matrix.columnStride === undefined) return matrix.rows * matrix.dims;
  const inv = matrix.inverted;
  const colStart = inv && memory ? new Int32Array(memory.buffer, inv.colStart, matrix.dims + 1) : null;
  let nonZero = 0;
  let listed = 0;
  for (let j = 0; j < matrix.dims; j++) {
    if (query[j] === 0) continue;
    nonZero++;
    if (colStart) listed += colStart[j + 1]! - colStart[j]!;
  }
  // Without the memory to read list lengths from, assume every list as long as the rows.
  if (inv && !colStart) listed = inv.rows * nonZero;
  return listed + (matrix.rows - (inv?.rows ?? 0)) * nonZero;
}
