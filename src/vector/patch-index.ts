import type { KernelPool } from './kernel-pool.js';
import type { MatrixRegion } from './messages.js';

interface Slot {
  /** Allocated region; `rows` is the capacity. */
  region: MatrixRegion;
  /** Scans currently reading this slot. */
  readers: number;
}

/**
 * The user-patch matrix resident in the kernel's shared memory. Appending writes one row after the
 * last, so a new patch is visible to the very next scan on any worker without copying the matrix or
 * reloading DNA (issue 4). `replace` (start-up, compaction, clear) lays the rows out in a second
 * slot and switches to it; a slot is only rewritten when no scan is reading it, otherwise a fresh
 * one is allocated, so a scan never sees half a matrix and memory stays bounded at two slots.
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
   * The matrix to scan now, and a release function to call when the scan is done (so `replace`
   * knows when the slot may be rewritten).
   */
  acquire(): { matrix: MatrixRegion; release: () => void } {
    const slot = this.active;
    slot.readers++;
    let released = false;
    return {
      matrix: { offset: slot.region.offset, rows: this.count, dims: this.dims },
      release: () => {
        if (!released) slot.readers--;
        released = true;
      },
    };
  }

  /** Appends one unit vector of `dims` floats; grows into a larger slot when full. */
  append(vector: Float32Array): void {
    if (vector.length !== this.dims) throw new TypeError(`patch vector has ${vector.length} dims, expected ${this.dims}`);
    if (this.count === this.active.region.rows) {
      const current = this.pool.memory.read({ ...this.active.region, rows: this.count });
      this.replace(current, this.count);
    }
    this.pool.memory.write(this.active.region, this.count, vector);
    this.count++;
  }

  /** Replaces every row; `data` is rows × dims row-major. */
  replace(data: Float32Array, rows: number): void {
    const capacity = Math.max(2048, rows * 2);
    let next = this.spare;
    if (!next || next.readers > 0 || next.region.rows < capacity) next = this.allocate(capacity);
    new Float32Array(this.pool.memory.memory.buffer, next.region.offset, rows * this.dims).set(data.subarray(0, rows * this.dims));
    this.spare = this.active;
    this.active = next;
    this.count = rows;
  }

  private allocate(capacity: number): Slot {
    return { region: this.pool.load(new Float32Array(capacity * this.dims), capacity, this.dims), readers: 0 };
  }
}
