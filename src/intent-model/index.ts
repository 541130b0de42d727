/**
 * The intent-model room: the DNA's whole lifecycle, from the seed utterances to the rows the router
 * scores against. Offline: seed → train → build (VCTR). Runtime: loader (find, load or build the DNA
 * of an embedding space), background build job and its worker, and `intentScores` over a scan.
 */
export { loadDna, readDnaFile, dnaCandidates, dnaFileName, packageRoot, intentScores, type DnaModel, type IntentScores } from './dna.js';
export { buildDna, type DnaBuildReport } from './dna-build.js';
export { buildSpaceDna, partialFile, type SpaceDnaOptions } from './dna-build-resumable.js';
export { readSeed, parseLabelledJsonl, type LabelledText, type Seed } from './seed.js';
export { evalReport, sliceFigures, expectedCalibrationError, type EvalReport, type EvalSample, type SliceFigures } from './eval-metrics.js';
export { findDna, loadOrBuildDna } from './dna-loader.js';
export { DnaBuildJob, type DnaBuildStatus } from './dna-job.js';
