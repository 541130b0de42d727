import type { Tier } from '../intents.js';
import { type DecaySettings, decayedWeight } from './decay.js';
import type { Patch } from './patch.js';
import type { MemoryExportRecord } from './store.js';

/**
 * What every user memory (MemoryStore, the cluster's PgMemory) reports of its live patches the same
 * way: counts per tier and the time span (`memory stats`), and the `memory export` records.
 */

/** Live patches per tier and their oldest / newest timestamp (ms since the epoch; null when empty). O(patches). */
export function liveSummary(patches: readonly Patch[]): { byTier: Record<Tier, number>; oldest: number | null; newest: number | null } {
  const byTier: Record<Tier, number> = { flagship: 0, lightweight: 0 };
  let oldest: number | null = null;
  let newest: number | null = null;
  for (const p of patches) {
    byTier[p.tier]++;
    if (oldest === null || p.timestamp < oldest) oldest = p.timestamp;
    if (newest === null || p.timestamp > newest) newest = p.timestamp;
  }
  return { byTier, oldest, newest };
}

/** Every patch as a `memory export` record, in the given order, weights decayed to `now` (ms). */
export function exportRecordsOf(patches: readonly Patch[], now: number, decay: Pick<DecaySettings, 'gamma' | 'halfLifeDays'>): MemoryExportRecord[] {
  return patches.map((p) => ({
    id: p.id,
    tier: p.tier,
    label: p.label,
    timestamp: p.timestamp,
    weight: p.weight,
    decayedWeight: decayedWeight(p.weight, now - p.timestamp, decay.gamma, decay.halfLifeDays),
    textHash: p.textHash,
    origin: p.origin,
  }));
}
