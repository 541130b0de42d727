import { INTENT_TIER, INTENTS, type Intent, type Tier } from '../intents.js';

/** One evaluated example. */
export interface EvalSample {
  text: string;
  label: Intent;
  lang: string;
  predictedTier: Tier;
  predictedIntent: Intent | null;
  confidence: number;
  source: string;
  latencyMs: number;
  scores: Partial<Record<Intent, number>> | null;
}

/** Accuracy figures of one slice. */
export interface SliceFigures {
  n: number;
  labelAccuracy: number;
  tierAccuracy: number;
  flagshipRecall: number;
  flagshipPrecision: number;
}

/** The full report of `smart-routerd eval` (`--json` prints it as is). */
export interface EvalReport extends SliceFigures {
  expectedCalibrationError: number;
  byLang: Record<string, SliceFigures>;
  /** confusion[truth][predicted intent or "none"] = count. */
  confusion: Record<string, Record<string, number>>;
  bySource: Record<string, number>;
  worst: Array<{
    text: string;
    label: Intent;
    lang: string;
    predictedTier: Tier;
    predictedIntent: Intent | null;
    confidence: number;
    source: string;
    scores: Partial<Record<Intent, number>> | null;
  }>;
  latencyMs: { mean: number; p50: number; p99: number };
}

/** Figures of a slice: label and tier accuracy, flagship recall and precision. */
export function sliceFigures(samples: EvalSample[]): SliceFigures {
  const n = samples.length;
  let label = 0,
    tier = 0,
    flagTruth = 0,
    flagPred = 0,
    flagBoth = 0;
  for (const s of samples) {
    const truthTier = INTENT_TIER[s.label];
    if (s.predictedIntent === s.label) label++;
    if (s.predictedTier === truthTier) tier++;
    if (truthTier === 'flagship') flagTruth++;
    if (s.predictedTier === 'flagship') flagPred++;
    if (truthTier === 'flagship' && s.predictedTier === 'flagship') flagBoth++;
  }
  const r = (x: number) => Math.round(x * 10000) / 10000;
  return {
    n,
    labelAccuracy: r(n ? label / n : 0),
    tierAccuracy: r(n ? tier / n : 0),
    flagshipRecall: r(flagTruth ? flagBoth / flagTruth : 0),
    flagshipPrecision: r(flagPred ? flagBoth / flagPred : 0),
  };
}

/**
 * Expected calibration error of tier confidence: samples binned by confidence into `bins`
 * equal-width bins; ECE = Σ (|bin| / n) · |accuracy(bin) − mean confidence(bin)|.
 */
export function expectedCalibrationError(samples: EvalSample[], bins = 10): number {
  const acc = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const count = new Array<number>(bins).fill(0);
  for (const s of samples) {
    const b = Math.min(bins - 1, Math.floor(s.confidence * bins));
    count[b]!++;
    conf[b]! += s.confidence;
    if (s.predictedTier === INTENT_TIER[s.label]) acc[b]!++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += (count[b]! / samples.length) * Math.abs(acc[b]! / count[b]! - conf[b]! / count[b]!);
  return Math.round(ece * 10000) / 10000;
}

/** Builds the eval report from evaluated samples. */
export function evalReport(samples: EvalSample[]): EvalReport {
  const langs = [...new Set(samples.map((s) => s.lang))].sort();
  const confusion: Record<string, Record<string, number>> = {};
  for (const t of INTENTS) confusion[t] = Object.fromEntries([...INTENTS, 'none'].map((p) => [p, 0]));
  for (const s of samples) confusion[s.label]![s.predictedIntent ?? 'none']!++;
  const bySource: Record<string, number> = {};
  for (const s of samples) bySource[s.source] = (bySource[s.source] ?? 0) + 1;
  const wrong = samples.filter((s) => s.predictedTier !== INTENT_TIER[s.label]).sort((a, b) => b.confidence - a.confidence);
  const lat = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]! : 0);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    ...sliceFigures(samples),
    expectedCalibrationError: expectedCalibrationError(samples),
    byLang: Object.fromEntries(langs.map((l) => [l, sliceFigures(samples.filter((s) => s.lang === l))])),
    confusion,
    bySource,
    worst: wrong.slice(0, 10).map(({ text, label, lang, predictedTier, predictedIntent, confidence, source, scores }) => ({
      text,
      label,
      lang,
      predictedTier,
      predictedIntent,
      confidence,
      source,
      scores,
    })),
    latencyMs: { mean: r3(lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length)), p50: r3(pct(50)), p99: r3(pct(99)) },
  };
}
