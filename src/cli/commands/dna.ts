import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createEmbedder, spaceId } from '../../embedding/index.js';
import { isSrdError } from '../../errors.js';
import { buildSpaceDna, dnaCandidates, packageRoot, partialFile, readSeed } from '../../intent-model/index.js';
import { ProgressBar } from '../progress.js';

/** `smart-routerd dna build`: embeds the seed with the configured embedder and writes the base DNA. */
export function registerDna(program: Command): void {
  const dna = program.command('dna').description('manage the base DNA (intent vectors built from seed utterances)');
  dna
    .command('build')
    .description(
      'embed the seed utterances with the configured embedder (local or remote provider) and write the DNA of that ' +
        'embedding space (VCTR v2, <provider>-<model>-<dims>.vctr); a remote build is batched, shows progress on a ' +
        'terminal and resumes after a failure',
    )
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
      const bar = new ProgressBar(`embedding the seed with ${spaceId(embedder.space)}`);
      let resumed = 0;
      try {
        const report = await buildSpaceDna({
          embedder,
          seed,
          out,
          batchSize: config.memorySearch.remote.batchSize,
          onProgress: (p) => {
            resumed = p.cached;
            bar.update(p.done, p.total);
          },
        });
        bar.finish();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ space: embedder.space, resumedFromCache: resumed, ...report }, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `DNA for ${spaceId(embedder.space)} written to ${out} in ${report.ms} ms\n` +
            `  seed: ${report.samples} utterances from ${seed.files.length} files${resumed > 0 ? ` (${resumed} embeddings reused from an interrupted build)` : ''}\n` +
            `  held-out (${report.folds}-fold): label accuracy ${pct(report.heldOut.labelAccuracy)}, tier accuracy ${pct(report.heldOut.tierAccuracy)}, flagship recall ${pct(report.heldOut.flagshipRecall)}\n` +
            `  calibration: temperature ${report.temperature}; DNA threshold for this space ${report.threshold}\n`,
        );
      } catch (err) {
        bar.finish();
        if (!embedder.embedSync && isSrdError(err) && err.code.startsWith('SRD_ERR_EMBED')) {
          (err as Error).message += `\n  embeddings done so far are kept in ${partialFile(out)}; run \`smart-routerd dna build\` again to resume`;
        }
        throw err;
      } finally {
        await embedder.close?.();
      }
    });
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
