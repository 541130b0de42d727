/** The similarity kernel room (DESIGN.md §3): WASM SIMD kernel, shared memory, inline and pooled scans. */
export { KernelPool, INLINE_SCAN_WORK, SPLIT_SCAN_FLOATS, scanWork, type KernelPoolOptions } from './kernel-pool.js';
export { KernelMemory, compileKernel, allocShared, type KernelFlavour } from './kernel-memory.js';
export type { MatrixRegion, ScanResult, InvertedLists } from './messages.js';
