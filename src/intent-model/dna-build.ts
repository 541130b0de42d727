import type { Embedder } from '../embedding/index.js';
import { INTENT_TIER, INTENTS } from '../intents.js';
import { type VctrMetadata, writeVctr } from '../vctr/index.js';
import type { DnaExtraMetadata } from './dna.js';
import { fitTemperature, scoreClasses, type TrainOptions, toSparse, trainRows } from './dna-train.js';
import type { Seed } from './seed.js';

/** Held-out figures of a DNA build (k-fold over the seed; the final DNA is trained on all of it). */
export interface DnaBuildReport {
  out: string;
  rows: number;
  samples: number;
  counts: Record<string, number>;
  folds: number;
  heldOut: HeldOutFigures;
  temperature: number;
  threshold: number;
  ms: number;
}

/** Routing quality on k-fold held-out seed, decided as the router decides (calibrated tier probability). */
export interface HeldOutFigures {
  labelAccuracy: number;
  tierAccuracy: number;
  flagshipRecall: number;
  flagshipPrecision: number;
  /** Expected calibration error of the tier confidence (10 equal-width bins). */
  expectedCalibrationError: number;
}

/** Training knobs of a DNA build: the classifier's, plus a loss weight on flagship-tier intents. */
export interface DnaTrainOptions extends TrainOptions {
  /** Multiplies the loss of flagship-tier samples (CODE, REASON) to protect flagship recall. */
  flagshipWeight?: number;
}

/**
 * Defaults chosen on a held-out fifth of the seed and 5-fold figures, averaged over three hash
 * salts (issue 3): 8 rows per intent (+2 points of tier accuracy over 1 row: intents are several
 * clusters, e.g. TRANS = translation, format conversion, summaries; 12 rows add +0.2 for 1.5× the
 * build time, 5 rows lose 0.5); 12 epochs (as good as 40, a third of the build time); flagship
 * loss ×1.6 (flagship recall +4 points for −1 point of precision; ×2 loses tier accuracy); dropout
 * 0.25 (same averages, but the weakest pinned routes gain margin: no single seed word decides).
 */
export const DEFAULT_TRAIN: Readonly<DnaTrainOptions> = { prototypes: 8, epochs: 12, scale: 16, learningRate: 0.5, dropout: 0.25, flagshipWeight: 1.6 };

/** Fraction of held-out best cosines below which the DNA stage abstains (keywords/default decide). */
const ABSTAIN_QUANTILE = 0.01;

/**
 * Builds the base DNA for `embedder`'s space from `seed` and writes it to `out` (VCTR v2,
 * atomically): learned unit rows (several per intent), the softmax temperature fitted on k-fold
 * held-out scores, and the DNA threshold for this space (the 1st percentile of held-out best
 * cosines). Throws what the embedder or writeVctr throw.
 */
