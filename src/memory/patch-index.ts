import type { InvertedLists, KernelPool, MatrixRegion } from '../kernel/index.js';
import { allocShared } from '../kernel/index.js';

/** A region of the shared memory and the scans currently reading it. */
interface Slot<T> {
  region: T;
  /** Scans currently reading this slot. */
  readers: number;
}

/** A column-major block; `capacity` rows fit (its columnStride). */
interface ColumnBlock {
  offset: number;
  capacity: number;
}

/** Inverted lists plus the entries they have room for. */
type ListsBlock = Omit<InvertedLists, 'rows' | 'entries'> & { capacity: number };

/** One row's non-zero dims, kept to rebuild the inverted lists. */
interface SparseRow {
  idx: Int32Array;
  val: Float32Array;
}

/** Below this share of non-zero values the patches are kept as inverted lists. */
const SPARSE_DENSITY = 0.25;
/** Rows appended after the last rebuild of the lists, scanned column-major until the next one. */
const TAIL_ROWS = 256;

/**
 * The user-patch matrix resident in the kernel's shared memory, in the layout that makes a
 * query's scan cheapest (issue 7):
 * - sparse space (the built-in local embedder: ~66 of 1024 dims set per vector): rows as inverted
 *   lists (per dim, the rows using it), so a query reads only its own dims' lists (kernel
 *   scoresInverted), ~1/15 of the column-major bytes; rows appended since the lists were built
 *   sit in a small column-major tail (≤ TAIL_ROWS) and the lists are rebuilt when it fills;
 * - dense space (remote embeddings): column-major with spare rows (MatrixRegion columnStride),
 *   which skips nothing but appends in place.
 * Either way a new patch is visible to the very next scan on any thread, without reloading DNA
 * (issue 4). Regions being read by a scan (acquire/release) are never rewritten: a rebuild or a
 * re-layout writes into the spare region, or a fresh one when the spare is busy or too small, so
 * memory stays bounded at two of each.
 */
export class PatchIndex {
  private readonly pool: KernelPool;
  readonly dims: number;
  private readonly initialCapacity: number;
  /** Column-major rows [listed, count): the whole matrix in dense mode, the tail in sparse mode. */
  private columns: Slot<ColumnBlock>;
  private spareColumns: Slot<ColumnBlock> | null = null;
  private lists: Slot<ListsBlock> | null = null;
  private spareLists: Slot<ListsBlock> | null = null;
  /** Rows held in the inverted lists (0 in dense mode). */
  private listed = 0;
  private listedEntries = 0;
  private count = 0;
  /** Every row's non-zero dims while in sparse mode (null in dense mode). Starts sparse. */
  private sparseRows: SparseRow[] | null = [];

  constructor(pool: KernelPool, dims: number, initialCapacity = 2048) {
    this.pool = pool;
    this.dims = dims;
    this.initialCapacity = Math.max(16, initialCapacity);
    // The index starts sparse (a dense layout is only ever entered through relayoutDense).
    this.columns = this.slot(this.allocateColumns(Math.min(TAIL_ROWS, this.initialCapacity)));
  }

  /** Rows currently searchable. */
  get rows(): number {
    return this.count;
  }

  /** 'sparse' when rows are kept as inverted lists (plus a column-major tail), else 'dense'. */
  get layout(): 'sparse' | 'dense' {
    return this.sparseRows ? 'sparse' : 'dense';
  }

  /**
   * The matrix to scan now (column-major, with `inverted` lists in sparse mode; `rows` = the
   * searchable rows), and a release function to call when the scan is done.
   */
  acquire(): { matrix: MatrixRegion; release: () => void } {
    const columns = this.columns;
    const lists = this.listed > 0 ? this.lists : null;
    columns.readers++;
    if (lists) lists.readers++;
    let released = false;
    const matrix: MatrixRegion = { offset: columns.region.offset, rows: this.count, dims: this.dims, columnStride: columns.region.capacity };
    if (lists) {
      const { colStart, rowIdx, values } = lists.region;
      matrix.inverted = { rows: this.listed, colStart, rowIdx, values, entries: this.listedEntries };
    }
    return {
      matrix,
      release: () => {
        if (released) return;
        released = true;
        columns.readers--;
        if (lists) lists.readers--;
      },
    };
  }

  /** Appends one vector of `dims` floats (unit length for cosine scores). Throws TypeError on a dims mismatch. */
  append(vector: Float32Array): void {
    if (vector.length !== this.dims) throw new TypeError(`patch vector has ${vector.length} dims, expected ${this.dims}`);
    if (this.sparseRows) {
      this.sparseRows.push(sparseOf(vector));
      if (this.count - this.listed >= Math.min(TAIL_ROWS, this.columns.region.capacity)) {
        this.count++;
        this.rebuildLists();
        return;
      }
    } else if (this.count === this.columns.region.capacity) {
      this.relayoutDense(this.denseRows(), this.count);
    }
    this.writeColumn(this.columns.region, this.count - this.listed, vector);
    this.count++;
  }

  /**
   * Replaces every row; `data` is rows × dims ROW-major. Picks the layout from the data: inverted
   * lists when under SPARSE_DENSITY of the values are non-zero (or there are no rows), else dense
   * column-major.
   */
  replace(data: Float32Array, rows: number): void {
    let nonZero = 0;
    const n = rows * this.dims;
    for (let i = 0; i < n; i++) if (data[i] !== 0) nonZero++;
    if (nonZero < SPARSE_DENSITY * n || rows === 0) {
      this.sparseRows = Array.from({ length: rows }, (_, r) => sparseOf(data.subarray(r * this.dims, (r + 1) * this.dims)));
      this.count = rows;
      this.rebuildLists();
    } else {
      this.sparseRows = null;
      this.listed = 0;
      this.listedEntries = 0;
      this.relayoutDense(data, rows);
    }
  }

