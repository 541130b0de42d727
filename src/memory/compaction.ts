import type { Tier } from '../intents.js';
import { type DecaySettings, decayedWeight, decayFactor } from './decay.js';
import { freezePatch, type Patch } from './patch.js';

/**
 * Compaction planning: which patches survive, merged how. Pure computation (no I/O); the store
 * writes the result. Rule: DESIGN.md §4 (death threshold, minRetention per tier) and §6.
 *
 * The rules, in order:
 *
 * 0. The latest correction of a text wins: a patch whose text (textHash) was corrected again later,
 *    to either tier, is dropped (counted in `dropped`), so a text taught both ways routes the way
 *    it was taught last (issue 16).
 * 1. Merge near-duplicates. Patches are visited in id order. A patch appended since the last
 *    snapshot joins the same-tier cluster whose current vector is most similar to it if that
 *    cosine is ≥ mergeThreshold (config vectorStore.mergeThreshold, 0.95: far above the decision
 *    threshold, so a member's own text still finds the merged vector), else it starts a cluster. Rows of the snapshot start one
 *    cluster each without being compared with one another: they were merged when it was written,
 *    so a compaction costs O(new × live × dims), not O(live² × dims). Different tiers never merge.
 *    A cluster of two or more becomes one patch:
 *    - vector: the mean of the members' vectors weighted by their weights decayed to the newest
 *      member's timestamp, renormalised to unit length;
 *    - timestamp, id, textHash, origin: the newest member's (latest timestamp, then highest id);
 *      label: the newest member's non-null label, else null;
 *    - weight w0 = min(cap, Σ wᵢ · gamma^((t_newest − tᵢ) / halfLife)), cap = the largest member w0.
 *      The sum does not depend on when compaction runs, and the merged patch's decayed weight at
 *      any later time equals the sum of its members' decayed weights, capped at what one fresh
 *      event of the strongest member's weight made at t_newest would weigh: repeating a
 *      correction refreshes it but never makes a patch outscore a new single correction.
 * 2. Drop the dead: a patch whose decayed weight at `now` is under deathThreshold is dropped,
 *    except the minRetention newest patches of each tier (by timestamp, then id), which are kept
 *    whatever their weight.
 * 3. Bound the size: if more than `target` patches remain, the ones with the lowest decayed
 *    weight (older first on ties) are evicted until `target` remain, never touching the
 *    minRetention newest per tier. Merging and decay alone cannot bound memory when a user keeps
 *    making distinct, recent corrections; this is what keeps it under compactionThreshold.
 */

/** Inputs of planCompaction besides the patches. */
export interface CompactionSettings {
  decay: DecaySettings;
  /** Cosine at or above which two same-tier patches merge (config vectorStore.mergeThreshold). */
  mergeThreshold: number;
  /** Most patches a compaction may leave (the store uses floor(0.75 × compactionThreshold)). */
  target: number;
  /** Patches with id ≤ foldedSeq came from the last snapshot and are not compared with each other. */
  foldedSeq: number;
  /** The clock, ms. */
  now: number;
}

/** The planned live set (id order) and what happened to the rest. */
export interface CompactionPlan {
  patches: Patch[];
  /** Dead patches removed (rule 2). */
  dropped: number;
  /** Patches folded into another (members − clusters, rule 1). */
  merged: number;
  /** Patches removed to respect `target` (rule 3). */
  evicted: number;
}

interface Cluster {
  first: Patch;
  count: number;
  newest: Patch;
  labelled: Patch | null;
  /** Σ wᵢ·fᵢ·vᵢ relative to newest.timestamp; allocated when a second member joins. */
  acc: Float64Array | null;
  sum: number;
  cap: number;
  rep: Float32Array;
  repNorm: number;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
  return Math.sqrt(s);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length - (a.length % 4);
  let i = 0;
  for (; i < n; i += 4) {
    s0 += (a[i] as number) * (b[i] as number);
    s1 += (a[i + 1] as number) * (b[i + 1] as number);
    s2 += (a[i + 2] as number) * (b[i + 2] as number);
    s3 += (a[i + 3] as number) * (b[i + 3] as number);
  }
  for (; i < a.length; i++) s0 += (a[i] as number) * (b[i] as number);
  return s0 + s1 + s2 + s3;
}

function isNewer(a: Patch, b: Patch): boolean {
  return a.timestamp > b.timestamp || (a.timestamp === b.timestamp && a.id > b.id);
}

function startCluster(p: Patch): Cluster {
  return {
    first: p,
    count: 1,
    newest: p,
    labelled: p.label === null ? null : p,
    acc: null,
    sum: p.weight,
    cap: p.weight,
    rep: p.vector,
    repNorm: norm(p.vector),
  };
}

