import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../daemon/index.js';
import { createEmbedder } from '../../embedding/index.js';
import { SrdError } from '../../errors.js';
import {
  classifierCandidates,
  type EvalReport,
  type EvalSample,
  evalReport,
  loadClassifier,
  loadOrBuildDna,
  parseLabelledJsonl,
  type SliceFigures,
  type SliceReport,
} from '../../intent-model/index.js';
import { INTENT_TIER } from '../../intents.js';
import { KernelPool } from '../../kernel/index.js';
import { dnaScanner, INTENTS, Router } from '../../routing/index.js';

/** `smart-routerd eval <file>`: routing quality on labelled data, in-process (no daemon needed). */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'route every line of a {text,label,lang} JSONL file in-process (the router a daemon with this config would run) and report ' +
        'accuracy, recall of both tiers, calibration and latency, each beside the always-lightweight baseline',
    )
    .argument('<file>', 'labelled JSONL file')
    .option(
      '--json',
      'print the report as JSON (keys n, labelAccuracy, tierAccuracy, flagshipRecall, flagshipPrecision, lightweightRecall, expectedCalibrationError, ' +
        'confidentWrongTier, baseline, byLang, confusion, worst, latencyMs)',
    )
    .option('--split <name>', 'evaluate only the lines whose "split" is <name> (a corpus file: train, calib or dev)')
    .option('--items <out.jsonl>', 'also write one JSON line per item: textHash, lang, source, label and tier (true and predicted), confidence, decidedBy')
    .action(async (file: string, opts: { json?: boolean; items?: string; split?: string }, cmd: Command) => {
      const { config, paths } = loadConfig(cmd.optsWithGlobals());
      let records = parseLabelledJsonl(readFileSync(file, 'utf8'), file, 'SRD_ERR_EVAL_INPUT');
      if (opts.split !== undefined) {
        records = records.filter((r) => r.split === opts.split);
        if (records.length === 0) throw new SrdError('SRD_ERR_EVAL_INPUT', `${file}: no line has "split": ${JSON.stringify(opts.split)}`);
      }
      const logger = createLogger('warn');
      const embedder = createEmbedder(config);
      const pool = new KernelPool({ minThreads: 1, maxThreads: 1 });
      try {
        const dna = await loadOrBuildDna(paths.stateDir, embedder, logger);
        const region = dna ? pool.loadColumns(dna.data, dna.rows, dna.dims) : null;
        // As RoutingSpace.open: the classifier is the local space's model when config.intentClassifier is on.
        const classifier =
          config.intentClassifier && embedder.space.provider === 'local' ? await loadClassifier(classifierCandidates(paths.stateDir), logger) : null;
        const router = new Router({
          config,
          embedder,
          dna,
          classifier: classifier?.classifier ?? null,
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
        const title = opts.split === undefined ? file : `${file} (split ${opts.split})`;
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(title, report));
      } finally {
        await pool.close();
      }
    });
}

function formatReport(file: string, r: EvalReport): string {
  const p = (x: number) => `${(x * 100).toFixed(1)}%`;
  const b = r.baseline;
  const row = (name: string, value: string, baseline: string) => `  ${name.padEnd(30)}${value.padStart(8)}   ${baseline.padStart(8)}`;
  const out = [
    `${file}: ${r.n} messages`,
    `  ${''.padEnd(30)}${'router'.padStart(8)}   ${'always-lightweight'}`,
    row('tier accuracy', p(r.tierAccuracy), p(b.tierAccuracy)),
    row('label accuracy', p(r.labelAccuracy), p(b.labelAccuracy)),
    row('flagship recall', p(r.flagshipRecall), p(b.flagshipRecall)),
    row('lightweight recall', p(r.lightweightRecall), p(b.lightweightRecall)),
    row('flagship precision', p(r.flagshipPrecision), p(b.flagshipPrecision)),
    row('calibration (ECE, tier)', r.expectedCalibrationError.toFixed(3), b.expectedCalibrationError.toFixed(3)),
    row('wrong tier, confidence ≥ 0.95', p(r.confidentWrongTier), p(b.confidentWrongTier)),
    ...Object.entries(r.byLang).map(([l, f]: [string, SliceReport]) => row(`tier accuracy, ${l} (n=${f.n})`, p(f.tierAccuracy), p(f.baseline.tierAccuracy))),
    `  routing time      mean ${r.latencyMs.mean} ms, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`,
    `  decided by        ${Object.entries(r.bySource)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '  by language:',
    ...Object.entries(r.byLang).map(([l, f]) => `    ${l.padEnd(4)} n=${String(f.n).padEnd(5)} ${langLine(f)}`),
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

function langLine(f: SliceFigures): string {
  const p = (x: number) => `${(x * 100).toFixed(1)}%`;
  return (
    `tier ${p(f.tierAccuracy)}  label ${p(f.labelAccuracy)}  flagship recall ${p(f.flagshipRecall)}  ` +
    `lightweight recall ${p(f.lightweightRecall)}  ECE ${f.expectedCalibrationError.toFixed(3)}  wrong ≥0.95 ${p(f.confidentWrongTier)}`
  );
}
