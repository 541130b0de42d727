import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createEmbedder, spaceId } from '../../embedding/index.js';
import { buildDna, dnaCandidates, packageRoot, readSeed } from '../../routing/index.js';

/** `smart-routerd dna build`: embeds the seed and writes the base DNA. */
export function registerDna(program: Command): void {
  const dna = program.command('dna').description('manage the base DNA (intent vectors built from seed utterances)');
  dna
    .command('build')
    .description('embed the seed utterances with the configured embedder and write the base DNA (VCTR v2)')
    .option('--seed <dir>', 'directory of {text,label,lang} JSONL seed files', path.join(packageRoot(), 'dna', 'seed'))
    .option('--out <file>', 'output file (default: <state-dir>/dna/<provider>-<model>-<dims>.vctr)')
    .option('--package', "write into the package's dna/build/ (what `npm install` does)")
    .option('--json', 'print the build report as JSON')
    .action(async (opts: { seed: string; out?: string; package?: boolean; json?: boolean }, cmd: Command) => {
      const { config, paths } = loadConfig(cmd.optsWithGlobals());
      const embedder = createEmbedder(config);
      const [stateFile, packageFile] = dnaCandidates(paths.stateDir, embedder.space);
      const out = opts.out ?? (opts.package ? packageFile! : stateFile!);
      const seed = readSeed(opts.seed);
      const report = await buildDna({ embedder, seed, out });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ space: embedder.space, ...report }, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `DNA for ${spaceId(embedder.space)} written to ${out} in ${report.ms} ms\n` +
          `  seed: ${report.samples} utterances from ${seed.files.length} files\n` +
          `  held-out (${report.folds}-fold): label accuracy ${pct(report.heldOut.labelAccuracy)}, tier accuracy ${pct(report.heldOut.tierAccuracy)}, flagship recall ${pct(report.heldOut.flagshipRecall)}\n` +
          `  calibration: temperature ${report.temperature}; DNA threshold for this space ${report.threshold}\n`,
      );
    });
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
