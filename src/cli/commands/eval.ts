import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../daemon/index.js';
import { createEmbedder } from '../../embedding/index.js';
import { type EvalReport, type EvalSample, evalReport, loadOrBuildDna, parseLabelledJsonl } from '../../intent-model/index.js';
import { INTENT_TIER } from '../../intents.js';
import { KernelPool } from '../../kernel/index.js';
import { dnaScanner, INTENTS, Router } from '../../routing/index.js';

/** `smart-routerd eval <file>`: routing quality on labelled data, in-process (no daemon needed). */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('route every line of a {text,label,lang} JSONL file in-process and report accuracy, recall, calibration and latency')
    .argument('<file>', 'labelled JSONL file')
    .option(
      '--json',
      'print the report as JSON (keys n, labelAccuracy, tierAccuracy, flagshipRecall, flagshipPrecision, expectedCalibrationError, byLang, confusion, worst, latencyMs)',
    )
    .option('--items <out.jsonl>', 'also write one JSON line per item: textHash, lang, source, label and tier (true and predicted), confidence, decidedBy')
    .action(async (file: string, opts: { json?: boolean; items?: string }, cmd: Command) => {
      const { config, paths } = loadConfig(cmd.optsWithGlobals());
      const records = parseLabelledJsonl(readFileSync(file, 'utf8'), file, 'SRD_ERR_EVAL_INPUT');
      const logger = createLogger('warn');
      const embedder = createEmbedder(config);
      const pool = new KernelPool({ minThreads: 1, maxThreads: 1 });
      try {
        const dna = await loadOrBuildDna(paths.stateDir, embedder, logger);
        const region = dna ? pool.loadColumns(dna.data, dna.rows, dna.dims) : null;
        const router = new Router({
          config,
          embedder,
          dna,
          scanDna: dnaScanner(pool, region!),
        });
        const samples: EvalSample[] = [];
        for (const r of records) {
          const d = await router.route(r.text, { learn: false });
          samples.push({
            text: r.text,
            label: r.label,
            lang: r.lang,
            predictedTier: d.modelTier,
            predictedIntent: d.intent,
            confidence: d.confidence,
            source: d.source,
            latencyMs: d.latencyMs,
            scores: d.scores,
          });
        }
        if (opts.items) {
          // One line per item, for studying errors (issue 16); the text itself is not written, only its SHA-256.
          const lines = samples.map((s, i) =>
            JSON.stringify({
              textHash: createHash('sha256').update(s.text.normalize('NFKC'), 'utf8').digest('hex'),
              lang: s.lang,
              source: records[i]!.source ?? null,
              label: s.label,
              tier: INTENT_TIER[s.label],
              predictedLabel: s.predictedIntent,
              predictedTier: s.predictedTier,
              confidence: s.confidence,
              decidedBy: s.source,
              correctTier: INTENT_TIER[s.label] === s.predictedTier,
            }),
          );
          writeFileSync(opts.items, `${lines.join('\n')}\n`);
          process.stderr.write(`smart-routerd eval: ${lines.length} items written to ${opts.items}\n`);
        }
        const report = evalReport(samples);
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(file, report));
      } finally {
        await pool.close();
      }
    });
}

function formatReport(file: string, r: EvalReport): string {
  const p = (x: number) => `${(x * 100).toFixed(1)}%`;
  const out = [
    `${file}: ${r.n} messages`,
    `  tier accuracy     ${p(r.tierAccuracy)}`,
    `  label accuracy    ${p(r.labelAccuracy)}`,
    `  flagship recall   ${p(r.flagshipRecall)}   precision ${p(r.flagshipPrecision)}`,
    `  calibration (ECE) ${r.expectedCalibrationError.toFixed(3)}`,
    `  routing time      mean ${r.latencyMs.mean} ms, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`,
    `  decided by        ${Object.entries(r.bySource)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '  by language:',
    ...Object.entries(r.byLang).map(
      ([l, f]) =>
        `    ${l.padEnd(4)} n=${String(f.n).padEnd(5)} tier ${p(f.tierAccuracy)}  label ${p(f.labelAccuracy)}  flagship recall ${p(f.flagshipRecall)}`,
    ),
    '  confusion (rows: truth, columns: predicted intent):',
    `    ${''.padEnd(7)}${[...INTENTS, 'none'].map((c) => c.padStart(7)).join('')}`,
    ...INTENTS.map((t) => `    ${t.padEnd(7)}${[...INTENTS, 'none'].map((c) => String(r.confusion[t]![c]).padStart(7)).join('')}`),
    '  worst misroutes (wrong tier, most confident first):',
    ...r.worst.map(
      (w) => `    [${w.label}→${w.predictedIntent ?? w.source} ${w.predictedTier} ${w.confidence.toFixed(2)}] ${w.text.replace(/\s+/g, ' ').slice(0, 90)}`,
    ),
  ];
  return `${out.join('\n')}\n`;
}
