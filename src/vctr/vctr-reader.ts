import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { SrdError, type SrdErrorCode } from '../errors.js';
import {
  floatsFromLE,
  VCTR_DATA_ALIGN,
  VCTR_DTYPE_FLOAT32,
  VCTR_FLAG_NORMALIZED,
  VCTR_HEADER_BYTES,
  VCTR_LEGACY_LABELS,
  VCTR_MAGIC,
  type VctrFile,
  type VctrMetadata,
  type VctrRowMeta,
  vctrMetadataProblem,
} from './vctr-types.js';

/** Options of decodeVctr / readVctr. Rule: DESIGN.md §5 VCTR v2. */
export interface VctrReadOptions {
  /** Dimension of the configured embedder; a file with other dims is rejected (SRD_ERR_VCTR_DIMS_MISMATCH). */
  expectedDims?: number;
  /**
   * Return a v2 file whose whole-file CRC-32 fails instead of throwing, with the error in
   * `crcError`, as long as every other check passes (offsets, metadata JSON and shape, dims).
   * For readers that verify rows themselves (the user-memory snapshot's per-row `crc`). Default false.
   */
  tolerateCrcMismatch?: boolean;
}

const DTYPE_NAMES: Record<number, string> = { 2: 'float16', 3: 'int8' };

interface Layout {
  version: 1 | 2;
  dims: number;
  count: number;
  flags: number;
  crc: number;
  metadataOffset: bigint;
  dataOffset: bigint;
}

function fail(path: string, code: SrdErrorCode, reason: string, cause?: unknown): never {
  throw new SrdError(code, `${path}: ${reason}`, { cause, details: { path, reason } });
}

