export { KernelPool, INLINE_SCAN_FLOATS, SPLIT_SCAN_FLOATS, type KernelPoolOptions } from './kernel-pool.js';
export { KernelMemory, compileKernel, type KernelFlavour } from './kernel-memory.js';
export type { MatrixRegion, ScanResult } from './messages.js';
export * from './vctr.js';
export { PatchIndex } from './patch-index.js';
