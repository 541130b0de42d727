/**
 * The user-memory journal record format: encode, decode, and a scan that survives torn and
 * corrupt bytes. Rule: DESIGN.md §6 (one record per event, each with its own checksum).
 *
 * `user_memory.journal` is a bare sequence of frames (no file header), all integers
 * little-endian, every frame a multiple of 4 bytes:
 *
 * | off | size | field                                                              |
 * |-----|------|--------------------------------------------------------------------|
 * |   0 |    4 | magic, the ASCII bytes `SRDJ`                                      |
 * |   4 |    4 | payload length L in bytes (u32)                                     |
 * |   8 |    4 | CRC-32 (zlib polynomial) of the L payload bytes (u32)               |
 * |  12 |    L | payload                                                            |
 *
 * Payload, version 1 (offsets relative to the payload start):
 *
 * | off | size | field                                                              |
 * |-----|------|--------------------------------------------------------------------|
 * |   0 |    1 | payload version = 1                                                |
 * |   1 |    1 | kind: 1 = patch (others reserved; skipped with a warning)          |
 * |   2 |    1 | tier: 0 = flagship, 1 = lightweight                                |
 * |   3 |    1 | label: 0 = none, 1..6 = CHAT, FACT, TRANS, CODE, REASON, WRITE      |
 * |   4 |    1 | origin: 0 = prefix, 1 = feedback, 2 = cli                          |
 * |   5 |    1 | reserved, 0                                                        |
 * |   6 |    2 | S, byte length of the space id (u16, 1..1024)                      |
 * |   8 |    8 | seq, the patch id (u64, 1..2^53−1)                                 |
 * |  16 |    8 | timestamp, ms since the epoch (f64)                                |
 * |  24 |    8 | weight w0 (f64, finite, > 0)                                       |
 * |  32 |   32 | sha256 of the NFKC text (raw bytes)                                |
 * |  64 |    4 | dims (u32)                                                         |
 * |  68 |    4 | reserved, 0                                                        |
 * |  72 |    S | space id, UTF-8 `provider/model/dims` (spaceId()), zero-padded to ×4 |
 * |  P  | 4·dims | vector, float32 LE, P = 72 + S rounded up to a multiple of 4     |
 *
 * One event is one frame of 12 + P + 4·dims bytes whatever the journal holds: appending is O(1)
 * bytes (DESIGN.md §4 forbids whole-file rewrites per event).
 */
import { crc32 } from 'node:zlib';
import { INTENTS, type Intent, TIERS, type Tier } from '../intents.js';
import { floatsFromLE, floatsToLE } from '../vctr/index.js';
import { PATCH_ORIGINS, type Patch, TEXT_HASH_BYTES } from './patch.js';

/** The 4 magic bytes opening every frame. */
export const JOURNAL_MAGIC = Buffer.from('SRDJ', 'latin1');
/** Frame header bytes (magic, length, CRC). */
export const FRAME_HEADER_BYTES = 12;
/** Payload version this code writes. */
export const JOURNAL_PAYLOAD_VERSION = 1;
/** Fixed part of a payload before the space id. */
const FIXED_BYTES = 72;
/** Payload kind byte of a patch record. */
const KIND_PATCH = 1;
/** Longest space id accepted, in UTF-8 bytes. */
const MAX_SPACE_ID_BYTES = 1024;
/** Largest payload a scan accepts; anything bigger is a corrupt length field. */
export const MAX_PAYLOAD_BYTES = 1 << 22;

/** A patch as the journal holds it, plus the space it was embedded in and where the frame sits. */
export interface JournalRecord {
  patch: Patch;
  /** spaceId() of the embedding space (`provider/model/dims`). */
  spaceId: string;
  /** Byte offset of the frame in the file. */
  offset: number;
  /** Frame length in bytes (header + payload). */
  bytes: number;
}

/** A byte range a scan could not use; `reason` is a sentence for the log. */
export interface BadRegion {
  offset: number;
  bytes: number;
  reason: string;
}

