import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeRecord, FRAME_HEADER_BYTES, recordBytes, scanJournal } from '../../src/memory/journal.js';
import { hashText, type Patch } from '../../src/memory/patch.js';
import { bits, plain, T0 } from './helpers.js';

const SPACE = 'local/local-hash-v1/8';

function patch(id: number, extra: Partial<Patch> = {}): Patch {
  const vector = Float32Array.from({ length: 8 }, (_, i) => Math.sin(id * 8 + i));
  return {
    id,
    vector,
    tier: (['lightweight', 'flagship'] as const)[id % 2]!,
    label: ([null, 'CODE', 'CODE'] as const)[id % 3]!,
    timestamp: T0 + id * 1000.5,
    weight: 1 / id,
    textHash: hashText(`text ${id}`),
    origin: 'feedback',
    ...extra,
  };
}

function journal(n: number): { image: Buffer; frames: Buffer[] } {
  const frames = Array.from({ length: n }, (_, i) => encodeRecord(patch(i + 1), SPACE));
  return { image: Buffer.concat(frames), frames };
}

describe('journal record layout', () => {
  it('frames a record as SRDJ magic, payload length and CRC-32 of the payload', () => {
    const frame = encodeRecord(patch(7), SPACE);
    expect(frame.subarray(0, 4).toString('latin1')).toBe('SRDJ');
    expect(frame.readUInt32LE(4)).toBe(frame.length - FRAME_HEADER_BYTES);
    expect(frame.readUInt32LE(8)).toBe(crc32(frame.subarray(FRAME_HEADER_BYTES)));
  });

  it('stores seq as u64, timestamp and weight as f64 and the vector as f32 LE at the documented offsets', () => {
    const p = patch(7, { timestamp: 2 ** 41 + 0.25 });
    const payload = encodeRecord(p, SPACE).subarray(FRAME_HEADER_BYTES);
    expect(payload.readUInt8(0)).toBe(1);
    expect(payload.readUInt8(1)).toBe(1);
    expect(payload.readUInt8(2)).toBe(0); // flagship
    expect(payload.readUInt8(3)).toBe(4); // CODE
    expect(payload.readUInt8(4)).toBe(1); // feedback
    expect(payload.readUInt16LE(6)).toBe(SPACE.length);
    expect(payload.readBigUInt64LE(8)).toBe(7n);
    expect(payload.readDoubleLE(16)).toBe(2 ** 41 + 0.25);
    expect(payload.readDoubleLE(24)).toBe(1 / 7);
    expect(payload.toString('hex', 32, 64)).toBe(p.textHash);
    expect(payload.readUInt32LE(64)).toBe(8);
    expect(payload.toString('utf8', 72, 72 + SPACE.length)).toBe(SPACE);
    expect(payload.readFloatLE(72 + 24)).toBe(p.vector[0]);
  });

  it('has the same size for every record of a space (O(1) bytes per event)', () => {
    const sizes = new Set([1, 2, 1e6, 2 ** 52].map((id) => encodeRecord(patch(id), SPACE).length));
    expect([...sizes]).toEqual([recordBytes(8, SPACE)]);
    expect(recordBytes(8, SPACE)).toBe(12 + 72 + 24 + 32);
  });
});

describe('scanJournal', () => {
  it('decodes every record bit-exact with its offset', () => {
    const { image, frames } = journal(5);
    const scan = scanJournal(image);
    expect(scan.bad).toEqual([]);
    expect(scan.records.map((r) => plain(r.patch))).toEqual([1, 2, 3, 4, 5].map((id) => plain(patch(id))));
    expect(scan.records.map((r) => r.offset)).toEqual(frames.map((_, i) => i * frames[0]!.length));
    expect(scan.records.every((r) => r.spaceId === SPACE)).toBe(true);
  });

  it('keeps -0, subnormals and extreme floats bit-exact', () => {
    const vector = Float32Array.from([-0, 1.4e-45, -3.4028234663852886e38, 1, 0, 0, 0, 0]);
    const scan = scanJournal(encodeRecord(patch(1, { vector }), SPACE));
    expect(bits(scan.records[0]!.patch.vector)).toEqual(bits(vector));
  });

  it('reports a torn final record and keeps the earlier ones', () => {
    const { image } = journal(4);
    const scan = scanJournal(image.subarray(0, image.length - 5));
    expect(scan.records.map((r) => r.patch.id)).toEqual([1, 2, 3]);
    expect(scan.bad).toHaveLength(1);
    expect(scan.bad[0]!.reason).toMatch(/torn write/);
    expect(scan.bad[0]!.offset + scan.bad[0]!.bytes).toBe(image.length - 5);
  });

  it('reports a torn header of a few bytes', () => {
    const { image } = journal(2);
    const scan = scanJournal(Buffer.concat([image, Buffer.from('SRD')]));
    expect(scan.records).toHaveLength(2);
    expect(scan.bad).toEqual([{ offset: image.length, bytes: 3, reason: '3 trailing bytes are too short for a record header (torn write)' }]);
  });

  it('skips a corrupt record in the middle and resynchronises on the next magic', () => {
    const { image, frames } = journal(3);
    const size = frames[0]!.length;
    image[size + 100] = image[size + 100]! ^ 0xff;
    const scan = scanJournal(image);
    expect(scan.records.map((r) => r.patch.id)).toEqual([1, 3]);
    expect(scan.bad).toEqual([{ offset: size, bytes: size, reason: `CRC-32 mismatch in a ${size}-byte record` }]);
  });

  it('skips a record whose length field is smashed without losing the records after it', () => {
    const { image, frames } = journal(3);
    image.writeUInt32LE(0xfffffff0, frames[0]!.length + 4);
    const scan = scanJournal(image);
    expect(scan.records.map((r) => r.patch.id)).toEqual([1, 3]);
    expect(scan.bad[0]!.reason).toBe('implausible record length 4294967280');
  });

  it('skips garbage after valid records', () => {
    const { image } = journal(2);
    const scan = scanJournal(Buffer.concat([image, Buffer.from('this is not a journal record, just noise from a bad disk')]));
    expect(scan.records.map((r) => r.patch.id)).toEqual([1, 2]);
    expect(scan.bad).toHaveLength(1);
    expect(scan.bad[0]!.reason).toMatch(/^bad magic/);
  });

  it('reports an intact frame of an unknown kind as skipped, not as damage', () => {
    const frame = encodeRecord(patch(2), SPACE);
    frame[FRAME_HEADER_BYTES + 1] = 9;
    frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 8);
    const scan = scanJournal(Buffer.concat([encodeRecord(patch(1), SPACE), frame, encodeRecord(patch(3), SPACE)]));
    expect(scan.records.map((r) => r.patch.id)).toEqual([1, 3]);
    expect(scan.bad).toEqual([]);
    expect(scan.skipped).toMatchObject([{ reason: 'unknown record kind 9', intact: true }]);
  });

  it('reads an empty journal as no records', () => {
    expect(scanJournal(Buffer.alloc(0))).toEqual({ records: [], bad: [], skipped: [] });
  });
});