export async function buildDna(options: {
  embedder: Embedder;
  seed: Seed;
  out: string;
  folds?: number;
  train?: DnaTrainOptions;
  log?: (msg: string) => void;
}): Promise<DnaBuildReport> {
  const started = performance.now();
  const { embedder, seed, out } = options;
  const dims = embedder.space.dims;
  const folds = options.folds ?? 5;
  const { flagshipWeight, ...train } = { ...DEFAULT_TRAIN, ...options.train };
  train.classWeights ??= INTENTS.map((i) => (INTENT_TIER[i] === 'flagship' ? (flagshipWeight ?? 1) : 1));
  const vectors = await embedder.embedBatch(seed.records.map((r) => r.text));
  const samples = vectors.map(toSparse);
  const labels = seed.records.map((r) => INTENTS.indexOf(r.label));

  const heldScores: number[][] = new Array(samples.length);
  for (let f = 0; f < folds; f++) {
    const trainIdx = samples.map((_, i) => i).filter((i) => i % folds !== f);
    const model = trainRows(
      trainIdx.map((i) => samples[i]!),
      trainIdx.map((i) => labels[i]!),
      INTENTS.length,
      dims,
      train,
    );
    for (let i = f; i < samples.length; i += folds) heldScores[i] = scoreClasses(samples[i]!, model, INTENTS.length, dims);
    options.log?.(`fold ${f + 1}/${folds} trained`);
  }
  const temperature = fitTemperature(heldScores, labels);
  const heldOut = heldOutFigures(heldScores, labels, temperature);
  const bestCos = heldScores.map((row) => Math.max(...row)).sort((a, b) => a - b);
  const threshold = round(bestCos[Math.floor(ABSTAIN_QUANTILE * bestCos.length)] ?? 0, 3);

  const model = trainRows(samples, labels, INTENTS.length, dims, train);
  const rows = model.rowClass.length;
  const counts: Record<string, number> = {};
  for (const r of seed.records) counts[`${r.label}.${r.lang}`] = (counts[`${r.label}.${r.lang}`] ?? 0) + 1;
  const metadata: VctrMetadata & DnaExtraMetadata = {
    kind: 'dna',
    embedding: { ...embedder.space },
    createdAt: Date.now(),
    rows: model.rowClass.map((c) => ({ label: INTENTS[c]!, tier: INTENT_TIER[INTENTS[c]!] })),
    calibration: { temperature: round(temperature, 3), heldOut: { ...heldOut, folds } },
    thresholds: { dna: threshold },
    seed: { digest: seed.digest, counts },
  };
  await writeVctr(out, { dims, count: rows, data: model.data, normalized: true, metadata });
  return {
    out,
    rows,
    samples: samples.length,
    counts,
    folds,
    heldOut,
    temperature: round(temperature, 3),
    threshold,
    ms: Math.round(performance.now() - started),
  };
}

/** Held-out figures with the router's decision rule: the tier of higher calibrated probability. */
function heldOutFigures(scores: number[][], labels: number[], temperature: number): HeldOutFigures {
  let label = 0;
  let tier = 0;
  let flagship = 0;
  let flagshipHit = 0;
  let flagshipPred = 0;
  const bins = 10;
  const binCount = new Array<number>(bins).fill(0);
  const binConf = new Array<number>(bins).fill(0);
  const binHit = new Array<number>(bins).fill(0);
  scores.forEach((row, n) => {
    const max = Math.max(...row);
    const exps = row.map((s) => Math.exp(temperature * (s - max)));
    const total = exps.reduce((a, b) => a + b, 0);
    let pFlagship = 0;
    exps.forEach((e, c) => {
      if (INTENT_TIER[INTENTS[c]!] === 'flagship') pFlagship += e / total;
    });
    const predTier = pFlagship > 0.5 ? 'flagship' : 'lightweight';
    const confidence = Math.max(pFlagship, 1 - pFlagship);
    const truthTier = INTENT_TIER[INTENTS[labels[n]!]!];
    if (row.indexOf(max) === labels[n]) label++;
    if (predTier === truthTier) tier++;
    if (truthTier === 'flagship') flagship++;
    if (predTier === 'flagship') flagshipPred++;
    if (truthTier === 'flagship' && predTier === 'flagship') flagshipHit++;
    const b = Math.min(bins - 1, Math.floor(confidence * bins));
    binCount[b]!++;
    binConf[b]! += confidence;
    if (predTier === truthTier) binHit[b]!++;
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) if (binCount[b]! > 0) ece += Math.abs(binHit[b]! - binConf[b]!) / scores.length;
  return {
    labelAccuracy: round(label / scores.length, 4),
    tierAccuracy: round(tier / scores.length, 4),
    flagshipRecall: round(flagship === 0 ? 0 : flagshipHit / flagship, 4),
    flagshipPrecision: round(flagshipPred === 0 ? 0 : flagshipHit / flagshipPred, 4),
    expectedCalibrationError: round(ece, 4),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
