import os from 'node:os';
import { Piscina } from 'piscina';
import { compileKernel, KernelMemory, type KernelFlavour } from './kernel-memory.js';
import type { KernelWorkerData, MatrixRegion, ScanResult, ScanTask } from './messages.js';
import { KernelScanner } from './scan.js';

/**
 * Scans of at most this many floats (rows × dims) run inline on the calling thread. 65,536 floats
 * (64 rows of 1024 dims, the whole base DNA many times over) take ≤ 5 µs in the SIMD kernel,
 * while a Piscina round trip costs 40–200 µs and wakes two threads (bench section 2c). Larger
 * scans (user patches, big matrices) go to the workers so the event loop never stalls on them.
 */
export const INLINE_SCAN_FLOATS = 65_536;

/** Pool sizing; defaults follow DESIGN.md §3 (threads = cores, explicit idle timeout). */
export interface KernelPoolOptions {
  minThreads?: number | undefined;
  maxThreads?: number | undefined;
  /** ms before an idle worker above minThreads exits. */
  idleTimeout?: number | undefined;
}

/**
 * Piscina workers that all instantiate the WASM kernel on one shared memory (DESIGN.md §3).
 * Matrices are loaded once with `load()` and stay resident; `scan()` runs one query against one.
 */
export class KernelPool {
  readonly memory: KernelMemory;
  readonly flavour: KernelFlavour;
  private readonly piscina: Piscina<ScanTask, ScanResult>;
  /** This thread's own kernel instance on the same shared memory, for tiny scans. */
  private readonly inline: KernelScanner;

  constructor(options: KernelPoolOptions = {}) {
    const cores = Math.max(1, os.availableParallelism());
    const maxThreads = options.maxThreads ?? cores;
    const minThreads = Math.min(options.minThreads ?? maxThreads, maxThreads);
    const { module, flavour } = compileKernel();
    this.flavour = flavour;
    this.memory = new KernelMemory();
    const workerData: KernelWorkerData = { memory: this.memory.memory, control: this.memory.control, module };
    this.inline = new KernelScanner(module, this.memory.memory, this.memory.control);
    this.piscina = new Piscina<ScanTask, ScanResult>({
      filename: new URL('./kernel-worker.js', import.meta.url).href,
      minThreads,
      maxThreads,
      idleTimeout: options.idleTimeout ?? 30_000,
      workerData,
    });
  }

  /** Copies a matrix into the shared memory once; the region stays valid for the pool's life. */
  load(data: Float32Array, rows: number, dims: number): MatrixRegion {
    return this.memory.loadMatrix(data, rows, dims);
  }

  /**
   * Scores `query` against a resident matrix: inline when rows × dims ≤ INLINE_SCAN_FLOATS, else in
   * a worker. k ≤ rows; `all` also returns every row's score. Rejects if the pool is closed or the
   * worker fails.
   */
  scan(query: Float32Array, matrix: MatrixRegion, k: number, all = false): Promise<ScanResult> {
    if (matrix.rows * matrix.dims <= INLINE_SCAN_FLOATS) {
      try {
        return Promise.resolve(this.inline.scan({ query, matrix, k, all }));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.piscina.run({ query, matrix, k, all });
  }

  /** Always dispatches to a worker, whatever the size (benchmarks, tests of the pool itself). */
  scanInWorker(query: Float32Array, matrix: MatrixRegion, k: number, all = false): Promise<ScanResult> {
    return this.piscina.run({ query, matrix, k, all });
  }

  /** Resolves once the minimum number of workers are up (start-up readiness). */
  async warm(): Promise<void> {
    const probe = this.load(new Float32Array(1), 1, 1);
    const runs = Array.from({ length: Math.max(1, this.piscina.options.minThreads) }, () => this.scanInWorker(new Float32Array(1), probe, 1));
    await Promise.all(runs);
  }

  /** Number of live worker threads. */
  get threads(): number {
    return this.piscina.threads.length;
  }

  /** Stops all workers; pending scans reject. */
  async close(): Promise<void> {
    await this.piscina.close({ force: true });
  }
}
