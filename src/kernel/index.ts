/** The similarity kernel room (DESIGN.md §3): WASM SIMD kernel, shared memory, inline and pooled scans. */

export { allocShared, compileKernel, type KernelFlavour, KernelMemory } from './kernel-memory.js';
export { INLINE_SCAN_WORK, KernelPool, type KernelPoolOptions, SPLIT_SCAN_FLOATS, scanWork } from './kernel-pool.js';
export type { InvertedLists, MatrixRegion, ScanResult } from './messages.js';
