import { Piscina } from 'piscina';
import { allocShared } from './kernel-memory.js';
import type { KernelWorkerData, ScanResult, ScanTask } from './messages.js';

// A Piscina worker: instantiates the kernel once on the shared memory and answers scans.
// It reads matrices in place; it writes only to its own scratch region.

interface KernelExports {
  scores(query: number, matrix: number, rows: number, dims: number, out: number): void;
  topK(scores: number, n: number, k: number, outIdx: number, outScore: number): number;
  search(query: number, matrix: number, rows: number, dims: number, k: number, outIdx: number, outScore: number): number;
}

const { memory, control, module } = Piscina.workerData as KernelWorkerData;
const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;

/** This worker's scratch: query, top-k ids and scores, and (for `all`) one score per row. */
let scratch = { offset: 0, dims: 0, k: 0, rows: 0 };

function ensureScratch(dims: number, k: number, rows: number): void {
  if (scratch.offset !== 0 && dims <= scratch.dims && k <= scratch.k && rows <= scratch.rows) return;
  // Grow geometrically so a worker re-allocates O(log n) times over its life.
  const next = {
    dims: Math.max(dims, scratch.dims),
    k: Math.max(k, scratch.k, 64),
    rows: Math.max(rows, scratch.rows * 2, 256),
  };
  const bytes = (next.dims + 2 * next.k + next.rows) * 4 + 3 * 64;
  scratch = { offset: allocShared(memory, control, bytes), ...next };
}

/** Runs one scan (see ScanTask / ScanResult in messages.ts). */
export default function scan(task: ScanTask): ScanResult {
  const { query, matrix, all } = task;
  const k = Math.min(Math.max(task.k, 0), matrix.rows);
  ensureScratch(matrix.dims, k, all ? matrix.rows : 0);
  const queryOff = scratch.offset;
  const idxOff = queryOff + align(scratch.dims * 4);
  const scoreOff = idxOff + align(scratch.k * 4);
  const allOff = scoreOff + align(scratch.k * 4);
  const buffer = memory.buffer;
  new Float32Array(buffer, queryOff, matrix.dims).set(query.subarray(0, matrix.dims));
  let n: number;
  let allScores: Float32Array | null = null;
  if (all) {
    kernel.scores(queryOff, matrix.offset, matrix.rows, matrix.dims, allOff);
    n = kernel.topK(allOff, matrix.rows, k, idxOff, scoreOff);
    allScores = new Float32Array(buffer, allOff, matrix.rows).slice();
  } else {
    n = kernel.search(queryOff, matrix.offset, matrix.rows, matrix.dims, k, idxOff, scoreOff);
  }
  return {
    ids: new Int32Array(buffer, idxOff, n).slice(),
    scores: new Float32Array(buffer, scoreOff, n).slice(),
    all: allScores,
  };
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
