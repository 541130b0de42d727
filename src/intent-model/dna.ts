import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbeddingSpace } from '../embedding/index.js';
import { sameSpace, spaceId } from '../embedding/index.js';
import { SrdError } from '../errors.js';
import { INTENT_TIER, INTENTS, type Intent, isIntent, type Tier } from '../intents.js';
import { readVctr } from '../vctr/index.js';

/**
 * The base DNA in memory: one or more unit-length rows ("centroids", prototypes) per intent; an
 * intent scores the best of its rows.
 */
export interface DnaModel {
  /** File it was read from. */
  path: string;
  space: EmbeddingSpace;
  rows: number;
  dims: number;
  /** Intent of each row. */
  labels: Intent[];
  /** Row-major rows × dims float32. */
  data: Float32Array;
  /** Softmax temperature that turns cosines into calibrated probabilities (fit at `dna build`). */
  temperature: number;
  /** DNA threshold calibrated for this space, used when the config sets none. */
  threshold: number | null;
  /** k-fold held-out figures recorded by `dna build` (tierAccuracy, flagshipRecall, expectedCalibrationError, …). */
  heldOut?: Record<string, number> | null;
}

/** Metadata keys this project adds to DNA files besides DESIGN.md §5's. */
export interface DnaExtraMetadata {
  calibration?: { temperature: number; heldOut?: Record<string, number> };
  thresholds?: { dna?: number };
  seed?: { digest: string; counts: Record<string, number> };
}

/** `<provider>-<model>-<dims>.vctr`, the DNA file name of an embedding space. */
export function dnaFileName(space: EmbeddingSpace): string {
  return `${space.provider}-${space.model}-${space.dims}.vctr`.replace(/[^\w.-]+/g, '_');
}

/** Package root (…/smart-routerd), from this module's location in dist/routing/. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Where the DNA of `space` is looked for: the state dir's own build, then the package's. */
export function dnaCandidates(stateDir: string, space: EmbeddingSpace): string[] {
  const name = dnaFileName(space);
  return [path.join(stateDir, 'dna', name), path.join(packageRoot(), 'dna', 'build', name)];
}

/**
 * Finds and reads the DNA for `space`. Throws SRD_ERR_DNA_MISSING when no candidate exists,
 * SRD_ERR_VCTR_* when the file is malformed, and SRD_ERR_VCTR_DIMS_MISMATCH when the file was
 * built in another embedding space (vectors from different spaces are never mixed).
 */
export async function loadDna(stateDir: string, space: EmbeddingSpace): Promise<DnaModel> {
  const candidates = dnaCandidates(stateDir, space);
  const file = candidates.find((p) => existsSync(p));
  if (!file) {
    throw new SrdError('SRD_ERR_DNA_MISSING', `no DNA for ${spaceId(space)} (looked in ${candidates.join(', ')}); run \`smart-routerd dna build\``);
  }
  return readDnaFile(file, space);
}

/** Reads one DNA file and checks it belongs to `space`. Errors as loadDna. */
export async function readDnaFile(file: string, space: EmbeddingSpace): Promise<DnaModel> {
  const vctr = await readVctr(file, { expectedDims: space.dims });
  const meta = vctr.metadata as typeof vctr.metadata & DnaExtraMetadata;
  if (!vctr.metadata.legacy && !sameSpace(meta.embedding, space)) {
    throw new SrdError('SRD_ERR_VCTR_DIMS_MISMATCH', `${file}: built for ${spaceId(meta.embedding)}, configured embedder is ${spaceId(space)}`, {
      details: { path: file },
    });
  }
  const labels = meta.rows.map((row, i) => {
    if (!isIntent(row.label)) throw new SrdError('SRD_ERR_VCTR_BAD_METADATA', `${file}: row ${i} has unknown intent ${JSON.stringify(row.label)}`);
    return row.label;
  });
  return {
    path: file,
    space,
    rows: vctr.count,
    dims: vctr.dims,
    labels,
    data: vctr.data,
    temperature: meta.calibration?.temperature ?? 20,
    threshold: meta.thresholds?.dna ?? null,
    heldOut: meta.calibration?.heldOut ?? null,
  };
}

/** Per-intent view of one query's DNA row scores. */
export interface IntentScores {
  /** Best cosine per intent (max over that intent's rows). */
  cosine: Record<Intent, number>;
  /** Calibrated probability per intent: softmax(temperature × cosine). */
  probability: Record<Intent, number>;
  /** Intents by descending cosine. */
  ranked: Intent[];
  /** Calibrated probability of each tier (sum over its intents). */
  tierProbability: Record<Tier, number>;
}

/** Per DNA model, computed once: each row's intent index in INTENTS, and the intents present. */
interface RowIntents {
  rowIntent: Uint8Array;
  present: Intent[];
}

const rowIntentsCache = new WeakMap<DnaModel, RowIntents>();

function rowIntents(dna: DnaModel): RowIntents {
  let cached = rowIntentsCache.get(dna);
  if (!cached) {
    const rowIntent = Uint8Array.from(dna.labels, (label) => INTENTS.indexOf(label));
    cached = { rowIntent, present: INTENTS.filter((i) => dna.labels.includes(i)) };
    rowIntentsCache.set(dna, cached);
  }
  return cached;
}

/**
 * Folds row scores (one per DNA row, from the kernel) into per-intent scores: best cosine per
 * intent, softmax(temperature × cosine) over the intents the DNA has (Smart Router doc: calibrated
 * intent probability), tier probability = sum over its intents. O(rows + intents); on every route.
 */
export function intentScores(rowScores: Float32Array, dna: DnaModel): IntentScores {
  const { rowIntent, present } = rowIntents(dna);
  const best = INTENTS.map(() => -1);
  for (let r = 0; r < dna.rows; r++) {
    const s = rowScores[r]!;
    const n = rowIntent[r]!;
    if (s > best[n]!) best[n] = s;
  }
  const cosine = {} as Record<Intent, number>;
  const probability = {} as Record<Intent, number>;
  INTENTS.forEach((intent, n) => {
    cosine[intent] = best[n]!;
    probability[intent] = 0;
  });
  let max = -Infinity;
  for (const i of present) if (cosine[i] > max) max = cosine[i];
  let total = 0;
  for (const i of present) total += probability[i] = Math.exp(dna.temperature * (cosine[i] - max));
  const tierProbability: Record<Tier, number> = { flagship: 0, lightweight: 0 };
  for (const i of present) {
    probability[i] /= total;
    tierProbability[INTENT_TIER[i]] += probability[i];
  }
  const ranked = present.slice().sort((a, b) => cosine[b] - cosine[a]);
  return { cosine, probability, ranked, tierProbability };
}
