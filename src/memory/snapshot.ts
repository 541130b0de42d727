import { crc32 } from 'node:zlib';
import type { EmbeddingSpace } from '../embedding/index.js';
import { sameSpace, spaceId } from '../embedding/index.js';
import { SrdError } from '../errors.js';
import { isIntent, isTier } from '../intents.js';
import { floatsToLE, readVctr, type VctrFile, type VctrMetadata, type VctrRowMeta, writeVctr } from '../vctr/index.js';
import { ioError, MEMORY_FILE_MODE } from './files.js';
import { isPatchOrigin, isTextHash, type Patch } from './patch.js';

/**
 * The user-memory snapshot: a VCTR v2 file of kind "memory" (DESIGN.md §5) whose metadata also
 * records `lastSeq`, the highest patch id folded into it. Journal records with id ≤ lastSeq are
 * already in the snapshot and are skipped at replay, which is what makes "write snapshot, then
 * start a new journal" safe at every instant. Rule: DESIGN.md §6.
 */

/** Per-row metadata of a memory snapshot (a VctrRowMeta with every field present except label when null). */
export interface MemoryRowMeta extends VctrRowMeta {
  id: number;
  tier: Patch['tier'];
  label?: string;
  timestamp: number;
  weight: number;
  textHash: string;
  origin: Patch['origin'];
  /** rowCrc() of this row (u32); absent in snapshots written before issue 15. */
  crc?: number;
}

/** Rows that survived a snapshot whose whole-file CRC failed (see readSnapshot). */
export interface SnapshotSalvage {
  /** Rows whose own `crc` held and which were kept. */
  kept: number;
  /** Rows dropped: their `crc` did not match, or they no longer made sense. */
  damaged: number;
  /** The whole-file SRD_ERR_VCTR_CRC_MISMATCH error. */
  error: SrdError;
}

/** A decoded snapshot: its patches in id order and the last folded sequence id. */
export interface Snapshot {
  patches: Patch[];
  lastSeq: number;
  /** Set when the file failed its whole-file CRC and only rows with a valid own checksum were kept. */
  salvage?: SnapshotSalvage;
}

/**
 * The per-row checksum of a memory snapshot (docs/vctr-format.md, `rows[i].crc`): CRC-32 (zlib)
 * of the row's `dims` float32 values as little-endian bytes, followed by the UTF-8 bytes of
 * `JSON.stringify([lastSeq, id, tier, label ?? null, timestamp, weight, textHash, origin])`.
 * `lastSeq` ties the row to its snapshot: a damaged lastSeq fails every row, so a snapshot is never
 * salvaged with a wrong fold point. Returns an unsigned 32-bit integer. Rule: issue 15.
 */
export function rowCrc(
  vector: Float32Array,
  row: Pick<MemoryRowMeta, 'id' | 'tier' | 'label' | 'timestamp' | 'weight' | 'textHash' | 'origin'>,
  lastSeq: number,
): number {
  const bytes = Buffer.alloc(vector.length * 4);
  floatsToLE(vector, bytes, 0);
  const ident = JSON.stringify([lastSeq, row.id, row.tier, row.label ?? null, row.timestamp, row.weight, row.textHash, row.origin]);
  return crc32(Buffer.from(ident, 'utf8'), crc32(bytes)) >>> 0;
}

const NORM_TOLERANCE = 1e-3;

function isUnit(v: Float32Array): boolean {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
  return Math.abs(Math.sqrt(s) - 1) <= NORM_TOLERANCE;
}

/**
 * Atomically writes the snapshot (writeVctr: temp + fsync + rename + directory fsync) holding
 * `patches` (id order), with metadata {kind:"memory", embedding: space, createdAt (ms), lastSeq,
 * rows:[{id,tier,label?,timestamp,weight,textHash,origin,crc}]} (crc: rowCrc). The file and its
 * temp file are mode 0600 whatever the umask. The "normalised" flag is set when every row is unit
 * length (±1e-3). Throws SRD_ERR_MEMORY_IO (TypeError for a vector of the wrong length, which the
 * store never produces).
 */
export async function writeSnapshot(path: string, space: EmbeddingSpace, patches: readonly Patch[], lastSeq: number, createdAt: number): Promise<void> {
  const dims = space.dims;
  const data = new Float32Array(patches.length * dims);
  const rows: MemoryRowMeta[] = [];
  let normalized = true;
  patches.forEach((p, i) => {
    data.set(p.vector, i * dims);
    if (normalized && !isUnit(p.vector)) normalized = false;
    const row: MemoryRowMeta = { id: p.id, tier: p.tier, timestamp: p.timestamp, weight: p.weight, textHash: p.textHash, origin: p.origin };
    if (p.label !== null) row.label = p.label;
    row.crc = rowCrc(p.vector, row, lastSeq);
    rows.push(row);
  });
  const metadata: VctrMetadata = {
    kind: 'memory',
    embedding: { provider: space.provider, model: space.model, dims },
    createdAt,
    lastSeq,
    rows,
  };
  try {
    await writeVctr(path, { dims, count: patches.length, data, normalized: normalized && patches.length > 0, metadata }, { mode: MEMORY_FILE_MODE });
  } catch (err) {
    if (err instanceof TypeError) throw err;
    throw ioError(path, 'write the memory snapshot', err);
  }
}

function bad(path: string, reason: string): never {
  throw new SrdError('SRD_ERR_VCTR_BAD_METADATA', `${path}: ${reason}`, { details: { path, reason } });
}

