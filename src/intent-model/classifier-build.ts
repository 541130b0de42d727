import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { INTENT_TIER, INTENTS, type Intent, type Tier } from '../intents.js';
import { type ClassifierPrediction, IntentClassifier } from './classifier.js';
import { fitCalibrationScores, ScoredTexts } from './classifier-calibrate.js';
import { writeClassifierFile } from './classifier-file.js';
import { type ClassifierTrainOptions, DEFAULT_TRAIN_OPTIONS, type TrainingText, trainClassifier } from './classifier-train.js';
import { type EvalSample, type SliceFigures, sliceFigures } from './eval-metrics.js';
import { type LabelledText, parseLabelledJsonl, readSeed } from './seed.js';

/** Inputs of `smart-routerd train` (npm run train). */
export interface ClassifierBuildOptions {
  /** The project's hand-written seed (dna/seed): every line trains. */
  seedDir: string;
  /** corpus/build/corpus.jsonl: `train` lines train, `calib` lines calibrate, `dev` lines are measured. Null: seed only. */
  corpusFile: string | null;
  out: string;
  /** Overrides of DEFAULT_TRAIN_OPTIONS. */
  train?: Partial<ClassifierTrainOptions>;
  /**
   * Also calibrate on each corpus source's calib texts as scored by a model trained without that
   * source (default true): confidence then holds for message styles the corpus does not have.
   */
  outOfSource?: boolean;
  /** One line of progress at a time (epochs, calibration, figures). */
  onProgress?: (message: string) => void;
}

/** What a training run did. */
export interface ClassifierBuildReport {
  out: string;
  bytes: number;
  ms: number;
  /** sha256 over the seed digest and the corpus file: which inputs the model was trained from. */
  inputDigest: string;
  texts: { train: number; calib: number; dev: number };
  calibration: { temperature: number; oodSlope: number };
  /** The classifier alone on the corpus dev split (null without a corpus). */
  dev: SliceFigures | null;
}

/** Share of the seed held out for calibration when there is no corpus calib split (by text hash). */
const SEED_CALIB_SHARE = 10;

/** sha256 identifying the training inputs; the drift test compares it with the shipped model's header. */
export function classifierInputDigest(seedDir: string, corpusFile: string | null): string {
  const hash = createHash('sha256').update(readSeed(seedDir).digest).update('\0');
  if (corpusFile) hash.update(readFileSync(corpusFile));
  return hash.digest('hex');
}

/**
 * Trains the classifier on the seed and the corpus's train split, fits its calibration on the
 * calib split (without a corpus: on a tenth of the seed, held out by text hash), measures it on
 * the dev split, and writes the file. Deterministic: the same inputs and options give the same bytes.
 * Throws SRD_ERR_SEED_INVALID for a bad seed or corpus line.
 */
export async function buildClassifier(options: ClassifierBuildOptions): Promise<ClassifierBuildReport> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  const seed = readSeed(options.seedDir);
  const corpus = options.corpusFile ? readCorpus(options.corpusFile) : [];
  let train: TrainingText[] = [...seed.records, ...corpus.filter((r) => r.split === 'train')];
  let calib: TrainingText[] = corpus.filter((r) => r.split === 'calib');
  const dev = corpus.filter((r) => r.split === 'dev');
  if (calib.length === 0) {
    const held = (t: TrainingText) => createHash('sha256').update(t.text).digest()[0]! % SEED_CALIB_SHARE === 0;
    calib = train.filter(held);
    train = train.filter((t) => !held(t));
  }
  const trainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options.train };
  progress(
    `training on ${train.length} texts (${seed.records.length} seed), ${trainOptions.epochs} epochs, ${trainOptions.buckets} buckets × ${trainOptions.dim}`,
  );
  const weights = trainClassifier(train, trainOptions, (p) =>
    progress(`epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(1)} s)`),
  );
  const scored = new ScoredTexts().add(weights, calib);
  const sources = [...new Set(calib.map((t) => t.source).filter((s): s is string => s !== undefined))].sort();
  if (options.outOfSource !== false && sources.length > 1) {
    // Out-of-source calibration: the calib split shares each source's style with the training
    // split, so on it the model looks surer than it is on prompts written elsewhere. A model
    // trained without source s scores s's calib texts like prompts of an unseen style would be.
    for (const [i, source] of sources.entries()) {
      const held = trainClassifier(
        train.filter((t) => t.source !== source),
        trainOptions,
      );
      scored.add(
        held,
        calib.filter((t) => t.source === source),
      );
      progress(`out-of-source calibration: ${i + 1}/${sources.length} (${source} held out) (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  }
  weights.calibration = fitCalibrationScores(scored);
  progress(
    `calibrated on ${scored.size} scored texts (${calib.length} calib${scored.size > calib.length ? ' + the same scored out of source' : ''}): temperature ${weights.calibration.temperature.toFixed(3)}, OOD slope ${weights.calibration.oodSlope}`,
  );
  const model = new IntentClassifier(weights);
  let devFigures: SliceFigures | null = null;
  if (dev.length > 0) {
    const samples = dev.map((r) => classifierSample(model, r));
    devFigures = { ...sliceFigures(samples) };
    progress(
      `dev split (${dev.length} texts): tier ${pct(devFigures.tierAccuracy)}, label ${pct(devFigures.labelAccuracy)}, ECE ${devFigures.expectedCalibrationError}`,
    );
  }
  const inputDigest = classifierInputDigest(options.seedDir, options.corpusFile);
  const bytes = await writeClassifierFile(options.out, weights, {
    inputDigest,
    options: trainOptions,
    texts: { train: train.length, calib: calib.length, dev: dev.length, seed: seed.records.length },
    trainCounts: countBy(train),
    dev: devFigures,
  });
  return {
    out: options.out,
    bytes: bytes.length,
    ms: Math.round(performance.now() - started),
    inputDigest,
    texts: { train: train.length, calib: calib.length, dev: dev.length },
    calibration: weights.calibration,
    dev: devFigures,
  };
}

/** Reads corpus.jsonl (`{text,label,lang,source,split}` lines). Throws SRD_ERR_SEED_INVALID naming file:line. */
export function readCorpus(file: string): LabelledText[] {
  return parseLabelledJsonl(readFileSync(file, 'utf8'), file, 'SRD_ERR_SEED_INVALID');
}

/**
 * The decision the router makes from a prediction when no patch decides: the more probable tier
 * (which is also `lowConfidenceTier: "auto"`'s choice), and the most probable intent of that tier.
 */
export function classifierDecision(p: ClassifierPrediction): { tier: Tier; intent: Intent; confidence: number } {
  const tier: Tier = p.tierProbability.flagship > p.tierProbability.lightweight ? 'flagship' : 'lightweight';
  let intent: Intent = p.intent;
  if (INTENT_TIER[intent] !== tier) {
    let best = -1;
    for (const i of INTENTS) {
      if (INTENT_TIER[i] === tier && p.probability[i] > best) {
        best = p.probability[i];
        intent = i;
      }
    }
  }
  return { tier, intent, confidence: p.tierProbability[tier] };
}

function classifierSample(model: IntentClassifier, r: LabelledText): EvalSample {
  const d = classifierDecision(model.predict(r.text));
  return {
    text: r.text,
    label: r.label,
    lang: r.lang,
    predictedTier: d.tier,
    predictedIntent: d.intent,
    confidence: d.confidence,
    source: 'model',
    latencyMs: 0,
    scores: null,
  };
}

function countBy(texts: readonly TrainingText[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of texts) out[`${t.label}.${t.lang}`] = (out[`${t.label}.${t.lang}`] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
