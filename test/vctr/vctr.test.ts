import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SrdError, type SrdErrorCode } from '../../src/errors.js';
import {
  decodeVctr,
  encodeVctr,
  moveAside,
  readVctr,
  VCTR_DATA_ALIGN,
  VCTR_HEADER_BYTES,
  VCTR_VERSION,
  type VctrInput,
  type VctrMetadata,
  writeVctr,
} from '../../src/vctr/index.js';

const FILE = '/x/dna.vctr';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srd-vctr-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function metadata(dims: number, count: number, extra: Partial<VctrMetadata> = {}): VctrMetadata {
  const rows = Array.from({ length: count }, (_, i) => ({
    label: i % 2 === 0 ? 'CODE' : 'CHAT',
    tier: i % 2 === 0 ? ('flagship' as const) : ('lightweight' as const),
    timestamp: 1_700_000_000_000 + i,
    weight: 1 / (i + 1),
    textHash: `h${i}`,
  }));
  return { kind: 'dna', embedding: { provider: 'ollama', model: 'bge-m3', dims }, createdAt: 1_700_000_000_000, rows, ...extra };
}

function sampleData(count: number, dims: number): Float32Array {
  const data = new Float32Array(count * dims);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i + 1) * 1e3;
  const special = [-0, Number.NaN, Number.POSITIVE_INFINITY, 1.4e-45, -3.4028234663852886e38];
  special.slice(0, data.length).forEach((v, i) => {
    data[i] = v;
  });
  return data;
}

function input(count: number, dims: number, normalized = false): VctrInput {
  return { dims, count, data: sampleData(count, dims), normalized, metadata: metadata(dims, count) };
}

function bits(data: Float32Array): number[] {
  return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
}

function withMetadata(encoded: Buffer, json: string): Buffer {
  const metadataOffset = Number(encoded.readBigUInt64LE(24));
  const out = Buffer.concat([encoded.subarray(0, metadataOffset), Buffer.from(json, 'utf8')]);
  out.writeUInt32LE(crc32(out.subarray(metadataOffset), crc32(out.subarray(64, metadataOffset))), 16);
  return out;
}

function legacyFile(dims: number, data: Float32Array, meta: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const header = Buffer.alloc(40);
  header.write('VCTR', 0, 'latin1');
  header.writeUInt32LE(1, 4);
  header.writeUInt32LE(dims, 8);
  header.writeUInt32LE(data.length / dims, 12);
  header.writeBigUInt64BE(BigInt(40 + data.length * 4), 24);
  header.writeBigUInt64BE(40n, 32);
  const body = Buffer.alloc(data.length * 4);
  data.forEach((v, i) => {
    body.writeFloatLE(v, i * 4);
  });
  return Buffer.concat([header, body, json]);
}

function caught(fn: () => unknown): SrdError {
  try {
    fn();
  } catch (err) {
    return err as SrdError;
  }
  throw new Error('expected a rejection');
}

function expectRejected(buf: Uint8Array, code: SrdErrorCode, message: RegExp, expectedDims?: number): SrdError {
  const decode = () => decodeVctr(buf, FILE, expectedDims === undefined ? {} : { expectedDims });
  expect(decode).toThrow(message);
  const err = caught(decode);
  expect(err).toBeInstanceOf(SrdError);
  expect(err.code).toBe(code);
  expect(err.message.startsWith(`${FILE}: `)).toBe(true);
  expect(err.details).toEqual({ path: FILE, reason: err.message.slice(FILE.length + 2) });
  return err;
}

