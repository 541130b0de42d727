export { KernelPool, INLINE_SCAN_WORK, SPLIT_SCAN_FLOATS, scanWork, type KernelPoolOptions } from './kernel-pool.js';
export { KernelMemory, compileKernel, type KernelFlavour } from './kernel-memory.js';
export type { MatrixRegion, ScanResult } from './messages.js';
export * from './vctr.js';
export { PatchIndex } from './patch-index.js';