/** A frame whose checksum held but whose payload this version cannot use (unknown kind, bad enum). */
export interface SkippedFrame extends BadRegion {
  /** The frame is intact: it may be copied aside verbatim. */
  intact: true;
}

/** Result of scanJournal: good records in file order, and what was skipped. */
export interface JournalScan {
  records: JournalRecord[];
  bad: BadRegion[];
  skipped: SkippedFrame[];
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Frame size in bytes of one record for `dims` and this space id: constant per store. */
export function recordBytes(dims: number, spaceId: string): number {
  return FRAME_HEADER_BYTES + FIXED_BYTES + pad4(Buffer.byteLength(spaceId, 'utf8')) + 4 * dims;
}

/**
 * Encodes one patch as a complete frame. Throws TypeError for values the layout cannot hold
 * (id not a safe integer ≥ 1, hash not 64 hex chars, space id empty or > 1024 bytes).
 */
export function encodeRecord(patch: Patch, spaceId: string): Buffer {
  const space = Buffer.from(spaceId, 'utf8');
  if (space.length < 1 || space.length > MAX_SPACE_ID_BYTES) throw new TypeError(`space id must be 1..${MAX_SPACE_ID_BYTES} UTF-8 bytes`);
  if (!Number.isSafeInteger(patch.id) || patch.id < 1) throw new TypeError(`patch id must be a safe integer ≥ 1 (got ${patch.id})`);
  const hash = Buffer.from(patch.textHash, 'hex');
  if (hash.length !== TEXT_HASH_BYTES) throw new TypeError('patch textHash must be 64 hex characters');
  const vectorAt = FIXED_BYTES + pad4(space.length);
  const payloadBytes = vectorAt + 4 * patch.vector.length;
  const frame = Buffer.alloc(FRAME_HEADER_BYTES + payloadBytes);
  const p = frame.subarray(FRAME_HEADER_BYTES);
  p.writeUInt8(JOURNAL_PAYLOAD_VERSION, 0);
  p.writeUInt8(KIND_PATCH, 1);
  p.writeUInt8(TIERS.indexOf(patch.tier), 2);
  p.writeUInt8(patch.label === null ? 0 : INTENTS.indexOf(patch.label) + 1, 3);
  p.writeUInt8(PATCH_ORIGINS.indexOf(patch.origin), 4);
  p.writeUInt16LE(space.length, 6);
  p.writeBigUInt64LE(BigInt(patch.id), 8);
  p.writeDoubleLE(patch.timestamp, 16);
  p.writeDoubleLE(patch.weight, 24);
  hash.copy(p, 32);
  p.writeUInt32LE(patch.vector.length, 64);
  space.copy(p, FIXED_BYTES);
  floatsToLE(patch.vector, p, vectorAt);
  JOURNAL_MAGIC.copy(frame, 0);
  frame.writeUInt32LE(payloadBytes, 4);
  frame.writeUInt32LE(crc32(p), 8);
  return frame;
}

/** Decodes a payload whose CRC already matched; returns a reason string when it is unusable. */
function decodePayload(p: Buffer): { patch: Patch; spaceId: string } | string {
  if (p.length < FIXED_BYTES) return `payload of ${p.length} bytes is shorter than the fixed ${FIXED_BYTES}`;
  const version = p.readUInt8(0);
  if (version !== JOURNAL_PAYLOAD_VERSION) return `unknown payload version ${version}`;
  const kind = p.readUInt8(1);
  if (kind !== KIND_PATCH) return `unknown record kind ${kind}`;
  const tier = TIERS[p.readUInt8(2)];
  const labelCode = p.readUInt8(3);
  const origin = PATCH_ORIGINS[p.readUInt8(4)];
  if (tier === undefined) return `bad tier code ${p.readUInt8(2)}`;
  if (labelCode > INTENTS.length) return `bad label code ${labelCode}`;
  if (origin === undefined) return `bad origin code ${p.readUInt8(4)}`;
  const spaceBytes = p.readUInt16LE(6);
  const seq = p.readBigUInt64LE(8);
  const timestamp = p.readDoubleLE(16);
  const weight = p.readDoubleLE(24);
  const dims = p.readUInt32LE(64);
  if (seq < 1n || seq > BigInt(Number.MAX_SAFE_INTEGER)) return `seq ${seq} out of range`;
  if (!Number.isFinite(timestamp)) return `timestamp ${timestamp} is not finite`;
  if (!Number.isFinite(weight) || weight <= 0) return `weight ${weight} is not a finite number > 0`;
  if (spaceBytes < 1 || spaceBytes > MAX_SPACE_ID_BYTES) return `space id length ${spaceBytes} out of range`;
  const vectorAt = FIXED_BYTES + pad4(spaceBytes);
  if (dims < 1 || vectorAt + 4 * dims !== p.length) return `dims ${dims} does not match the payload length ${p.length}`;
  const label: Intent | null = labelCode === 0 ? null : (INTENTS[labelCode - 1] as Intent);
  const patch: Patch = {
    id: Number(seq),
    vector: floatsFromLE(p, vectorAt, dims),
    tier: tier as Tier,
    label,
    timestamp,
    weight,
    textHash: p.toString('hex', 32, 32 + TEXT_HASH_BYTES),
    origin,
  };
  return { patch, spaceId: p.toString('utf8', FIXED_BYTES, FIXED_BYTES + spaceBytes) };
}

/** Checks the frame at `offset`: its header, length and CRC. Returns the payload length, or a reason. */
function frameAt(buf: Buffer, offset: number): number | string {
  const left = buf.length - offset;
  if (left < FRAME_HEADER_BYTES) return `${left} trailing bytes are too short for a record header (torn write)`;
  if (buf.compare(JOURNAL_MAGIC, 0, 4, offset, offset + 4) !== 0) return `bad magic 0x${buf.toString('hex', offset, offset + 4)}`;
  const length = buf.readUInt32LE(offset + 4);
  if (length < FIXED_BYTES || length > MAX_PAYLOAD_BYTES || length % 4 !== 0) return `implausible record length ${length}`;
  if (length > left - FRAME_HEADER_BYTES) return `record of ${FRAME_HEADER_BYTES + length} bytes runs past the end of the file (${left} left; torn write)`;
  const crc = crc32(buf.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length));
  if (crc !== buf.readUInt32LE(offset + 8)) return `CRC-32 mismatch in a ${FRAME_HEADER_BYTES + length}-byte record`;
  return length;
}

