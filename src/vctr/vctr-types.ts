/**
 * Shared definitions of the VCTR vector file format: layout constants, the decoded shapes, the
 * metadata shape check used by both the reader and the writer, and float32 ⇄ byte copies.
 * Rule: DESIGN.md §5 VCTR v2.
 */

import type { SrdError } from '../errors.js';

/** Format version the writer produces. Rule: DESIGN.md §5 VCTR v2. */
export const VCTR_VERSION = 2;

/** Size in bytes of the fixed header (v1 and v2). Rule: DESIGN.md §5 VCTR v2. */
export const VCTR_HEADER_BYTES = 40;

/** Alignment in bytes of the v2 data section; the writer places it at exactly this offset. Rule: DESIGN.md §5 VCTR v2. */
export const VCTR_DATA_ALIGN = 64;

/** ASCII magic at offset 0. Rule: DESIGN.md §5 VCTR v2. */
export const VCTR_MAGIC = 'VCTR';

/** dtype byte for float32, the only element type supported. Rule: DESIGN.md §5 VCTR v2. */
export const VCTR_DTYPE_FLOAT32 = 1;

/** flags bit 0: every row is L2-normalised. Rule: DESIGN.md §5 VCTR v2. */
export const VCTR_FLAG_NORMALIZED = 0x01;

/** Row labels of a legacy v1 file without an `intents` array, in file order. Rule: DESIGN.md §5 VCTR v2. */
export const VCTR_LEGACY_LABELS = ['CHAT', 'FACT', 'TRANS', 'CODE', 'REASON', 'WRITE'] as const;

/** Per-row metadata; unknown keys are preserved. `timestamp` is in ms since the epoch. Rule: DESIGN.md §5 VCTR v2. */
export interface VctrRowMeta {
  label?: string;
  tier?: 'flagship' | 'lightweight';
  timestamp?: number;
  weight?: number;
  textHash?: string;
  [k: string]: unknown;
}

/** The metadata section: one `rows` entry per vector row; unknown top-level keys are preserved. Rule: DESIGN.md §5 VCTR v2. */
export interface VctrMetadata {
  kind: 'dna' | 'memory';
  embedding: { provider: string; model: string; dims: number };
  createdAt: number | string | null;
  rows: VctrRowMeta[];
  [k: string]: unknown;
}

/**
 * A decoded vector file. `data` holds count × dims float32 values row-major in its own buffer
 * (byteOffset 0). Legacy v1 files decode to the same shape with `metadata.legacy === true`.
 * Rule: DESIGN.md §5 VCTR v2.
 */
export interface VctrFile {
  path: string;
  version: 1 | 2;
  dims: number;
  count: number;
  normalized: boolean;
  data: Float32Array;
  metadata: VctrMetadata;
  /**
   * Set only when read with `tolerateCrcMismatch` and the whole-file CRC-32 failed (header and
   * metadata still parsed): the SRD_ERR_VCTR_CRC_MISMATCH error that would have been thrown. The
   * caller must then trust nothing it cannot verify itself (per-row checksums).
   */
  crcError?: SrdError;
}

/** What the writer encodes: `data.length` must equal count × dims and `metadata.rows.length` must equal count. Rule: DESIGN.md §5 VCTR v2. */
export interface VctrInput {
  dims: number;
  count: number;
  data: Float32Array;
  normalized: boolean;
  metadata: VctrMetadata;
}

const TIERS = new Set(['flagship', 'lightweight']);

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rowProblem(row: unknown, where: string): string | undefined {
  if (!isObject(row)) return `${where} must be an object, got ${show(row)}`;
  if (row.label !== undefined && typeof row.label !== 'string') return `${where}.label must be a string, got ${show(row.label)}`;
  if (row.tier !== undefined && !TIERS.has(row.tier as string)) {
    return `${where}.tier must be "flagship" or "lightweight", got ${show(row.tier)}`;
  }
  for (const key of ['timestamp', 'weight'] as const) {
    const v = row[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) return `${where}.${key} must be a finite number, got ${show(v)}`;
  }
  if (row.textHash !== undefined && typeof row.textHash !== 'string') return `${where}.textHash must be a string, got ${show(row.textHash)}`;
  return undefined;
}

/**
 * Checks that `meta` has the VctrMetadata shape for a file of `dims` × `count`: kind, embedding
 * (with embedding.dims === dims), createdAt, and exactly `count` well-typed rows.
 * Returns the first problem as a sentence, or undefined when the shape is valid. Never throws.
 * Rule: DESIGN.md §5 VCTR v2.
 */
export function vctrMetadataProblem(meta: unknown, dims: number, count: number): string | undefined {
  if (!isObject(meta)) return `metadata must be a JSON object, got ${show(meta)}`;
  if (meta.kind !== 'dna' && meta.kind !== 'memory') return `metadata.kind must be "dna" or "memory", got ${show(meta.kind)}`;
  const emb = meta.embedding;
  if (!isObject(emb)) return `metadata.embedding must be an object, got ${show(emb)}`;
  if (typeof emb.provider !== 'string') return `metadata.embedding.provider must be a string, got ${show(emb.provider)}`;
  if (typeof emb.model !== 'string') return `metadata.embedding.model must be a string, got ${show(emb.model)}`;
  if (emb.dims !== dims) return `metadata.embedding.dims ${show(emb.dims)} does not match the header dims ${dims}`;
  const created = meta.createdAt;
  if (created !== null && typeof created !== 'string' && !(typeof created === 'number' && Number.isFinite(created))) {
    return `metadata.createdAt must be a number, a string or null, got ${show(created)}`;
  }
  if (!Array.isArray(meta.rows)) return `metadata.rows must be an array, got ${show(meta.rows)}`;
  if (meta.rows.length !== count) return `metadata.rows has ${meta.rows.length} entries for ${count} rows`;
  for (let i = 0; i < meta.rows.length; i++) {
    const problem = rowProblem(meta.rows[i], `metadata.rows[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Copies `length` little-endian float32 values starting at byte `offset` of `src` into a new
 * Float32Array with its own buffer. Bit-exact (NaN payloads included) on little-endian hosts.
 * Rule: DESIGN.md §5 VCTR v2.
 */
export function floatsFromLE(src: Uint8Array, offset: number, length: number): Float32Array {
  const out = new Float32Array(length);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(src.subarray(offset, offset + length * 4));
  } else {
    const view = new DataView(src.buffer, src.byteOffset + offset, length * 4);
    for (let i = 0; i < length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

/**
 * Writes `values` as little-endian float32 into `dest` at byte `offset`.
 * Bit-exact (NaN payloads included) on little-endian hosts. Rule: DESIGN.md §5 VCTR v2.
 */
export function floatsToLE(values: Float32Array, dest: Uint8Array, offset: number): void {
  if (LITTLE_ENDIAN_HOST) {
    dest.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
  } else {
    const view = new DataView(dest.buffer, dest.byteOffset + offset, values.byteLength);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  }
}
