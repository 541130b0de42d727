import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { LOCAL_MODEL } from '../embedding/index.js';
import { isSrdError, SrdError } from '../errors.js';
import { INTENTS } from '../intents.js';
import { floatsFromLE, floatsToLE, writeFileDurable } from '../vctr/index.js';
import { type ClassifierCalibration, type ClassifierWeights, IntentClassifier } from './classifier.js';
import { packageRoot } from './dna.js';

/**
 * The intent classifier's file (`data/intent-classifier.bin`, written by `smart-routerd train`):
 *
 *   offset 0   "SRDICLF1"               8 bytes magic (format version 1)
 *          8   header length H          u32 LE
 *         12   header                   H bytes of UTF-8 JSON (ClassifierHeader), space-padded to 4
 *              seen                     buckets / 8 bytes: bit r (LSB first) set = row r was trained
 *              seen features            2^seenBits / 8 bytes (header seenBits; 0 = none): classifier.ts seenFeatures
 *              rowScale                 S × f32 LE, S = number of seen rows, in row order
 *              hiddenWeights, hiddenBias, outputWeights, outputBias   f32 LE
 *              embedding                S × dim × int8, in row order
 *        end−4 CRC-32 of every byte before it   u32 LE
 *
 * Unseen rows are all zero and are not stored. Nothing time-dependent is written: the same
 * training gives the same bytes.
 */
export const CLASSIFIER_MAGIC = 'SRDICLF1';
/** Name of the shipped model, under the package's data/ (and, for a user's own build, the state dir). */
export const CLASSIFIER_FILE_NAME = 'intent-classifier.bin';

/** The JSON header of a classifier file. */
export interface ClassifierHeader {
  /** Feature extractor the model was trained with (the local embedder's LOCAL_MODEL); another one is refused. */
  features: string;
  /** Output order of the logits. */
  intents: string[];
  buckets: number;
  dim: number;
  hidden: number;
  /** Bits of the seen-feature set (classifier.ts SEEN_BITS), 0 when the file has none. */
  seenBits: number;
  calibration: ClassifierCalibration;
  /** What it was trained on and how (hyper-parameters, corpus digests and counts, held-out figures). */
  training: Record<string, unknown>;
}

/** A classifier read from disk. */
export interface ClassifierFile {
  path: string;
  header: ClassifierHeader;
  weights: ClassifierWeights;
}

/** Encodes weights and training notes into the file format above. */
export function encodeClassifier(weights: ClassifierWeights, training: Record<string, unknown>): Uint8Array {
  const header: ClassifierHeader = {
    features: LOCAL_MODEL,
    intents: [...INTENTS],
    buckets: weights.buckets,
    dim: weights.dim,
    hidden: weights.hidden,
    seenBits: weights.seenFeatures.length > 0 ? Math.log2(weights.seenFeatures.length * 8) : 0,
    calibration: weights.calibration,
    training,
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length % 4 !== 0) json = Buffer.concat([json, Buffer.alloc(4 - (json.length % 4), 0x20)]);
  const { buckets, dim, rowScale } = weights;
  const seen = new Uint8Array(buckets / 8);
  let seenRows = 0;
  for (let r = 0; r < buckets; r++) {
    if (rowScale[r] === 0) continue;
    seen[r >> 3]! |= 1 << (r & 7);
    seenRows++;
  }
  const scales = new Float32Array(seenRows);
  const rows = new Int8Array(seenRows * dim);
  for (let r = 0, s = 0; r < buckets; r++) {
    if (rowScale[r] === 0) continue;
    scales[s] = rowScale[r]!;
    rows.set(weights.embedding.subarray(r * dim, (r + 1) * dim), s * dim);
    s++;
  }
  const floats = [scales, weights.hiddenWeights, weights.hiddenBias, weights.outputWeights, weights.outputBias];
  const floatBytes = floats.reduce((n, f) => n + f.byteLength, 0);
  const total = 12 + json.length + seen.length + weights.seenFeatures.length + floatBytes + rows.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(CLASSIFIER_MAGIC, 'ascii'), 0);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let offset = 12 + json.length;
  out.set(seen, offset);
  offset += seen.length;
  out.set(weights.seenFeatures, offset);
  offset += weights.seenFeatures.length;
  for (const f of floats) {
    floatsToLE(f, out, offset);
    offset += f.byteLength;
  }
  out.set(new Uint8Array(rows.buffer), offset);
  offset += rows.length;
  view.setUint32(offset, crc32(out.subarray(0, offset)), true);
  return out;
}

/**
 * Decodes a classifier file. Throws SRD_ERR_MODEL_CORRUPT (bad magic, truncated, CRC mismatch,
 * header not JSON or not the expected shape) or SRD_ERR_MODEL_MISMATCH (trained with another
 * feature extractor or intent order), naming `file`.
 */
