import type { KernelPool } from './kernel-pool.js';
import type { MatrixRegion } from './messages.js';

interface Slot {
  /** Allocated region; `rows` and `columnStride` are the capacity. */
  region: MatrixRegion & { columnStride: number };
  /** Scans currently reading this slot. */
  readers: number;
}

/**
 * The user-patch matrix resident in the kernel's shared memory, COLUMN-major (MatrixRegion
 * columnStride = row capacity): the kernel's scoresColumns then skips the dims a query does not
 * use, so a local-embedder query (~100 non-zero of 1024 dims) scans 1,500 patches in ~10 µs inline
 * instead of a full 1.5 M multiply-add pass in a worker (issue 7; DESIGN.md §3 kept row-major for
 * the DNA and big matrices, where every dim is read anyway).
 * Appending writes one column entry per dim after the last row, so a new patch is visible to the
 * very next scan on any thread without copying the matrix or reloading DNA (issue 4). `replace`
 * (start-up, compaction, clear, growth) lays the rows out in a second slot and switches to it; a
 * slot is only rewritten when no scan is reading it, otherwise a fresh one is allocated, so a scan
 * never sees half a matrix and memory stays bounded at two slots.
 */
export class PatchIndex {
  private readonly pool: KernelPool;
  readonly dims: number;
  private active: Slot;
  private spare: Slot | null = null;
  private count = 0;

  constructor(pool: KernelPool, dims: number, initialCapacity = 2048) {
    this.pool = pool;
    this.dims = dims;
    this.active = this.allocate(Math.max(16, initialCapacity));
  }

  /** Rows currently searchable. */
  get rows(): number {
    return this.count;
  }

  /**
   * The matrix to scan now (column-major, `rows` = the searchable rows), and a release function to
   * call when the scan is done (so `replace` knows when the slot may be rewritten).
   */
  acquire(): { matrix: MatrixRegion; release: () => void } {
    const slot = this.active;
    slot.readers++;
    let released = false;
    return {
      matrix: { offset: slot.region.offset, rows: this.count, dims: this.dims, columnStride: slot.region.columnStride },
      release: () => {
        if (!released) slot.readers--;
        released = true;
      },
    };
  }

  /** Appends one unit vector of `dims` floats; grows into a slot of twice the capacity when full. */
  append(vector: Float32Array): void {
    if (vector.length !== this.dims) throw new TypeError(`patch vector has ${vector.length} dims, expected ${this.dims}`);
    if (this.count === this.active.region.columnStride) this.replace(this.rowMajor(), this.count);
    const { offset, columnStride } = this.active.region;
    const m = new Float32Array(this.pool.memory.memory.buffer, offset, columnStride * this.dims);
    for (let j = 0, at = this.count; j < this.dims; j++, at += columnStride) m[at] = vector[j]!;
    this.count++;
  }

  /** Replaces every row; `data` is rows × dims ROW-major (transposed into the slot). */
  replace(data: Float32Array, rows: number): void {
    const capacity = Math.max(2048, rows * 2);
    let next = this.spare;
    if (!next || next.readers > 0 || next.region.columnStride < capacity) next = this.allocate(capacity);
    const { offset, columnStride } = next.region;
    const m = new Float32Array(this.pool.memory.memory.buffer, offset, columnStride * this.dims);
    for (let r = 0; r < rows; r++) {
      const row = r * this.dims;
      for (let j = 0, at = r; j < this.dims; j++, at += columnStride) m[at] = data[row + j]!;
    }
    this.spare = this.active;
    this.active = next;
    this.count = rows;
  }

  /** The searchable rows as a rows × dims row-major copy. */
  private rowMajor(): Float32Array {
    const { offset, columnStride } = this.active.region;
    const m = new Float32Array(this.pool.memory.memory.buffer, offset, columnStride * this.dims);
    const out = new Float32Array(this.count * this.dims);
    for (let r = 0; r < this.count; r++) {
      for (let j = 0, at = r; j < this.dims; j++, at += columnStride) out[r * this.dims + j] = m[at]!;
    }
    return out;
  }

  private allocate(capacity: number): Slot {
    const region = this.pool.load(new Float32Array(capacity * this.dims), capacity, this.dims);
    return { region: { ...region, columnStride: capacity }, readers: 0 };
  }
}
