import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../config/index.js';
import { buildClassifier, CLASSIFIER_FILE_NAME, classifierCandidates, DEFAULT_TRAIN_OPTIONS, packageRoot } from '../../intent-model/index.js';

/** The corpus builder's output (scripts/build-corpus.mjs), relative to the package root. */
const CORPUS_FILE = path.join('corpus', 'build', 'corpus.jsonl');

/** `smart-routerd train` (npm run train): trains the intent classifier from the corpus and the seed. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'train the intent classifier (hashed n-gram embeddings + softmax) on the corpus train split and the DNA seed, ' +
        'calibrate it on the calib split, measure it on the dev split and write it; deterministic (same inputs, same bytes)',
    )
    .option('--corpus <file>', `corpus JSONL ({text,label,lang,source,split}); default <package>/${CORPUS_FILE} when it exists`)
    .option('--no-corpus', 'train on the seed alone (calibrated on a held-out tenth of it)')
    .option('--seed <dir>', 'directory of {text,label,lang} JSONL seed files', path.join(packageRoot(), 'dna', 'seed'))
    .option('--out <file>', `output file (default <package>/data/${CLASSIFIER_FILE_NAME}, the shipped model)`)
    .option('--state-model', `write <state-dir>/model/${CLASSIFIER_FILE_NAME} instead (loaded before the shipped one)`)
    .option('--epochs <n>', `passes over the training texts (default ${DEFAULT_TRAIN_OPTIONS.epochs})`, positiveInt)
    .option('--dim <n>', `embedding width (default ${DEFAULT_TRAIN_OPTIONS.dim})`, positiveInt)
    .option('--buckets <n>', `hash buckets, a power of two (default ${DEFAULT_TRAIN_OPTIONS.buckets})`, positiveInt)
    .option('--hidden <n>', `width of the ReLU layer, 0 = none (default ${DEFAULT_TRAIN_OPTIONS.hidden})`, nonNegativeInt)
    .option('--json', 'print the training report as JSON')
    .action(async (opts: TrainOpts, cmd: Command) => {
      const { paths } = loadConfig(cmd.optsWithGlobals());
      const defaultCorpus = path.join(packageRoot(), CORPUS_FILE);
      const corpusFile = opts.corpus === false ? null : typeof opts.corpus === 'string' ? opts.corpus : existsSync(defaultCorpus) ? defaultCorpus : null;
      if (corpusFile === null && opts.corpus !== false) {
        // Training on the seed alone would replace the shipped model with a much weaker one: only on request.
        process.stderr.write(
          `smart-routerd train: ${defaultCorpus} is not built; build it with \`node scripts/build-corpus.mjs\` (reads the pinned public sources: docs/quality.md), pass --corpus <file>, or --no-corpus to train on the seed alone\n`,
        );
        process.exitCode = 1;
        return;
      }
      const out = opts.out ?? (opts.stateModel ? classifierCandidates(paths.stateDir)[0]! : path.join(packageRoot(), 'data', CLASSIFIER_FILE_NAME));
      const train = Object.fromEntries(
        Object.entries({ epochs: opts.epochs, dim: opts.dim, buckets: opts.buckets, hidden: opts.hidden }).filter(([, v]) => v !== undefined),
      );
      const report = await buildClassifier({
        seedDir: opts.seed,
        corpusFile,
        out,
        train,
        onProgress: (message) => process.stderr.write(`smart-routerd train: ${message}\n`),
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const dev = report.dev;
      process.stdout.write(
        `intent classifier written to ${report.out} (${(report.bytes / 1024).toFixed(0)} KiB) in ${(report.ms / 1000).toFixed(1)} s\n` +
          `  texts: ${report.texts.train} train, ${report.texts.calib} calib, ${report.texts.dev} dev${corpusFile ? ` (corpus ${corpusFile})` : ' (seed only)'}\n` +
          `  calibration: temperature ${report.calibration.temperature.toFixed(3)}, OOD slope ${report.calibration.oodSlope}\n` +
          (dev
            ? `  dev split: tier ${pct(dev.tierAccuracy)}, label ${pct(dev.labelAccuracy)}, flagship recall ${pct(dev.flagshipRecall)}, lightweight recall ${pct(dev.lightweightRecall)}, ECE ${dev.expectedCalibrationError}\n`
            : ''),
      );
    });
}

interface TrainOpts {
  corpus?: string | false;
  seed: string;
  out?: string;
  stateModel?: boolean;
  epochs?: number;
  dim?: number;
  buckets?: number;
  hidden?: number;
  json?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive integer (got "${value}")`);
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`must be a non-negative integer (got "${value}")`);
  return n;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
