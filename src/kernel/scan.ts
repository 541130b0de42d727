import { allocShared } from './kernel-memory.js';
import type { MatrixRegion, ScanResult, ScanTask } from './messages.js';

/** The kernel's exports (assembly/index.ts). Pointers are byte offsets into the shared memory. */
export interface KernelExports {
  scores(query: number, matrix: number, rows: number, dims: number, out: number): void;
  topK(scores: number, n: number, k: number, outIdx: number, outScore: number): number;
  search(query: number, matrix: number, rows: number, dims: number, k: number, outIdx: number, outScore: number): number;
  scoresColumns(query: number, matrix: number, rows: number, dims: number, stride: number, out: number): void;
  scoresInverted(query: number, dims: number, colStart: number, rowIdx: number, values: number, rows: number, out: number): void;
}

/**
 * One kernel instance on the shared memory plus its private scratch (query, top-k ids and scores,
 * and one score per row for `all` scans). Each thread that scans owns exactly one.
 */
export class KernelScanner {
  private readonly kernel: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly control: SharedArrayBuffer;
  private scratch = { offset: 0, dims: 0, k: 0, rows: 0 };

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, control: SharedArrayBuffer) {
    this.memory = memory;
    this.control = control;
    this.kernel = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  }

  /** Runs one scan (see ScanTask / ScanResult in messages.ts). */
  scan(task: ScanTask): ScanResult {
    const { query, matrix, all } = task;
    const k = Math.min(Math.max(task.k, 0), matrix.rows);
    const columns = matrix.columnStride !== undefined;
    this.ensureScratch(matrix.dims, k, all || columns ? matrix.rows : 0);
    const queryOff = this.scratch.offset;
    const idxOff = queryOff + align(this.scratch.dims * 4);
    const scoreOff = idxOff + align(this.scratch.k * 4);
    const allOff = scoreOff + align(this.scratch.k * 4);
    const buffer = this.memory.buffer;
    new Float32Array(buffer, queryOff, matrix.dims).set(query.subarray(0, matrix.dims));
    let n: number;
    let allScores: Float32Array | null = null;
    if (all || columns) {
      if (columns) this.scoreColumns(queryOff, matrix, allOff);
      else this.kernel.scores(queryOff, matrix.offset, matrix.rows, matrix.dims, allOff);
      n = this.kernel.topK(allOff, matrix.rows, k, idxOff, scoreOff);
      if (all) allScores = new Float32Array(buffer, allOff, matrix.rows).slice();
    } else {
      n = this.kernel.search(queryOff, matrix.offset, matrix.rows, matrix.dims, k, idxOff, scoreOff);
    }
    return {
      ids: new Int32Array(buffer, idxOff, n).slice(),
      scores: new Float32Array(buffer, scoreOff, n).slice(),
      all: allScores,
    };
  }

  /** Column-major scores into `out`, the inverted lists first when the matrix has them. */
  private scoreColumns(queryOff: number, matrix: MatrixRegion, out: number): void {
    const inv = matrix.inverted;
    const head = inv ? inv.rows : 0;
    if (inv) this.kernel.scoresInverted(queryOff, matrix.dims, inv.colStart, inv.rowIdx, inv.values, inv.rows, out);
    if (matrix.rows > head) this.kernel.scoresColumns(queryOff, matrix.offset, matrix.rows - head, matrix.dims, matrix.columnStride!, out + head * 4);
  }

  private ensureScratch(dims: number, k: number, rows: number): void {
    const s = this.scratch;
    if (s.offset !== 0 && dims <= s.dims && k <= s.k && rows <= s.rows) return;
    // Grow geometrically so a thread re-allocates O(log n) times over its life.
    const next = { dims: Math.max(dims, s.dims), k: Math.max(k, s.k, 64), rows: Math.max(rows, s.rows * 2, 256) };
    const bytes = (next.dims + 2 * next.k + next.rows) * 4 + 3 * 64;
    this.scratch = { offset: allocShared(this.memory, this.control, bytes), ...next };
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
