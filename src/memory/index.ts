/**
 * The user-memory room (DESIGN.md §6): every stage of a learned correction (patch), from the
 * journal and snapshot on disk through decay and compaction to the index the kernel scans and the
 * exact search at the decision threshold.
 */
export { MemoryStore, COMPACTION_TARGET_RATIO, BACKPRESSURE_RATIO } from './store.js';
export type { MemoryOptions, CompactionReport, MemoryStats, MemoryExportRecord } from './store.js';
export type { MemoryMatrix } from './matrix.js';
export { decayedWeight, decayFactor, deathAgeMs, MS_PER_DAY, type DecaySettings } from './decay.js';
export { hashText, PATCH_ORIGINS, isPatchOrigin, type Patch, type NewPatch, type PatchOrigin } from './patch.js';
export { memoryFiles, type MemoryFiles } from './files.js';
export { PatchIndex } from './patch-index.js';
export { PatchSearch, type PatchHit } from './patch-search.js';