function rowPatch(path: string, row: VctrRowMeta, i: number, vector: Float32Array): Patch {
  const where = `metadata.rows[${i}]`;
  const { id, tier, label, timestamp, weight, textHash, origin } = row;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) bad(path, `${where}.id must be an integer ≥ 1`);
  if (!isTier(tier)) bad(path, `${where}.tier must be "flagship" or "lightweight"`);
  if (label !== undefined && !isIntent(label)) bad(path, `${where}.label ${JSON.stringify(label)} is not an intent`);
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) bad(path, `${where}.timestamp must be a finite number (ms)`);
  if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) bad(path, `${where}.weight must be a finite number > 0`);
  if (!isTextHash(textHash)) bad(path, `${where}.textHash must be 64 lowercase hex characters`);
  if (!isPatchOrigin(origin)) bad(path, `${where}.origin must be prefix, feedback or cli`);
  return { id, vector, tier, label: label ?? null, timestamp, weight, textHash, origin };
}

/**
 * Reads the snapshot. Returns null when the file does not exist. Throws:
 * - the SrdError codes of readVctr (SRD_ERR_VCTR_*) for a damaged file;
 * - SRD_ERR_VCTR_BAD_METADATA when it is not a memory snapshot (kind, lastSeq, row fields, ids
 *   not strictly increasing or above lastSeq);
 * - SRD_ERR_MEMORY_SPACE_MISMATCH when it was written for another embedding space;
 * - SRD_ERR_MEMORY_IO for other file-system errors (EACCES, …), which must not be mistaken for
 *   corruption: the caller moves aside only the first three.
 * When only the whole-file CRC-32 fails (header and metadata parse and describe a snapshot of this
 * space) and every row carries its own `crc` (rowCrc), the rows whose checksum holds are returned
 * with `salvage` set: {kept, damaged, error}; the caller sets the file aside and rewrites it. A
 * snapshot without row checksums (written before issue 15), or one with no row left intact,
 * throws the CRC error as before. Rule: DESIGN.md §5, §6; issue 15.
 */
export async function readSnapshot(path: string, space: EmbeddingSpace): Promise<Snapshot | null> {
  let file: VctrFile;
  try {
    file = await readVctr(path, { tolerateCrcMismatch: true });
  } catch (err) {
    if (err instanceof SrdError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(path, 'read the memory snapshot', err);
  }
  const crcError = file.crcError;
  let lastSeq: number;
  try {
    lastSeq = checkHead(path, file, space);
  } catch (err) {
    // Nothing in a file that failed its CRC can be trusted unchecked: report the CRC, as before.
    throw crcError ?? err;
  }
  if (crcError !== undefined) return salvageRows(path, file, lastSeq, crcError);
  const dims = file.dims;
  const patches: Patch[] = [];
  let previous = 0;
  for (let i = 0; i < file.count; i++) {
    const patch = rowPatch(path, file.metadata.rows[i] as VctrRowMeta, i, file.data.slice(i * dims, (i + 1) * dims));
    if (patch.id <= previous) bad(path, `metadata.rows[${i}].id ${patch.id} is not above the previous row's ${previous}`);
    if (patch.id > lastSeq) bad(path, `metadata.rows[${i}].id ${patch.id} is above metadata.lastSeq ${lastSeq}`);
    previous = patch.id;
    patches.push(patch);
  }
  return { patches, lastSeq };
}

/** Checks kind, embedding space and lastSeq; returns lastSeq. Throws like readSnapshot. */
function checkHead(path: string, file: VctrFile, space: EmbeddingSpace): number {
  const meta = file.metadata;
  if (meta.kind !== 'memory') bad(path, `metadata.kind is ${JSON.stringify(meta.kind)}, expected "memory"`);
  const fileSpace: EmbeddingSpace = { provider: meta.embedding.provider, model: meta.embedding.model, dims: file.dims };
  if (!sameSpace(fileSpace, space)) {
    const reason = `written for embedding space ${spaceId(fileSpace)}, the configured space is ${spaceId(space)}`;
    throw new SrdError('SRD_ERR_MEMORY_SPACE_MISMATCH', `${path}: ${reason}`, { details: { path, reason } });
  }
  const lastSeq = meta.lastSeq;
  if (typeof lastSeq !== 'number' || !Number.isSafeInteger(lastSeq) || lastSeq < 0) bad(path, 'metadata.lastSeq must be an integer ≥ 0');
  return lastSeq;
}

/**
 * The rows of a snapshot that failed its whole-file CRC whose own `crc` still holds, in id order.
 * A row that fails its checksum, or (checksum intact) fails validation or the id order, is counted
 * as damaged. Throws `crcError` when a row has no checksum or no row is left.
 */
function salvageRows(path: string, file: VctrFile, lastSeq: number, crcError: SrdError): Snapshot {
  const rows = file.metadata.rows as VctrRowMeta[];
  if (rows.length === 0 || !rows.every((r) => typeof r.crc === 'number')) throw crcError;
  const dims = file.dims;
  const patches: Patch[] = [];
  let damaged = 0;
  let previous = 0;
  for (let i = 0; i < file.count; i++) {
    const row = rows[i] as MemoryRowMeta;
    const vector = file.data.slice(i * dims, (i + 1) * dims);
    let patch: Patch;
    try {
      if (rowCrc(vector, row, lastSeq) !== row.crc) throw new Error('row checksum mismatch');
      patch = rowPatch(path, row, i, vector);
    } catch {
      damaged++;
      continue;
    }
    if (patch.id <= previous || patch.id > lastSeq) {
      damaged++;
      continue;
    }
    previous = patch.id;
    patches.push(patch);
  }
  if (patches.length === 0) throw crcError;
  return { patches, lastSeq, salvage: { kept: patches.length, damaged, error: crcError } };
}
