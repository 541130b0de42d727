import type { Intent, Tier } from '../intents.js';
import { type DecaySettings, decayedWeight } from './decay.js';
import type { Patch } from './patch.js';

/**
 * The dense view of the live patches that the similarity kernel scans (DESIGN.md §2 step 4,
 * §3: "the patch matrix"). Rows are appended in place; the matrix is rebuilt only when
 * compaction or clear() replaces the live set.
 */

/**
 * Row-major matrix of every live patch, oldest first, with per-row facts. Row i of every array
 * describes the same patch. The arrays are snapshots: a later append or compaction never
 * changes the contents a caller already holds (append writes past `rows`; a rebuild allocates
 * anew), so a caller may keep a view until `version` moves.
 */
export interface MemoryMatrix {
  /** rows × dims float32 values, row-major; `data.length === rows * dims`. */
  data: Float32Array;
  rows: number;
  dims: number;
  tiers: readonly Tier[];
  labels: readonly (Intent | null)[];
  /**
   * Decayed weight of row `row` at the store's now() when the view was taken
   * (w0 · gamma^(ageDays/halfLifeDays), Smart Router doc: time decay). Computed on demand, O(1):
   * patch search needs it only for its top candidates, not for every row on every route.
   */
  weight(row: number): number;
  /** Patch ids (the store's sequence numbers). */
  ids: readonly number[];
  /**
   * The largest initial weight w0 of the rows (0 without rows). No row's decayed weight exceeds it
   * (timeDecay.gamma ≤ 1), so a row with cosine < threshold / maxWeight can never reach a score
   * threshold.
   */
  maxWeight: number;
  /** Bumps on every change of the live set (append, compaction, clear); weights may change without it. */
  version: number;
}

const MIN_CAPACITY = 64;

/** Growable patch matrix with a per-version cached view. */
export class PatchMatrix {
  private data: Float32Array;
  private stamps: Float64Array;
  private w0: Float64Array;
  private tiers: Tier[] = [];
  private labels: (Intent | null)[] = [];
  private ids: number[] = [];
  private rows = 0;
  private cached: Omit<MemoryMatrix, 'weight'> | null = null;
  /** Bumped by every push and reset. */
  version = 0;

  constructor(readonly dims: number) {
    this.data = new Float32Array(MIN_CAPACITY * dims);
    this.stamps = new Float64Array(MIN_CAPACITY);
    this.w0 = new Float64Array(MIN_CAPACITY);
  }

  /** Replaces every row (after compaction, clear or open). O(rows × dims). */
  reset(patches: readonly Patch[]): void {
    const capacity = Math.max(MIN_CAPACITY, patches.length * 2);
    this.data = new Float32Array(capacity * this.dims);
    this.stamps = new Float64Array(capacity);
    this.w0 = new Float64Array(capacity);
    this.tiers = [];
    this.labels = [];
    this.ids = [];
    this.rows = 0;
    for (const p of patches) this.write(p);
    this.version++;
  }

  /** Appends one row in place (amortised O(dims): the buffers double when full). */
  push(p: Patch): void {
    this.write(p);
    this.version++;
  }

  /** The current view; O(1) when nothing changed, O(rows) (never O(rows × dims)) after an append. */
  view(now: number, decay: Pick<DecaySettings, 'gamma' | 'halfLifeDays'>): MemoryMatrix {
    if (this.cached === null || this.cached.version !== this.version) {
      this.cached = {
        data: this.data.subarray(0, this.rows * this.dims),
        rows: this.rows,
        dims: this.dims,
        tiers: Object.freeze(this.tiers.slice()),
        labels: Object.freeze(this.labels.slice()),
        ids: Object.freeze(this.ids.slice()),
        maxWeight: this.w0.subarray(0, this.rows).reduce((a, b) => Math.max(a, b), 0),
        version: this.version,
      };
    }
    const { w0, stamps } = this;
    const { gamma, halfLifeDays } = decay;
    return { ...this.cached, weight: (row) => decayedWeight(w0[row] as number, now - (stamps[row] as number), gamma, halfLifeDays) };
  }

  private write(p: Patch): void {
    if (this.rows * this.dims === this.data.length) this.grow();
    this.data.set(p.vector, this.rows * this.dims);
    this.stamps[this.rows] = p.timestamp;
    this.w0[this.rows] = p.weight;
    this.tiers.push(p.tier);
    this.labels.push(p.label);
    this.ids.push(p.id);
    this.rows++;
  }

  private grow(): void {
    const capacity = Math.max(MIN_CAPACITY, this.rows * 2);
    const data = new Float32Array(capacity * this.dims);
    data.set(this.data.subarray(0, this.rows * this.dims));
    const stamps = new Float64Array(capacity);
    stamps.set(this.stamps.subarray(0, this.rows));
    const w0 = new Float64Array(capacity);
    w0.set(this.w0.subarray(0, this.rows));
    this.data = data;
    this.stamps = stamps;
    this.w0 = w0;
  }
}
