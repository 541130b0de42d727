/**
 * The intent-model room: the DNA's whole lifecycle, from the seed utterances to the rows the router
 * scores against. Offline: seed → train → build (VCTR). Runtime: loader (find, load or build the DNA
 * of an embedding space), background build job and its worker, and `intentScores` over a scan.
 */
export { type DnaModel, dnaCandidates, dnaFileName, type IntentScores, intentScores, loadDna, packageRoot, readDnaFile } from './dna.js';
export { buildDna, type DnaBuildReport } from './dna-build.js';
export { buildSpaceDna, partialFile, type SpaceDnaOptions } from './dna-build-resumable.js';
export { DnaBuildJob, type DnaBuildStatus } from './dna-job.js';
export { findDna, loadOrBuildDna } from './dna-loader.js';
export { type EvalReport, type EvalSample, evalReport, expectedCalibrationError, type SliceFigures, sliceFigures } from './eval-metrics.js';
export { type LabelledText, parseLabelledJsonl, readSeed, type Seed } from './seed.js';
