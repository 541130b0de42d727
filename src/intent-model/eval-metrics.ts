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

/** Accuracy and calibration figures of one slice (issue 16 "It is done when" 2 names each). */
export interface SliceFigures {
  n: number;
  labelAccuracy: number;
  tierAccuracy: number;
  flagshipRecall: number;
  flagshipPrecision: number;
  /** Share of lightweight-tier messages routed lightweight. */
  lightweightRecall: number;
  /** ECE of the tier confidence (10 equal-width bins). */
  expectedCalibrationError: number;
  /** Share of all messages routed to the wrong tier with confidence ≥ 0.95. */
  confidentWrongTier: number;
}

/** A slice's figures and, beside them, those of the always-lightweight router on the same messages. */
export interface SliceReport extends SliceFigures {
  /**
   * Always-lightweight: every message lightweight, intent the slice's most common lightweight
   * label, confidence the slice's lightweight share (the best constant, so its ECE is 0).
   */
  baseline: SliceFigures;
}

/** The full report of `smart-routerd eval` (`--json` prints it as is). */
export interface EvalReport extends SliceReport {
  byLang: Record<string, SliceReport>;
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

/** Confidence from which a wrong-tier decision counts as confidently wrong (issue 16). */
export const CONFIDENT = 0.95;

/** Figures of a slice: label and tier accuracy, recall of both tiers, flagship precision, ECE, confidently wrong share. */
export function sliceFigures(samples: EvalSample[]): SliceFigures {
  const n = samples.length;
  let label = 0,
    tier = 0,
    flagTruth = 0,
    flagPred = 0,
    flagBoth = 0,
    lightTruth = 0,
    lightBoth = 0,
    confidentWrong = 0;
  for (const s of samples) {
    const truthTier = INTENT_TIER[s.label];
    if (s.predictedIntent === s.label) label++;
    if (s.predictedTier === truthTier) tier++;
    else if (s.confidence >= CONFIDENT) confidentWrong++;
    if (truthTier === 'flagship') flagTruth++;
    else lightTruth++;
    if (s.predictedTier === 'flagship') flagPred++;
    if (truthTier === 'flagship' && s.predictedTier === 'flagship') flagBoth++;
    if (truthTier === 'lightweight' && s.predictedTier === 'lightweight') lightBoth++;
  }
  const r = (x: number) => Math.round(x * 10000) / 10000;
  return {
    n,
    labelAccuracy: r(n ? label / n : 0),
    tierAccuracy: r(n ? tier / n : 0),
    flagshipRecall: r(flagTruth ? flagBoth / flagTruth : 0),
    flagshipPrecision: r(flagPred ? flagBoth / flagPred : 0),
    lightweightRecall: r(lightTruth ? lightBoth / lightTruth : 0),
    expectedCalibrationError: expectedCalibrationError(samples),
    confidentWrongTier: r(n ? confidentWrong / n : 0),
  };
}

/** The always-lightweight router's figures on the same messages (SliceReport.baseline). */
export function baselineFigures(samples: EvalSample[]): SliceFigures {
  const counts = new Map<Intent, number>();
  for (const s of samples) if (INTENT_TIER[s.label] === 'lightweight') counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
  let common: Intent | null = null;
  for (const intent of INTENTS) if ((counts.get(intent) ?? 0) > (common ? counts.get(common)! : 0)) common = intent;
  const lightShare = samples.length ? [...counts.values()].reduce((a, b) => a + b, 0) / samples.length : 0;
  return sliceFigures(samples.map((s) => ({ ...s, predictedTier: 'lightweight', predictedIntent: common, confidence: lightShare })));
}

function sliceReport(samples: EvalSample[]): SliceReport {
  return { ...sliceFigures(samples), baseline: baselineFigures(samples) };
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
    ...sliceReport(samples),
    byLang: Object.fromEntries(langs.map((l) => [l, sliceReport(samples.filter((s) => s.lang === l))])),
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
