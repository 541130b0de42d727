import { INTENT_TIER, INTENTS } from '../intents.js';
import { type ClassifierCalibration, type ClassifierWeights, calibratedProbabilities, IntentClassifier, OOD_KNEE } from './classifier.js';
import type { TrainingText } from './classifier-train.js';

/** Temperatures tried by `fitCalibration` (log-spaced, 0.25 … 8). */
const TEMPERATURES = Array.from({ length: 61 }, (_, i) => 0.25 * 2 ** (i / 12));
/** Out-of-distribution slopes tried by `fitCalibration`. */
const OOD_SLOPES = Array.from({ length: 41 }, (_, i) => i * 0.25);

const K = INTENTS.length;

/** Held-out texts scored by a model at identity calibration: what calibration is fitted on. */
export class ScoredTexts {
  /** n × 6 raw logits, INTENTS order. */
  logits: number[] = [];
  coverage: number[] = [];
  /** 1 when the text's true tier is flagship. */
  flagship: number[] = [];

  /** Scores `texts` with `weights` (their calibration is ignored) and adds them. */
  add(weights: ClassifierWeights, texts: readonly TrainingText[]): this {
    const model = new IntentClassifier({ ...weights, calibration: { temperature: 1, oodSlope: 0 } });
    const row = new Float64Array(K);
    for (const t of texts) {
      this.coverage.push(model.logitsOf(t.text, row));
      this.logits.push(...row);
      this.flagship.push(INTENT_TIER[t.label] === 'flagship' ? 1 : 0);
    }
    return this;
  }

  get size(): number {
    return this.coverage.length;
  }
}

/**
 * Fits the temperature and the out-of-distribution slope (classifier.ts ClassifierCalibration) on
 * held-out scored texts by grid search, minimising the negative log-likelihood of the true TIER:
 * the router reports the tier's probability as its confidence, so that is the quantity to
 * calibrate. Deterministic (a fixed grid, first minimum wins). Identity calibration for no texts.
 */
export function fitCalibrationScores(scored: ScoredTexts): ClassifierCalibration {
  if (scored.size === 0) return { temperature: 1, oodSlope: 0, oodKnee: OOD_KNEE };
  const logits = Float64Array.from(scored.logits);
  let best: ClassifierCalibration = { temperature: 1, oodSlope: 0, oodKnee: OOD_KNEE };
  let bestLoss = Infinity;
  const probs = new Float64Array(K);
  for (const oodSlope of OOD_SLOPES) {
    for (const temperature of TEMPERATURES) {
      const cal = { temperature, oodSlope, oodKnee: OOD_KNEE };
      let loss = 0;
      for (let i = 0; i < scored.size; i++) {
        calibratedProbabilities(logits.subarray(i * K, (i + 1) * K), scored.coverage[i]!, cal, probs);
        let flagship = 0;
        for (let c = 0; c < K; c++) if (INTENT_TIER[INTENTS[c]!] === 'flagship') flagship += probs[c]!;
        const p = scored.flagship[i] ? flagship : 1 - flagship;
        loss -= Math.log(Math.max(1e-12, p));
      }
      if (loss < bestLoss - 1e-9) {
        bestLoss = loss;
        best = cal;
      }
    }
  }
  return best;
}

/** fitCalibrationScores on `calib` scored by `weights`. */
export function fitCalibration(weights: ClassifierWeights, calib: readonly TrainingText[]): ClassifierCalibration {
  return fitCalibrationScores(new ScoredTexts().add(weights, calib));
}
