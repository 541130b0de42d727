/**
 * Time decay of patch weights. Rule: DESIGN.md §4 "weight = w0 · gamma^(ageDays / halfLifeDays)"
 * (Smart Router doc: time decay).
 */

/** Milliseconds per day: ages are converted with this exact constant (no calendar, no DST). */
export const MS_PER_DAY = 86_400_000;

/** The `timeDecay` config section (src/config/schema.ts TimeDecaySchema). */
export interface DecaySettings {
  /** Decay base in (0, 1]. */
  gamma: number;
  /** Days per factor of `gamma`, > 0. */
  halfLifeDays: number;
  /** Decayed weight under which compaction drops a patch, in [0, 1]. */
  deathThreshold: number;
  /** Newest patches kept per tier at compaction regardless of weight, integer ≥ 0. */
  minRetention: number;
}

/**
 * The multiplier gamma^(ageDays / halfLifeDays) for an age in ms; a negative age (a clock that
 * stepped backwards, or a timestamp from the future) counts as 0, so it never exceeds 1.
 * Rule: DESIGN.md §4.
 */
export function decayFactor(ageMs: number, gamma: number, halfLifeDays: number): number {
  const ageDays = Math.max(0, ageMs) / MS_PER_DAY;
  return gamma ** (ageDays / halfLifeDays);
}

/**
 * Current weight of a patch: w0 · gamma^(ageDays / halfLifeDays), ageDays = max(0, ageMs) / 86 400 000.
 * Pure; never throws (NaN in, NaN out). Rule: DESIGN.md §4.
 */
export function decayedWeight(w0: number, ageMs: number, gamma: number, halfLifeDays: number): number {
  return w0 * decayFactor(ageMs, gamma, halfLifeDays);
}

/**
 * Age in ms at which a patch of initial weight w0 falls under `deathThreshold`, or Infinity when
 * it never does (gamma = 1, threshold 0, or w0 already under it gives 0). For logs and tests.
 */
export function deathAgeMs(w0: number, settings: Pick<DecaySettings, 'gamma' | 'halfLifeDays' | 'deathThreshold'>): number {
  const { gamma, halfLifeDays, deathThreshold } = settings;
  if (w0 < deathThreshold) return 0;
  if (gamma >= 1 || deathThreshold <= 0) return Number.POSITIVE_INFINITY;
  return (Math.log(deathThreshold / w0) / Math.log(gamma)) * halfLifeDays * MS_PER_DAY;
}