function printable(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function readHeader(buf: Uint8Array, path: string): Layout {
  if (buf.length < VCTR_HEADER_BYTES) {
    fail(path, 'SRD_ERR_VCTR_TRUNCATED', `truncated: header needs ${VCTR_HEADER_BYTES} bytes, file has ${buf.length}`);
  }
  const magic = buf.subarray(0, 4);
  if (printable(magic) !== VCTR_MAGIC) fail(path, 'SRD_ERR_VCTR_BAD_MAGIC', `bad magic (expected "${VCTR_MAGIC}", got "${printable(magic)}")`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = view.getUint16(4, true);
  const dims = view.getUint32(8, true);
  const count = view.getUint32(12, true);
  if (version === 1) {
    const wide = view.getUint32(4, true);
    if (wide !== 1) fail(path, 'SRD_ERR_VCTR_BAD_VERSION', `unsupported version ${wide} (legacy 32-bit version field must be 1)`);
    return { version: 1, dims, count, flags: 0, crc: 0, metadataOffset: view.getBigUint64(24, false), dataOffset: view.getBigUint64(32, false) };
  }
  if (version !== 2) fail(path, 'SRD_ERR_VCTR_BAD_VERSION', `unsupported version ${version}`);
  const dtype = view.getUint8(6);
  if (dtype !== VCTR_DTYPE_FLOAT32) fail(path, 'SRD_ERR_VCTR_BAD_DTYPE', `unsupported dtype ${dtype} (${DTYPE_NAMES[dtype] ?? 'unknown'})`);
  return {
    version: 2,
    dims,
    count,
    flags: view.getUint8(7),
    crc: view.getUint32(16, true),
    metadataOffset: view.getBigUint64(24, true),
    dataOffset: view.getBigUint64(32, true),
  };
}

function checkOffsets(layout: Layout, fileBytes: number, path: string): { dataOffset: number; dataBytes: number; metadataOffset: number } {
  const { dataOffset, metadataOffset } = layout;
  const size = BigInt(fileBytes);
  if (dataOffset < BigInt(VCTR_HEADER_BYTES))
    fail(path, 'SRD_ERR_VCTR_BAD_OFFSETS', `dataOffset ${dataOffset} overlaps the header (${VCTR_HEADER_BYTES} bytes)`);
  if (layout.version === 2 && dataOffset % BigInt(VCTR_DATA_ALIGN) !== 0n) {
    fail(path, 'SRD_ERR_VCTR_BAD_OFFSETS', `dataOffset ${dataOffset} is not a multiple of ${VCTR_DATA_ALIGN}`);
  }
  if (metadataOffset < dataOffset)
    fail(path, 'SRD_ERR_VCTR_BAD_OFFSETS', `metadataOffset ${metadataOffset} precedes dataOffset ${dataOffset} (metadata must follow the data)`);
  const dataBytes = BigInt(layout.count) * BigInt(layout.dims) * 4n;
  const dataEnd = dataOffset + dataBytes;
  if (dataEnd > size) {
    fail(path, 'SRD_ERR_VCTR_TRUNCATED', `data section (offset ${dataOffset}, ${dataBytes} bytes) runs past end of file (${fileBytes} bytes)`);
  }
  if (metadataOffset < dataEnd) {
    fail(path, 'SRD_ERR_VCTR_BAD_OFFSETS', `metadataOffset ${metadataOffset} overlaps the data section (bytes ${dataOffset}..${dataEnd})`);
  }
  if (metadataOffset > size) fail(path, 'SRD_ERR_VCTR_BAD_OFFSETS', `metadataOffset ${metadataOffset} is past end of file (${fileBytes} bytes)`);
  return { dataOffset: Number(dataOffset), dataBytes: Number(dataBytes), metadataOffset: Number(metadataOffset) };
}

function parseJson(bytes: Uint8Array, path: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    fail(path, 'SRD_ERR_VCTR_BAD_METADATA', 'metadata is not valid UTF-8', err);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(path, 'SRD_ERR_VCTR_BAD_METADATA', `metadata is not valid JSON: ${(err as Error).message}`, err);
  }
}

function legacyMetadata(raw: unknown, dims: number, count: number, path: string): VctrMetadata {
  const bad = (reason: string): never => fail(path, 'SRD_ERR_VCTR_BAD_METADATA', reason);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('legacy metadata must be a JSON object');
  const intents = (raw as { intents?: unknown }).intents;
  let rows: VctrRowMeta[];
  if (intents === undefined) {
    if (count !== VCTR_LEGACY_LABELS.length) {
      bad(`legacy metadata has no intents array and ${count} rows (the fixed order names ${VCTR_LEGACY_LABELS.length})`);
    }
    rows = VCTR_LEGACY_LABELS.map((label) => ({ label }));
  } else {
    if (!Array.isArray(intents)) return bad('legacy metadata.intents must be an array');
    if (intents.length !== count) bad(`legacy metadata.intents has ${intents.length} entries for ${count} rows`);
    rows = intents.map((intent: unknown, i): VctrRowMeta => {
      const it = (typeof intent === 'object' && intent !== null ? intent : {}) as Record<string, unknown>;
      if (typeof it.name !== 'string') bad(`legacy metadata.intents[${i}].name must be a string`);
      const row: VctrRowMeta = { label: it.name as string };
      if (it.tier !== undefined) row.tier = it.tier as VctrRowMeta['tier'];
      if (it.description !== undefined) row.description = it.description;
      if (it.keywords !== undefined) row.keywords = it.keywords;
      return row;
    });
  }
  const metadata: VctrMetadata = { kind: 'dna', embedding: { provider: 'legacy', model: 'unknown', dims }, createdAt: null, rows, legacy: true };
  const problem = vctrMetadataProblem(metadata, dims, count);
  if (problem !== undefined) bad(`legacy ${problem}`);
  return metadata;
}

/** Parses and checks the metadata section and the expected dims. Throws SRD_ERR_VCTR_BAD_METADATA | _DIMS_MISMATCH. */
function checkedMetadata(layout: Layout, metaSection: Uint8Array, path: string, options: VctrReadOptions): VctrMetadata {
  const raw = parseJson(metaSection, path);
  let metadata: VctrMetadata;
  if (layout.version === 1) {
    metadata = legacyMetadata(raw, layout.dims, layout.count, path);
  } else {
    const problem = vctrMetadataProblem(raw, layout.dims, layout.count);
    if (problem !== undefined) fail(path, 'SRD_ERR_VCTR_BAD_METADATA', problem);
    metadata = raw as VctrMetadata;
  }
  if (options.expectedDims !== undefined && options.expectedDims !== layout.dims) {
    fail(path, 'SRD_ERR_VCTR_DIMS_MISMATCH', `dims ${layout.dims} does not match the configured embedder (${options.expectedDims})`);
  }
  return metadata;
}

/**
 * Decodes a VCTR file held in memory (v2, or legacy v1 mapped to the v2 shape with
 * `metadata.legacy: true`, `normalized: false`, no CRC check). `path` only names the file in errors.
 * Checks, in order: length ≥ 40-byte header, magic, version, dtype, offsets (dataOffset past the
 * header and 64-aligned for v2, metadata after data), data section inside the file, metadata not
 * overlapping the data and inside the file, CRC-32 (v2; with `tolerateCrcMismatch` a failure is
 * returned in `crcError` once the remaining checks pass), metadata JSON and shape, expectedDims.
 * Throws SrdError SRD_ERR_VCTR_TRUNCATED | _BAD_MAGIC | _BAD_VERSION | _BAD_DTYPE | _BAD_OFFSETS |
 * _CRC_MISMATCH | _BAD_METADATA | _DIMS_MISMATCH; the message starts with `path`, and
 * `details` is `{ path, reason }`. The returned `data` never aliases `buf`.
 * Rule: DESIGN.md §5 VCTR v2.
 */
export function decodeVctr(buf: Uint8Array, path: string, options: VctrReadOptions = {}): VctrFile {
  const layout = readHeader(buf, path);
  const { dataOffset, dataBytes, metadataOffset } = checkOffsets(layout, buf.length, path);
  const dataSection = buf.subarray(dataOffset, dataOffset + dataBytes);
  const metaSection = buf.subarray(metadataOffset);
  let crcError: SrdError | undefined;
  if (layout.version === 2) {
    const computed = crc32(metaSection, crc32(dataSection));
    if (computed !== layout.crc) {
      const reason = `CRC-32 mismatch (header ${hex32(layout.crc)}, computed ${hex32(computed)})`;
      crcError = new SrdError('SRD_ERR_VCTR_CRC_MISMATCH', `${path}: ${reason}`, { details: { path, reason } });
      if (!options.tolerateCrcMismatch) throw crcError;
    }
  }
  let metadata: VctrMetadata;
  try {
    metadata = checkedMetadata(layout, metaSection, path, options);
  } catch (err) {
    // A file that failed its CRC is reported as such, whatever else is wrong with it (as without tolerateCrcMismatch).
    throw crcError ?? err;
  }
  return {
    path,
    version: layout.version,
    dims: layout.dims,
    count: layout.count,
    normalized: (layout.flags & VCTR_FLAG_NORMALIZED) !== 0,
    data: floatsFromLE(buf, dataOffset, layout.count * layout.dims),
    metadata,
    ...(crcError ? { crcError } : {}),
  };
}

/**
 * Reads and decodes the VCTR file at `path` (see decodeVctr for the checks).
 * Throws the SrdError codes of decodeVctr; file-system errors (ENOENT, EACCES, …) are rethrown
 * unchanged so callers can tell a missing file from a corrupt one. Rule: DESIGN.md §5 VCTR v2.
 */
export async function readVctr(path: string, options: VctrReadOptions = {}): Promise<VctrFile> {
  return decodeVctr(await readFile(path), path, options);
}