/** Next offset after `from` where an intact frame starts, or buf.length when there is none. */
function resync(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(JOURNAL_MAGIC, from); at !== -1; at = buf.indexOf(JOURNAL_MAGIC, at + 1)) {
    if (typeof frameAt(buf, at) === 'number') return at;
  }
  return buf.length;
}

/**
 * Reads every intact record of a journal image. Never throws on bad input: a frame that fails
 * its header, length or CRC check starts a bad region, which ends at the next intact frame
 * (found by searching for the magic) or at the end of the file, so one damaged record never
 * hides the good ones after it. A frame that is intact but undecodable (unknown kind, bad enum)
 * is reported in `skipped`. Rule: DESIGN.md §6 (a torn or corrupt tail record is skipped).
 */
export function scanJournal(image: Uint8Array): JournalScan {
  const buf = Buffer.isBuffer(image) ? image : Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const out: JournalScan = { records: [], bad: [], skipped: [] };
  let offset = 0;
  while (offset < buf.length) {
    const length = frameAt(buf, offset);
    if (typeof length === 'string') {
      const next = resync(buf, offset + 1);
      out.bad.push({ offset, bytes: next - offset, reason: length });
      offset = next;
      continue;
    }
    const bytes = FRAME_HEADER_BYTES + length;
    const decoded = decodePayload(buf.subarray(offset + FRAME_HEADER_BYTES, offset + bytes));
    if (typeof decoded === 'string') out.skipped.push({ offset, bytes, reason: decoded, intact: true });
    else out.records.push({ ...decoded, offset, bytes });
    offset += bytes;
  }
  return out;
}
