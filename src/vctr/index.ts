/**
 * The VCTR vector file format (v2, reading legacy v1): one import point for the types, the
 * in-memory codec, the atomic writer and moveAside. Rule: DESIGN.md §5 VCTR v2.
 */

export type { VctrReadOptions } from './vctr-reader.js';
export { decodeVctr, readVctr } from './vctr-reader.js';
export type { VctrFile, VctrInput, VctrMetadata, VctrRowMeta } from './vctr-types.js';
export {
  floatsFromLE,
  floatsToLE,
  VCTR_DATA_ALIGN,
  VCTR_DTYPE_FLOAT32,
  VCTR_FLAG_NORMALIZED,
  VCTR_HEADER_BYTES,
  VCTR_LEGACY_LABELS,
  VCTR_MAGIC,
  VCTR_VERSION,
  vctrMetadataProblem,
} from './vctr-types.js';
export { asidePath, type DurableWriteOptions, encodeVctr, moveAside, writeFileDurable, writeVctr } from './vctr-writer.js';