export function decodeClassifier(bytes: Uint8Array, file: string): ClassifierFile {
  const corrupt = (why: string) => new SrdError('SRD_ERR_MODEL_CORRUPT', `${file}: ${why}; run \`npm run train\` or reinstall`, { details: { path: file } });
  if (bytes.length < 16 || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== CLASSIFIER_MAGIC)
    throw corrupt('not an intent classifier file (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stored = view.getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) throw corrupt('CRC-32 mismatch (truncated or damaged)');
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length - 4) throw corrupt('header runs past the end of the file');
  let header: ClassifierHeader;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(12, 12 + headerLength)).toString('utf8')) as ClassifierHeader;
  } catch (err) {
    throw corrupt(`header is not JSON (${(err as Error).message})`);
  }
  const { buckets, dim, hidden, seenBits, calibration } = header ?? {};
  const positiveInt = (x: unknown) => Number.isInteger(x) && (x as number) > 0;
  if (!positiveInt(buckets) || buckets < 8 || (buckets & (buckets - 1)) !== 0 || !positiveInt(dim) || !Number.isInteger(hidden) || hidden < 0)
    throw corrupt('header has no valid buckets/dim/hidden');
  if (!Number.isInteger(seenBits) || seenBits < 0 || seenBits > 30 || (seenBits > 0 && seenBits < 3)) throw corrupt('header has no valid seenBits');
  if (!(calibration?.temperature > 0) || !(calibration.oodSlope >= 0) || !((calibration.oodKnee ?? 0) >= 0)) throw corrupt('header has no valid calibration');
  if (header.features !== LOCAL_MODEL || JSON.stringify(header.intents) !== JSON.stringify(INTENTS)) {
    throw new SrdError(
      'SRD_ERR_MODEL_MISMATCH',
      `${file}: trained with features ${header.features} and intents ${JSON.stringify(header.intents)}, this build has ${LOCAL_MODEL} and ${JSON.stringify(INTENTS)}; run \`npm run train\``,
      { details: { path: file } },
    );
  }
  const K = INTENTS.length;
  const width = hidden > 0 ? hidden : dim;
  let offset = 12 + headerLength;
  if (offset + buckets / 8 > bytes.length - 4) throw corrupt('file ends inside the seen-rows bitmap');
  const seen = bytes.subarray(offset, offset + buckets / 8);
  offset += buckets / 8;
  const seenFeatureBytes = seenBits > 0 ? 2 ** seenBits / 8 : 0;
  if (offset + seenFeatureBytes > bytes.length - 4) throw corrupt('file ends inside the seen-features set');
  const seenFeatures = bytes.slice(offset, offset + seenFeatureBytes);
  offset += seenFeatureBytes;
  let seenRows = 0;
  for (const byte of seen) for (let b = byte; b !== 0; b &= b - 1) seenRows++;
  const lengths = [seenRows, hidden * dim, hidden, K * width, K];
  const expected = offset + lengths.reduce((n, l) => n + 4 * l, 0) + seenRows * dim + 4;
  if (bytes.length !== expected) throw corrupt(`${bytes.length} bytes, the header and bitmap imply ${expected}`);
  const [scales, hiddenWeights, hiddenBias, outputWeights, outputBias] = lengths.map((l) => {
    const f = floatsFromLE(bytes, offset, l);
    offset += 4 * l;
    return f;
  }) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const rowScale = new Float32Array(buckets);
  const embedding = new Int8Array(buckets * dim);
  const rows = new Int8Array(bytes.buffer, bytes.byteOffset + offset, seenRows * dim);
  for (let r = 0, s = 0; r < buckets; r++) {
    if ((seen[r >> 3]! & (1 << (r & 7))) === 0) continue;
    if (!(scales[s]! > 0)) throw corrupt(`row ${r} is marked seen but has scale ${scales[s]}`);
    rowScale[r] = scales[s]!;
    embedding.set(rows.subarray(s * dim, (s + 1) * dim), r * dim);
    s++;
  }
  return {
    path: file,
    header,
    weights: {
      buckets,
      dim,
      hidden,
      embedding,
      rowScale,
      seenFeatures: new Uint8Array(seenFeatures),
      hiddenWeights,
      hiddenBias,
      outputWeights,
      outputBias,
      calibration,
    },
  };
}

/** Reads and decodes a classifier file. Errors as decodeClassifier; SRD_ERR_MODEL_CORRUPT when it cannot be read. */
export async function readClassifierFile(file: string): Promise<ClassifierFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new SrdError('SRD_ERR_MODEL_CORRUPT', `${file}: cannot be read (${(err as Error).message})`, { details: { path: file } });
  }
  return decodeClassifier(bytes, file);
}

/** Writes a classifier file atomically (temp file, fsync, rename). */
export async function writeClassifierFile(file: string, weights: ClassifierWeights, training: Record<string, unknown>): Promise<Uint8Array> {
  const bytes = encodeClassifier(weights, training);
  await writeFileDurable(file, bytes);
  return bytes;
}

/** Where the classifier is looked for: the state dir's own (`<stateDir>/model/`), then the package's data/. */
export function classifierCandidates(stateDir: string): string[] {
  return [path.join(stateDir, 'model', CLASSIFIER_FILE_NAME), path.join(packageRoot(), 'data', CLASSIFIER_FILE_NAME)];
}

/** The first candidate that exists, or null. */
export function findClassifierFile(stateDir: string): string | null {
  return classifierCandidates(stateDir).find((p) => existsSync(p)) ?? null;
}

/** A classifier loaded for routing: the hot model and the file it came from. */
export interface LoadedClassifier {
  classifier: IntentClassifier;
  file: ClassifierFile;
}

/**
 * Loads the classifier at start or reload and keeps it hot: the candidates in order (default
 * classifierCandidates: state dir, then package), the first that decodes wins. A file that fails
 * its checks is logged with its code and the next one is tried; with none usable the result is
 * null and the router decides on the DNA, as before issue 16. Never throws.
 */
export async function loadClassifier(candidates: readonly string[], logger: Pick<Logger, 'error' | 'debug'>): Promise<LoadedClassifier | null> {
  let failed = false;
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    try {
      const file = await readClassifierFile(candidate);
      logger.debug({ path: candidate, buckets: file.weights.buckets, dim: file.weights.dim }, 'intent classifier loaded');
      return { classifier: new IntentClassifier(file.weights), file };
    } catch (err) {
      const code = isSrdError(err) ? err.code : 'unknown';
      logger.error({ err: (err as Error).message, code, path: candidate }, 'intent classifier file unusable');
      failed = true;
    }
  }
  if (failed) logger.error({ candidates }, 'no usable intent classifier; the DNA decides');
  return null;
}
