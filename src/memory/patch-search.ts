import type { Intent, Tier } from '../intents.js';
import type { KernelPool, ScanResult } from '../kernel/index.js';
import type { PatchIndex } from './patch-index.js';
import type { UserMemory } from './store.js';

/** The best user patch for a query. */
export interface PatchHit {
  /** Patch id in the memory store. */
  id: number;
  tier: Tier;
  label: Intent | null;
  /** Cosine between the query and the patch vector. */
  cosine: number;
  /** Decayed weight w0 · gamma^(ageDays / halfLifeDays) at query time. */
  weight: number;
  /** cosine × weight, compared with patchSimilarityThreshold (Smart Router doc: patch score). */
  score: number;
}

/** New rows synced by appending; more (a first load) are laid out in one replace. */
const APPEND_AT_MOST = 64;

/** Candidates taken by cosine before re-ranking by decayed weight. */
const CANDIDATES = 32;

/**
 * Patch search (DESIGN.md §2 step 4, §4): keeps the kernel's resident patch matrix in step with
 * the memory store (new rows appended in place, a full re-layout after a first load, compaction
 * or clear), scans it (PatchIndex's layout; inline unless the scan is large) for the top cosines,
 * and re-ranks them by cosine × decayed weight.
 * Patches of both tiers are always searched: a confident DNA match never hides a correction.
 */
export class PatchSearch {
  private readonly store: Pick<UserMemory, 'matrix'>;
  private readonly index: PatchIndex;
  private readonly pool: KernelPool;
  private syncedVersion = -1;
  private syncedIds: readonly number[] = [];

  constructor(store: Pick<UserMemory, 'matrix'>, index: PatchIndex, pool: KernelPool) {
    this.store = store;
    this.index = index;
    this.pool = pool;
  }

  /**
   * Best patch by cosine × decayed weight, or null when there are no patches. Exact for decisions
   * at `threshold` (patchSimilarityThreshold): the top CANDIDATES rows by cosine are re-ranked by
   * score, and when all of them could still reach the threshold (cosine ≥ threshold / maxWeight),
   * rows past them might too, so every such row is scored (many near-duplicate, older corrections
   * can then never hide a fresh one). Without a threshold only the top candidates are re-ranked.
   * Rejects only if the kernel scan fails (the router then falls through to DNA).
   */
  async best(query: Float32Array, threshold?: number): Promise<PatchHit | null> {
    const m = this.sync();
    if (m.rows === 0) return null;
    const k = Math.min(CANDIDATES, m.rows);
    let result = await this.scan(query, k, false);
    const minCosine = threshold === undefined ? Infinity : threshold / m.maxWeight;
    if (result.ids.length === k && k < m.rows && result.scores[k - 1]! >= minCosine) {
      const all = (await this.scan(query, 0, true)).all!;
      const ids: number[] = [];
      for (let row = 0; row < all.length; row++) if (all[row]! >= minCosine) ids.push(row);
      result = { ids: Int32Array.from(ids), scores: Float32Array.from(ids, (row) => all[row]!), all: null };
    }
    let best: PatchHit | null = null;
    for (let i = 0; i < result.ids.length; i++) {
      const row = result.ids[i]!;
      if (row >= m.rows) continue; // appended after this view was taken
      const cosine = result.scores[i]!;
      const weight = m.weight(row);
      const score = cosine * weight;
      if (!best || score > best.score) best = { id: m.ids[row]!, tier: m.tiers[row]!, label: m.labels[row]!, cosine, weight, score };
    }
    return best;
  }

  /** One kernel scan of the resident patch matrix (released when done). */
  private async scan(query: Float32Array, k: number, all: boolean): Promise<ScanResult> {
    const { matrix, release } = this.index.acquire();
    try {
      return await this.pool.scan(query, matrix, k, all);
    } finally {
      release();
    }
  }

  /** Brings the resident matrix up to the store's live set; returns the store's view. */
  private sync(): ReturnType<UserMemory['matrix']> {
    const m = this.store.matrix();
    if (m.version === this.syncedVersion) return m;
    const synced = this.syncedIds;
    // A few new rows are appended in place; a first load, compaction or clear is laid out anew.
    const appendOnly = synced.length > 0 && synced.length <= m.rows && m.rows - synced.length <= APPEND_AT_MOST && synced.every((id, i) => m.ids[i] === id);
    if (appendOnly) {
      for (let r = synced.length; r < m.rows; r++) this.index.append(m.data.subarray(r * m.dims, (r + 1) * m.dims));
    } else {
      this.index.replace(m.data, m.rows);
    }
    this.syncedVersion = m.version;
    this.syncedIds = m.ids;
    return m;
  }
}
