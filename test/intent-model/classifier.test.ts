import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClassifierTrainOptions,
  DEFAULT_TRAIN_OPTIONS,
  decodeClassifier,
  encodeClassifier,
  fitCalibration,
  IntentClassifier,
  loadClassifier,
  readSeed,
  type TrainingText,
  trainClassifier,
} from '../../src/intent-model/index.js';
import { ROOT } from '../helpers/daemon.js';

// The classifier's trainer, file format and loader (issue 16), on a small model trained from the
// project's own seed so the suite runs in seconds.
const SMALL: ClassifierTrainOptions = { ...DEFAULT_TRAIN_OPTIONS, buckets: 2 ** 16, dim: 8, epochs: 3 };

let texts: TrainingText[];
let bytes: Uint8Array;
let dir: string;

beforeAll(() => {
  // Every third seed line: all intents and both languages, a third of the time.
  texts = readSeed(path.join(ROOT, 'dna', 'seed')).records.filter((_, i) => i % 3 === 0);
  const weights = trainClassifier(texts, SMALL);
  weights.calibration = fitCalibration(weights, texts.slice(0, 300));
  bytes = encodeClassifier(weights, { note: 'test' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'srd-classifier-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A logger that keeps error records. */
function recordingLogger() {
  const errors: Array<Record<string, unknown>> = [];
  return { errors, error: (obj: Record<string, unknown>) => errors.push(obj), debug: () => undefined };
}

/** `bytes` with its JSON header replaced by `edit(header)` and the CRC recomputed. */
function withHeader(edit: (h: Record<string, unknown>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8, true);
  const header = JSON.parse(Buffer.from(bytes.subarray(12, 12 + length)).toString('utf8'));
  edit(header);
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((4 - (json.length % 4)) % 4, 0x20)]);
  const rest = bytes.subarray(12 + length, bytes.length - 4);
  const out = new Uint8Array(12 + json.length + rest.length + 4);
  out.set(bytes.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(rest, 12 + json.length);
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

describe('training', () => {
  it('gives byte-identical files for the same texts and options, and different ones for another PRNG seed', () => {
    const again = trainClassifier(texts, SMALL);
    again.calibration = fitCalibration(again, texts.slice(0, 300));
    expect(Buffer.from(encodeClassifier(again, { note: 'test' })).equals(Buffer.from(bytes))).toBe(true);
    const other = trainClassifier(texts, { ...SMALL, seed: SMALL.seed + 1 });
    other.calibration = fitCalibration(other, texts.slice(0, 300));
    expect(Buffer.from(encodeClassifier(other, { note: 'test' })).equals(Buffer.from(bytes))).toBe(false);
  });

  it('learns the training texts: most come back with their own intent', () => {
    const model = new IntentClassifier(decodeClassifier(bytes, 'mem').weights);
    const right = texts.filter((t) => model.predict(t.text).intent === t.label).length;
    expect(right / texts.length).toBeGreaterThan(0.9);
  });

  it('marks rows no training feature reached as unseen, so gibberish has low coverage and a flat prediction', () => {
    const model = new IntentClassifier(decodeClassifier(bytes, 'mem').weights);
    const p = model.predict('qzxv wplk trrb ghhj');
    expect(p.coverage).toBeLessThan(0.5);
    expect(Math.max(p.tierProbability.flagship, p.tierProbability.lightweight)).toBeLessThan(0.9);
    expect(model.predict('').coverage).toBe(0);
  });
});

describe('the classifier file', () => {
  it('round-trips: a decoded file predicts exactly what the encoded weights predict', () => {
    const file = decodeClassifier(bytes, 'mem');
    const reencoded = encodeClassifier(file.weights, { note: 'test' });
    expect(Buffer.from(reencoded).equals(Buffer.from(bytes))).toBe(true);
    expect(file.header).toMatchObject({ buckets: SMALL.buckets, dim: SMALL.dim, hidden: 0, training: { note: 'test' } });
  });

  it.each([
    ['bad magic', (b: Uint8Array) => Buffer.concat([Buffer.from('NOTMODEL'), b.subarray(8)]), /bad magic/],
    ['a flipped byte', (b: Uint8Array) => Uint8Array.from(b, (x, i) => (i === b.length >> 1 ? x ^ 0xff : x)), /CRC-32 mismatch/],
    ['truncation', (b: Uint8Array) => b.subarray(0, b.length - 100), /CRC-32 mismatch/],
    ['an empty file', () => new Uint8Array(0), /bad magic/],
  ])('rejects %s with SRD_ERR_MODEL_CORRUPT', (_name, damage, message) => {
    expect(() => decodeClassifier(damage(bytes), '/x/model.bin')).toThrow(
      expect.objectContaining({ code: 'SRD_ERR_MODEL_CORRUPT', message: expect.stringMatching(message) }),
    );
  });

  it('rejects a header whose sizes do not match the data with SRD_ERR_MODEL_CORRUPT', () => {
    const wrong = withHeader((h) => {
      h.dim = 9;
    });
    expect(() => decodeClassifier(wrong, '/x/model.bin')).toThrow(
      expect.objectContaining({ code: 'SRD_ERR_MODEL_CORRUPT', message: expect.stringMatching(/bytes, the header/) }),
    );
  });

  it('rejects a model of another feature extractor with SRD_ERR_MODEL_MISMATCH', () => {
    const other = withHeader((h) => {
      h.features = 'local-hash-v1';
    });
    expect(() => decodeClassifier(other, '/x/model.bin')).toThrow(
      expect.objectContaining({ code: 'SRD_ERR_MODEL_MISMATCH', message: expect.stringContaining('trained with features local-hash-v1') }),
    );
  });
});

describe('loadClassifier', () => {
  it('reports a corrupt file and loads the next candidate', async () => {
    const bad = path.join(dir, 'bad.bin');
    const good = path.join(dir, 'good.bin');
    writeFileSync(bad, Buffer.from(bytes).subarray(0, 1000));
    writeFileSync(good, bytes);
    const logger = recordingLogger();
    const loaded = await loadClassifier([bad, path.join(dir, 'absent.bin'), good], logger);
    expect(loaded?.file.path).toBe(good);
    expect(logger.errors).toEqual([expect.objectContaining({ code: 'SRD_ERR_MODEL_CORRUPT', path: bad })]);
  });

  it('returns null, never throws, when no candidate is usable', async () => {
    const bad = path.join(dir, 'bad2.bin');
    writeFileSync(bad, 'not a model');
    const logger = recordingLogger();
    await expect(loadClassifier([bad], logger)).resolves.toBeNull();
    expect(logger.errors).toEqual([expect.objectContaining({ code: 'SRD_ERR_MODEL_CORRUPT', path: bad }), { candidates: [bad] }]);
  });

  it('loads the shipped data/intent-classifier.bin', async () => {
    const shipped = path.join(ROOT, 'data', 'intent-classifier.bin');
    const loaded = await loadClassifier([shipped], recordingLogger());
    expect(loaded?.file.header.features).toBe(decodeClassifier(readFileSync(shipped), shipped).header.features);
  });
});