function join(c: Cluster, p: Patch, decay: DecaySettings): void {
  const { gamma, halfLifeDays } = decay;
  if (c.acc === null) {
    c.acc = new Float64Array(c.first.vector.length);
    for (let i = 0; i < c.acc.length; i++) c.acc[i] = c.first.weight * (c.first.vector[i] as number);
  }
  const acc = c.acc;
  let w = p.weight;
  if (isNewer(p, c.newest)) {
    const f = decayFactor(p.timestamp - c.newest.timestamp, gamma, halfLifeDays);
    for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) * f;
    c.sum *= f;
    c.newest = p;
  } else {
    w *= decayFactor(c.newest.timestamp - p.timestamp, gamma, halfLifeDays);
  }
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + w * (p.vector[i] as number);
  c.sum += w;
  c.cap = Math.max(c.cap, p.weight);
  c.count++;
  if (p.label !== null && (c.labelled === null || isNewer(p, c.labelled))) c.labelled = p;
  const n = norm(acc);
  // Opposite members can cancel out (only with a threshold ≤ 0): fall back to the newest vector.
  c.rep = n > 0 ? Float32Array.from(acc, (x) => x / n) : c.newest.vector;
  c.repNorm = norm(c.rep);
}

function clusterPatch(c: Cluster): Patch {
  if (c.count === 1) return c.first;
  const { newest } = c;
  return freezePatch({
    id: newest.id,
    vector: c.rep,
    tier: newest.tier,
    label: c.labelled?.label ?? null,
    timestamp: newest.timestamp,
    weight: Math.min(c.cap, c.sum),
    textHash: newest.textHash,
    origin: newest.origin,
  });
}

/** Lets the event loop breathe during a long merge: routes keep flowing while compaction runs. */
const SLICE_MS = 5;

/**
 * Plans a compaction of `input` (the live patches, id order) under the rules above. Async only
 * to yield to the event loop every ~5 ms; `cancelled()` is polled at those points and, when it
 * returns true, the plan is abandoned and null returned. Never throws for valid patches.
 */
export async function planCompaction(
  all: readonly Patch[],
  settings: CompactionSettings,
  cancelled: () => boolean = () => false,
): Promise<CompactionPlan | null> {
  const { decay, mergeThreshold, foldedSeq, now } = settings;
  // Rule 0: only the newest patch of each text survives.
  const newestOf = new Map<string, Patch>();
  for (const p of all) {
    const seen = newestOf.get(p.textHash);
    if (!seen || isNewer(p, seen)) newestOf.set(p.textHash, p);
  }
  const input = all.filter((p) => newestOf.get(p.textHash) === p);
  const superseded = all.length - input.length;
  const clusters: Record<Tier, Cluster[]> = { flagship: [], lightweight: [] };
  let sliceStart = performance.now();
  for (let k = 0; k < input.length; k++) {
    const p = input[k] as Patch;
    const own = clusters[p.tier];
    let best: Cluster | null = null;
    if (p.id > foldedSeq) {
      const pn = norm(p.vector);
      let bestCos = mergeThreshold;
      for (const c of own) {
        const denom = pn * c.repNorm;
        if (denom === 0) continue;
        const cos = dot(p.vector, c.rep) / denom;
        if (cos >= bestCos) {
          bestCos = cos;
          best = c;
        }
      }
    }
    if (best === null) own.push(startCluster(p));
    else join(best, p, decay);
    // A new patch costs O(clusters × dims) (~1 ms at 1,000 × 1,024), so check the clock after each.
    if ((best !== null || p.id > foldedSeq || (k & 255) === 255) && performance.now() - sliceStart > SLICE_MS) {
      await new Promise<void>((r) => setImmediate(r));
      if (cancelled()) return null;
      sliceStart = performance.now();
    }
  }

  const out: Patch[] = [];
  let dropped = superseded;
  let evictable: { p: Patch; w: number }[] = [];
  for (const tier of ['flagship', 'lightweight'] as const) {
    const byNewest = clusters[tier].map(clusterPatch).sort((a, b) => (isNewer(a, b) ? -1 : isNewer(b, a) ? 1 : 0));
    byNewest.forEach((p, i) => {
      if (i < decay.minRetention) {
        out.push(p);
        return;
      }
      const w = decayedWeight(p.weight, now - p.timestamp, decay.gamma, decay.halfLifeDays);
      if (w < decay.deathThreshold) dropped++;
      else evictable.push({ p, w });
    });
  }
  let evicted = 0;
  const room = Math.max(0, settings.target - out.length);
  if (evictable.length > room) {
    evictable.sort((a, b) => a.w - b.w || a.p.timestamp - b.p.timestamp || a.p.id - b.p.id);
    evicted = evictable.length - room;
    evictable = evictable.slice(evicted);
  }
  for (const e of evictable) out.push(e.p);
  out.sort((a, b) => a.id - b.id);
  const clusterCount = clusters.flagship.length + clusters.lightweight.length;
  return { patches: out, dropped, merged: input.length - clusterCount, evicted };
}
