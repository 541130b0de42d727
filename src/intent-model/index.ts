/**
 * The intent-model room: the DNA's whole lifecycle, from the seed utterances to the rows the router
 * scores against. Offline: seed → train → build (VCTR). Runtime: loader (find, load or build the DNA
 * of an embedding space), background build job and its worker, and `intentScores` over a scan.
 * The supervised intent classifier (issue 16): train (`npm run train`), its file, and inference.
 */
export {
  type ClassifierCalibration,
  type ClassifierPrediction,
  type ClassifierWeights,
  calibratedProbabilities,
  FeatureHasher,
  IntentClassifier,
} from './classifier.js';
export {
  buildClassifier,
  type ClassifierBuildOptions,
  type ClassifierBuildReport,
  classifierDecision,
  classifierInputDigest,
  readCorpus,
} from './classifier-build.js';
export { fitCalibration, fitCalibrationScores, ScoredTexts } from './classifier-calibrate.js';
export {
  CLASSIFIER_FILE_NAME,
  type ClassifierFile,
  type ClassifierHeader,
  classifierCandidates,
  decodeClassifier,
  encodeClassifier,
  findClassifierFile,
  type LoadedClassifier,
  loadClassifier,
  readClassifierFile,
} from './classifier-file.js';
export { type ClassifierTrainOptions, DEFAULT_TRAIN_OPTIONS, type TrainingText, trainClassifier } from './classifier-train.js';
export { type DnaModel, dnaCandidates, dnaFileName, type IntentScores, intentScores, loadDna, packageRoot, readDnaFile } from './dna.js';
export { buildDna, type DnaBuildReport } from './dna-build.js';
export { buildSpaceDna, partialFile, type SpaceDnaOptions } from './dna-build-resumable.js';
export { DnaBuildJob, type DnaBuildStatus } from './dna-job.js';
export { findDna, loadOrBuildDna } from './dna-loader.js';
export {
  baselineFigures,
  CONFIDENT,
  type EvalReport,
  type EvalSample,
  evalReport,
  expectedCalibrationError,
  type SliceFigures,
  type SliceReport,
  sliceFigures,
} from './eval-metrics.js';
export { type LabelledText, parseLabelledJsonl, readSeed, type Seed } from './seed.js';
