/**
 * The user-memory room (DESIGN.md §6): every stage of a learned correction (patch), from the
 * journal and snapshot on disk through decay and compaction to the index the kernel scans and the
 * exact search at the decision threshold.
 */

export { type CompactionPlan, type CompactionSettings, planCompaction } from './compaction.js';
export { type DecaySettings, deathAgeMs, decayedWeight, decayFactor, MS_PER_DAY } from './decay.js';
export { type MemoryFiles, memoryFiles } from './files.js';
export { type MemoryMatrix, PatchMatrix } from './matrix.js';
export {
  checkNewPatch,
  EMPTY_PATCH_TEXT_MESSAGE,
  freezePatch,
  hashText,
  isLearnableText,
  isPatchOrigin,
  type NewPatch,
  PATCH_ORIGINS,
  type Patch,
  type PatchOrigin,
} from './patch.js';
export { PatchIndex } from './patch-index.js';
export { type PatchHit, PatchSearch } from './patch-search.js';
export type { CompactionReport, MemoryExportRecord, MemoryOptions, MemoryStats, UserMemory } from './store.js';
export { BACKPRESSURE_RATIO, COMPACTION_TARGET_RATIO, MemoryStore } from './store.js';
export { exportRecordsOf, liveSummary } from './summary.js';