describe('VCTR v2 encode/decode', () => {
  it('round-trips values bit-exactly with metadata and the normalized flag', () => {
    const src = input(5, 16, true);
    const file = decodeVctr(encodeVctr(src), FILE);
    expect(file).toMatchObject({ path: FILE, version: 2, dims: 16, count: 5, normalized: true });
    expect(bits(file.data)).toEqual(bits(src.data));
    expect(file.metadata).toEqual(src.metadata);
  });

  it('writes the version-2 header with a data section at offset 64 and metadata right after it', () => {
    const buf = encodeVctr(input(3, 7));
    expect(buf.subarray(0, 4).toString('latin1')).toBe('VCTR');
    expect(buf.readUInt16LE(4)).toBe(VCTR_VERSION);
    expect(buf.readUInt8(6)).toBe(1);
    expect(buf.readUInt8(7)).toBe(0);
    const dataOffset = Number(buf.readBigUInt64LE(32));
    expect(dataOffset % VCTR_DATA_ALIGN).toBe(0);
    expect(dataOffset).toBe(64);
    expect(Number(buf.readBigUInt64LE(24))).toBe(dataOffset + 3 * 7 * 4);
    expect(buf.subarray(VCTR_HEADER_BYTES, dataOffset).every((b) => b === 0)).toBe(true);
  });

  it('keeps the normalized flag false when the rows are not normalised', () => {
    expect(decodeVctr(encodeVctr(input(2, 4, false)), FILE).normalized).toBe(false);
  });

  it('round-trips a file with zero rows', () => {
    const file = decodeVctr(encodeVctr(input(0, 8)), FILE);
    expect(file.count).toBe(0);
    expect(file.data.length).toBe(0);
    expect(file.metadata.rows).toEqual([]);
  });

  it('round-trips a single row whose dims is not a multiple of 4', () => {
    const src = input(1, 7);
    const file = decodeVctr(encodeVctr(src), FILE);
    expect(file.dims).toBe(7);
    expect(bits(file.data)).toEqual(bits(src.data));
  });

  it('returns data in its own 4-byte-aligned buffer even when the input buffer is unaligned', () => {
    const encoded = encodeVctr(input(2, 7));
    const shifted = new Uint8Array(encoded.length + 1).subarray(1);
    shifted.set(encoded);
    const file = decodeVctr(shifted, FILE);
    expect(file.data.byteOffset).toBe(0);
    expect(file.data.buffer).not.toBe(shifted.buffer);
    expect(file.data.buffer.byteLength).toBe(2 * 7 * 4);
  });

  it('preserves extra metadata keys and extra row fields', () => {
    const src = input(1, 4);
    src.metadata = { ...src.metadata, source: 'seed', rows: [{ label: 'CODE', lang: 'de' }] };
    expect(decodeVctr(encodeVctr(src), FILE).metadata).toEqual(src.metadata);
  });

  it('rejects input whose data length is not count × dims with a TypeError', () => {
    const src = input(2, 4);
    expect(() => encodeVctr({ ...src, data: new Float32Array(7) })).toThrow(TypeError);
    expect(() => encodeVctr({ ...src, data: new Float32Array(7) })).toThrow(/data has 7 values, expected count × dims = 2 × 4 = 8/);
  });

  it('rejects input whose metadata rows do not match count with a TypeError', () => {
    const src = input(2, 4);
    expect(() => encodeVctr({ ...src, metadata: metadata(4, 3) })).toThrow(TypeError);
    expect(() => encodeVctr({ ...src, metadata: metadata(4, 3) })).toThrow(/metadata\.rows has 3 entries for 2 rows/);
  });
});

