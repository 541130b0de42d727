/**
 * The thread boundary between the main thread and the kernel workers (STYLE §5). Everything a
 * worker receives or returns is declared here; nothing else crosses.
 */

/** Startup data of every kernel worker (Piscina `workerData`). */
export interface KernelWorkerData {
  /** The ONE shared linear memory holding all matrices and every worker's scratch. */
  memory: WebAssembly.Memory;
  /** Allocator state shared by all threads; see KernelMemory. */
  control: SharedArrayBuffer;
  /** The compiled kernel (SIMD or scalar build), instantiated once per worker. */
  module: WebAssembly.Module;
}

/** A matrix resident in the shared memory. */
export interface MatrixRegion {
  /** Byte offset in the shared memory, a multiple of 64. */
  offset: number;
  /** Number of rows. */
  rows: number;
  /** Floats per row. */
  dims: number;
  /**
   * Set for a COLUMN-major matrix: element (row r, dim j) is at offset + (j × columnStride + r) × 4,
   * columnStride ≥ rows being the allocated row capacity, so rows can be appended in place (the
   * user-patch matrix). Absent: row-major, row r at offset + r × dims × 4.
   */
  columnStride?: number;
  /**
   * Set (with columnStride) when the first `inverted.rows` rows are kept as inverted lists (the
   * user patches of a sparse embedding space); the column-major part at `offset` then holds rows
   * inverted.rows … rows − 1 (its column entry 0 is matrix row inverted.rows).
   */
  inverted?: InvertedLists;
}

/**
 * Rows as inverted (compressed sparse column) lists in the shared memory: for dim j, entries
 * colStart[j] … colStart[j + 1] − 1 of rowIdx / values are the rows whose dim j is non-zero and
 * that value (kernel: scoresInverted).
 */
export interface InvertedLists {
  /** Rows held in the lists. */
  rows: number;
  /** Byte offset of dims + 1 int32. */
  colStart: number;
  /** Byte offset of `entries` int32 row numbers. */
  rowIdx: number;
  /** Byte offset of `entries` float32 values. */
  values: number;
  /** Total entries (colStart[dims]). */
  entries: number;
}

/** One scan: the query against one resident matrix. */
export interface ScanTask {
  /** L2-normalised query, `matrix.dims` floats. */
  query: Float32Array;
  matrix: MatrixRegion;
  /** Rows to return, best first; 0 returns only `all`. */
  k: number;
  /** Also return every row's score (DNA matrices are small; patch matrices use top-k only). */
  all: boolean;
}

/** Result of a ScanTask. Scores are dot products (cosines for normalised rows). */
export interface ScanResult {
  /** Row indices, best first (ties: lower row first). */
  ids: Int32Array;
  /** Scores matching `ids`. */
  scores: Float32Array;
  /** Every row's score, when the task asked for `all`. */
  all: Float32Array | null;
}
