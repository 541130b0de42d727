import type { Embedder } from '../embedding/index.js';
import { writeVctr, type VctrMetadata } from '../vector/index.js';
import type { DnaExtraMetadata } from './dna.js';
import { fitTemperature, scoreRows, toSparse, trainRows, type SparseVector, type TrainOptions } from './dna-train.js';
import { INTENTS, INTENT_TIER, type Intent } from './intents.js';
import type { Seed } from './seed.js';

/** Held-out figures of a DNA build (k-fold over the seed; the final DNA is trained on all of it). */
export interface DnaBuildReport {
  out: string;
  rows: number;
  samples: number;
  counts: Record<string, number>;
  folds: number;
  heldOut: { labelAccuracy: number; tierAccuracy: number; flagshipRecall: number };
  temperature: number;
  threshold: number;
  ms: number;
}

/** Fraction of held-out best cosines below which the DNA stage abstains (keywords/default decide). */
const ABSTAIN_QUANTILE = 0.01;

/**
 * Builds the base DNA for `embedder`'s space from `seed` and writes it to `out` (VCTR v2,
 * atomically): one learned unit row per intent, the softmax temperature fitted on k-fold held-out
 * scores, and the DNA threshold for this space (the 1st percentile of held-out best cosines).
 * Throws what the embedder or writeVctr throw.
 */
export async function buildDna(options: { embedder: Embedder; seed: Seed; out: string; folds?: number; train?: TrainOptions; log?: (msg: string) => void }): Promise<DnaBuildReport> {
  const started = performance.now();
  const { embedder, seed, out } = options;
  const dims = embedder.space.dims;
  const folds = options.folds ?? 5;
  const vectors = await embedder.embedBatch(seed.records.map((r) => r.text));
  const samples = vectors.map(toSparse);
  const labels = seed.records.map((r) => INTENTS.indexOf(r.label));

  const heldScores: number[][] = new Array(samples.length);
  for (let f = 0; f < folds; f++) {
    const trainIdx = samples.map((_, i) => i).filter((i) => i % folds !== f);
    const W = trainRows(trainIdx.map((i) => samples[i]!), trainIdx.map((i) => labels[i]!), INTENTS.length, dims, options.train);
    for (let i = f; i < samples.length; i += folds) heldScores[i] = scoreRows(samples[i]!, W, INTENTS.length, dims);
    options.log?.(`fold ${f + 1}/${folds} trained`);
  }
  const temperature = fitTemperature(heldScores, labels);
  const heldOut = heldOutFigures(heldScores, labels);
  const bestCos = heldScores.map((row) => Math.max(...row)).sort((a, b) => a - b);
  const threshold = round(bestCos[Math.floor(ABSTAIN_QUANTILE * bestCos.length)] ?? 0, 3);

  const W = trainRows(samples as SparseVector[], labels, INTENTS.length, dims, options.train);
  const counts: Record<string, number> = {};
  for (const r of seed.records) counts[`${r.label}.${r.lang}`] = (counts[`${r.label}.${r.lang}`] ?? 0) + 1;
  const metadata: VctrMetadata & DnaExtraMetadata = {
    kind: 'dna',
    embedding: { ...embedder.space },
    createdAt: Date.now(),
    rows: INTENTS.map((label: Intent) => ({ label, tier: INTENT_TIER[label] })),
    calibration: { temperature: round(temperature, 3), heldOut: { ...heldOut, folds } },
    thresholds: { dna: threshold },
    seed: { digest: seed.digest, counts },
  };
  await writeVctr(out, { dims, count: INTENTS.length, data: W, normalized: true, metadata });
  return {
    out,
    rows: INTENTS.length,
    samples: samples.length,
    counts,
    folds,
    heldOut,
    temperature: round(temperature, 3),
    threshold,
    ms: Math.round(performance.now() - started),
  };
}

function heldOutFigures(scores: number[][], labels: number[]): DnaBuildReport['heldOut'] {
  let label = 0;
  let tier = 0;
  let flagship = 0;
  let flagshipHit = 0;
  scores.forEach((row, n) => {
    const pred = row.indexOf(Math.max(...row));
    const truthTier = INTENT_TIER[INTENTS[labels[n]!]!];
    const predTier = INTENT_TIER[INTENTS[pred]!];
    if (pred === labels[n]) label++;
    if (predTier === truthTier) tier++;
    if (truthTier === 'flagship') {
      flagship++;
      if (predTier === 'flagship') flagshipHit++;
    }
  });
  return {
    labelAccuracy: round(label / scores.length, 4),
    tierAccuracy: round(tier / scores.length, 4),
    flagshipRecall: round(flagship === 0 ? 0 : flagshipHit / flagship, 4),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