describe('writeVctr / readVctr', () => {
  it('writes atomically into new parent directories and leaves no temp file behind', async () => {
    const target = path.join(dir, 'nested', 'deeper', 'dna.vctr');
    const src = input(4, 7, true);
    await writeVctr(target, src);
    expect(fs.readdirSync(path.dirname(target))).toEqual(['dna.vctr']);
    const file = await readVctr(target, { expectedDims: 7 });
    expect(file.path).toBe(target);
    expect(bits(file.data)).toEqual(bits(src.data));
    expect(file.metadata).toEqual(src.metadata);
  });

  it('replaces an existing file with the new contents', async () => {
    const target = path.join(dir, 'memory.vctr');
    await writeVctr(target, input(2, 4));
    const next = { ...input(3, 5), metadata: metadata(5, 3, { kind: 'memory' }) };
    await writeVctr(target, next);
    expect(fs.readdirSync(dir)).toEqual(['memory.vctr']);
    const file = await readVctr(target);
    expect(file).toMatchObject({ dims: 5, count: 3 });
    expect(file.metadata.kind).toBe('memory');
  });

  it('does not touch the disk when the input is invalid', async () => {
    const target = path.join(dir, 'sub', 'dna.vctr');
    await expect(writeVctr(target, { ...input(2, 4), count: 3 })).rejects.toThrow(TypeError);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('names the real file path when a file on disk is corrupt', async () => {
    const target = path.join(dir, 'dna.vctr');
    fs.writeFileSync(target, Buffer.from('ABCDxxxx'));
    await expect(readVctr(target)).rejects.toThrow(`${target}: truncated: header needs 40 bytes, file has 8`);
    await expect(readVctr(target)).rejects.toMatchObject({ code: 'SRD_ERR_VCTR_TRUNCATED' });
  });

  it('rethrows ENOENT unchanged for a missing file', async () => {
    await expect(readVctr(path.join(dir, 'absent.vctr'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('legacy VCTR v1 files', () => {
  const intents = ['CHAT', 'FACT', 'TRANS', 'CODE', 'REASON', 'WRITE'].map((name, i) => ({
    name,
    tier: i < 2 ? 'lightweight' : 'flagship',
    description: `${name} intent`,
    keywords: [name.toLowerCase()],
  }));

  it('reads a hand-built v1 file with big-endian offsets, labels in order and exact data', () => {
    const data = sampleData(6, 5);
    const file = decodeVctr(legacyFile(5, data, { intents }), FILE, { expectedDims: 5 });
    expect(file).toMatchObject({ version: 1, dims: 5, count: 6, normalized: false });
    expect(bits(file.data)).toEqual(bits(data));
    expect(file.metadata).toEqual({
      kind: 'dna',
      embedding: { provider: 'legacy', model: 'unknown', dims: 5 },
      createdAt: null,
      rows: intents.map((it) => ({ label: it.name, tier: it.tier, description: it.description, keywords: it.keywords })),
      legacy: true,
    });
  });

  it('derives labels from the fixed intent order when the intents array is missing', () => {
    const file = decodeVctr(legacyFile(3, sampleData(6, 3), {}), FILE);
    expect(file.metadata.rows.map((r) => r.label)).toEqual(['CHAT', 'FACT', 'TRANS', 'CODE', 'REASON', 'WRITE']);
  });

  it('rejects a v1 file whose intents count differs from the row count', () => {
    expectRejected(legacyFile(3, sampleData(6, 3), { intents: intents.slice(0, 4) }), 'SRD_ERR_VCTR_BAD_METADATA', /intents has 4 entries for 6 rows/);
  });
});

describe('corrupt VCTR files', () => {
  const good = () => encodeVctr(input(4, 16));

  it('rejects a wrong magic', () => {
    const buf = good();
    buf.write('ABCD', 0, 'latin1');
    expectRejected(buf, 'SRD_ERR_VCTR_BAD_MAGIC', /^\/x\/dna\.vctr: bad magic \(expected "VCTR", got "ABCD"\)$/);
  });

  it('rejects an unknown version', () => {
    const buf = good();
    buf.writeUInt16LE(7, 4);
    expectRejected(buf, 'SRD_ERR_VCTR_BAD_VERSION', /^\/x\/dna\.vctr: unsupported version 7$/);
  });

  it('rejects the float16 dtype as unsupported', () => {
    const buf = good();
    buf.writeUInt8(2, 6);
    expectRejected(buf, 'SRD_ERR_VCTR_BAD_DTYPE', /^\/x\/dna\.vctr: unsupported dtype 2 \(float16\)$/);
  });

  it('rejects a file shorter than the header', () => {
    expectRejected(good().subarray(0, 12), 'SRD_ERR_VCTR_TRUNCATED', /^\/x\/dna\.vctr: truncated: header needs 40 bytes, file has 12$/);
  });

  it('rejects a file cut inside the data section', () => {
    expectRejected(
      good().subarray(0, 200),
      'SRD_ERR_VCTR_TRUNCATED',
      /^\/x\/dna\.vctr: data section \(offset 64, 256 bytes\) runs past end of file \(200 bytes\)$/,
    );
  });

  it('rejects a metadataOffset past the end of the file', () => {
    const buf = good();
    buf.writeBigUInt64LE(BigInt(buf.length + 100), 24);
    expectRejected(
      buf,
      'SRD_ERR_VCTR_BAD_OFFSETS',
      new RegExp(`^/x/dna\\.vctr: metadataOffset ${buf.length + 100} is past end of file \\(${buf.length} bytes\\)$`),
    );
  });

  it('rejects a metadataOffset that overlaps the data section', () => {
    const buf = good();
    buf.writeBigUInt64LE(99n, 24);
    expectRejected(buf, 'SRD_ERR_VCTR_BAD_OFFSETS', /^\/x\/dna\.vctr: metadataOffset 99 overlaps the data section/);
  });

  it('rejects a dataOffset that is not a multiple of 64', () => {
    const buf = good();
    buf.writeBigUInt64LE(40n, 32);
    expectRejected(buf, 'SRD_ERR_VCTR_BAD_OFFSETS', /^\/x\/dna\.vctr: dataOffset 40 is not a multiple of 64$/);
  });

  it('rejects a flipped data byte through the CRC-32', () => {
    const buf = good();
    buf[64 + 17] ^= 0x01;
    expectRejected(buf, 'SRD_ERR_VCTR_CRC_MISMATCH', /^\/x\/dna\.vctr: CRC-32 mismatch \(header 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$/);
  });

  it('with tolerateCrcMismatch, returns a file whose only fault is its CRC-32, with the error beside it (issue 15: per-row salvage)', () => {
    const buf = good();
    buf[64 + 17] ^= 0x01;
    const file = decodeVctr(buf, FILE, { tolerateCrcMismatch: true });
    expect(file.crcError).toBeInstanceOf(SrdError);
    expect(file.crcError).toMatchObject({ code: 'SRD_ERR_VCTR_CRC_MISMATCH', message: expect.stringMatching(/^\/x\/dna\.vctr: CRC-32 mismatch/) });
    expect(file.count).toBe(4);
    expect(file.metadata.rows).toHaveLength(4);
    expect(decodeVctr(good(), FILE, { tolerateCrcMismatch: true }).crcError).toBeUndefined();
    // Any other fault is still thrown: as the CRC error when the CRC failed too, as itself otherwise.
    const broken = Buffer.from(buf);
    broken.write('x', broken.length - 1, 'latin1');
    expect(() => decodeVctr(broken, FILE, { tolerateCrcMismatch: true })).toThrow(/CRC-32 mismatch/);
    expect(() => decodeVctr(withMetadata(good(), '{"kind":'), FILE, { tolerateCrcMismatch: true })).toThrow(/metadata is not valid JSON/);
  });

  it('rejects a flipped metadata byte through the CRC-32', () => {
    const buf = good();
    buf[buf.length - 3] ^= 0x20;
    expectRejected(buf, 'SRD_ERR_VCTR_CRC_MISMATCH', /^\/x\/dna\.vctr: CRC-32 mismatch/);
  });

  it('rejects metadata that is not JSON even when the CRC is valid', () => {
    expectRejected(withMetadata(good(), '{"kind":'), 'SRD_ERR_VCTR_BAD_METADATA', /^\/x\/dna\.vctr: metadata is not valid JSON: /);
  });

  it('rejects metadata whose rows count differs from the header count even when the CRC is valid', () => {
    const json = JSON.stringify(metadata(16, 3));
    expectRejected(withMetadata(good(), json), 'SRD_ERR_VCTR_BAD_METADATA', /^\/x\/dna\.vctr: metadata\.rows has 3 entries for 4 rows$/);
  });

  it('rejects a file whose dims differ from the configured embedder', () => {
    expectRejected(good(), 'SRD_ERR_VCTR_DIMS_MISMATCH', /^\/x\/dna\.vctr: dims 16 does not match the configured embedder \(1024\)$/, 1024);
  });
});

describe('moveAside', () => {
  it('renames a bad file to a .corrupt-<timestamp> sibling and keeps its bytes', async () => {
    const target = path.join(dir, 'dna.vctr');
    const bytes = Buffer.from('ABCD not a vector file');
    fs.writeFileSync(target, bytes);
    const moved = await moveAside(target, 'bad magic');
    expect(moved).toMatch(/\/dna\.vctr\.corrupt-\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z$/);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readFileSync(moved)).toEqual(bytes);
  });

  it('never overwrites an earlier moved-aside file', async () => {
    const target = path.join(dir, 'dna.vctr');
    fs.writeFileSync(target, 'first');
    const first = await moveAside(target, 'crc');
    fs.writeFileSync(target, 'second');
    const second = await moveAside(target, 'crc');
    expect(second).not.toBe(first);
    expect(fs.readFileSync(first, 'utf8')).toBe('first');
    expect(fs.readFileSync(second, 'utf8')).toBe('second');
  });
});