  /**
   * Sparse mode: lists from every row, an empty column-major tail. Rows that turn out dense
   * (≥ SPARSE_DENSITY non-zero) switch the index to dense mode instead.
   */
  private rebuildLists(): void {
    const rows = this.sparseRows!;
    const dims = this.dims;
    const counts = new Int32Array(dims + 1);
    let entries = 0;
    for (const row of rows) {
      for (const j of row.idx) counts[j + 1]!++;
      entries += row.idx.length;
    }
    if (rows.length > 0 && entries >= SPARSE_DENSITY * rows.length * dims) {
      const data = new Float32Array(rows.length * dims);
      rows.forEach((row, r) => {
        row.idx.forEach((j, i) => {
          data[r * dims + j] = row.val[i]!;
        });
      });
      this.sparseRows = null;
      this.listed = 0;
      this.listedEntries = 0;
      this.relayoutDense(data, rows.length);
      return;
    }
    let lists = this.spareLists;
    if (!lists || lists.readers > 0 || lists.region.capacity < entries) lists = this.slot(this.allocateLists(Math.max(1024, entries * 2)));
    const buffer = this.pool.memory.memory.buffer;
    const colStart = new Int32Array(buffer, lists.region.colStart, dims + 1);
    colStart[0] = 0;
    for (let j = 0; j < dims; j++) colStart[j + 1] = colStart[j]! + counts[j + 1]!;
    const rowIdx = new Int32Array(buffer, lists.region.rowIdx, entries);
    const values = new Float32Array(buffer, lists.region.values, entries);
    const next = colStart.slice(0, dims);
    rows.forEach((row, r) => {
      for (let i = 0; i < row.idx.length; i++) {
        const at = next[row.idx[i]!]!++;
        rowIdx[at] = r;
        values[at] = row.val[i]!;
      }
    });
    this.spareLists = this.lists;
    this.lists = lists;
    this.listed = rows.length;
    this.listedEntries = entries;
    this.count = rows.length;
    // The tail starts empty: a busy tail (a worker still reading it) is left alone.
    if (this.columns.readers > 0) this.switchColumns(TAIL_ROWS);
  }

  /** Dense mode: every row column-major in a slot with room to append. */
  private relayoutDense(data: Float32Array, rows: number): void {
    this.switchColumns(Math.max(this.initialCapacity, rows * 2));
    const { offset, capacity } = this.columns.region;
    const m = new Float32Array(this.pool.memory.memory.buffer, offset, capacity * this.dims);
    for (let r = 0; r < rows; r++) {
      const row = r * this.dims;
      for (let j = 0, at = r; j < this.dims; j++, at += capacity) m[at] = data[row + j]!;
    }
    this.count = rows;
  }

  /**
   * Makes a column block of at least `capacity` rows active: the spare when no scan reads it and
   * it is big enough (so compactions and rebuilds reuse two blocks instead of allocating anew; the
   * shared memory is never freed), else a new one of exactly `capacity`.
   */
  private switchColumns(capacity: number): void {
    let next = this.spareColumns;
    if (!next || next.readers > 0 || next.region.capacity < capacity) next = this.slot(this.allocateColumns(capacity));
    this.spareColumns = this.columns;
    this.columns = next;
  }

  /** Dense mode: the searchable rows as a rows × dims row-major copy. */
  private denseRows(): Float32Array {
    const { offset, capacity } = this.columns.region;
    const m = new Float32Array(this.pool.memory.memory.buffer, offset, capacity * this.dims);
    const out = new Float32Array(this.count * this.dims);
    for (let r = 0; r < this.count; r++) {
      for (let j = 0, at = r; j < this.dims; j++, at += capacity) out[r * this.dims + j] = m[at]!;
    }
    return out;
  }

  private writeColumn(block: ColumnBlock, column: number, vector: Float32Array): void {
    const m = new Float32Array(this.pool.memory.memory.buffer, block.offset, block.capacity * this.dims);
    for (let j = 0, at = column; j < this.dims; j++, at += block.capacity) m[at] = vector[j]!;
  }

  private allocateColumns(capacity: number): ColumnBlock {
    const { memory, control } = this.pool.memory;
    return { offset: allocShared(memory, control, capacity * this.dims * 4), capacity };
  }

  private allocateLists(capacity: number): ListsBlock {
    const { memory, control } = this.pool.memory;
    return {
      colStart: allocShared(memory, control, (this.dims + 1) * 4),
      rowIdx: allocShared(memory, control, capacity * 4),
      values: allocShared(memory, control, capacity * 4),
      capacity,
    };
  }

  private slot<T>(region: T): Slot<T> {
    return { region, readers: 0 };
  }
}

/** The non-zero dims of `vector` and their values. */
function sparseOf(vector: Float32Array): SparseRow {
  let n = 0;
  for (let j = 0; j < vector.length; j++) if (vector[j] !== 0) n++;
  const idx = new Int32Array(n);
  const val = new Float32Array(n);
  for (let j = 0, k = 0; j < vector.length; j++) {
    if (vector[j] !== 0) {
      idx[k] = j;
      val[k++] = vector[j]!;
    }
  }
  return { idx, val };
}
