export { Router, type RouterDeps, type RouteOptions, type DnaScanner } from './router.js';
export type { RouteDecision, DecisionSource, LearningEvent } from './decision.js';
export { INTENTS, INTENT_TIER, TIERS, isIntent, isTier, type Intent, type Tier } from './intents.js';
export { matchPrefix, type PrefixMatch } from './prefix.js';
export { matchKeywords, type KeywordMatch } from './keyword-fallback.js';
export { loadDna, readDnaFile, dnaCandidates, dnaFileName, packageRoot, intentScores, type DnaModel } from './dna.js';
export { buildDna, type DnaBuildReport } from './dna-build.js';
export { readSeed, parseLabelledJsonl, type LabelledText, type Seed } from './seed.js';
export { evalReport, sliceFigures, expectedCalibrationError, type EvalReport, type EvalSample, type SliceFigures } from './metrics.js';
