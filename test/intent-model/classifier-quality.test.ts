import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { LocalEmbedder } from '../../src/embedding/index.js';
import {
  type ClassifierFile,
  classifierInputDigest,
  dnaFileName,
  type EvalReport,
  type EvalSample,
  evalReport,
  IntentClassifier,
  parseLabelledJsonl,
  readClassifierFile,
  readCorpus,
  readDnaFile,
  readSeed,
} from '../../src/intent-model/index.js';
import type { Intent, Tier } from '../../src/intents.js';
import { KernelPool } from '../../src/kernel/index.js';
import { dnaScanner, type RouteDecision, Router } from '../../src/routing/index.js';
import { ROOT } from '../helpers/daemon.js';
import { jaccard, trigrams } from '../helpers/similarity.js';

// Issue 16 "It is done when" 2, on the committed corpus's dev split, through the real Router with
// the shipped classifier (data/intent-classifier.bin), the built DNA and the local embedder; and
// the failure shapes the issue names, on messages that are in neither the seed nor the corpus.

const SEED_DIR = path.join(ROOT, 'dna', 'seed');
const CORPUS = path.join(ROOT, 'corpus', 'build', 'corpus.jsonl');
const MODEL = path.join(ROOT, 'data', 'intent-classifier.bin');
/**
 * The corpus is built from public repositories by `node scripts/build-corpus.mjs` and never
 * committed (docs/quality.md): where it was not built (CI, a fresh clone) its checks are skipped and
 * the measurement set beside the project (../shared/eval) is checked instead.
 */
const HAS_CORPUS = existsSync(CORPUS);
if (!HAS_CORPUS) console.warn(`classifier-quality.test.ts: ${CORPUS} not built (node scripts/build-corpus.mjs); its dev-split checks are skipped`);
const SHARED_EVAL = path.join(ROOT, '..', 'shared', 'eval', 'openclaw-seed.jsonl');
const HAS_SHARED_EVAL = existsSync(SHARED_EVAL);

let model: ClassifierFile;
let router: Router;
let pool: KernelPool;
let dev: EvalReport;
let shared: EvalReport;

beforeAll(async () => {
  model = await readClassifierFile(MODEL);
  const embedder = new LocalEmbedder();
  const dna = await readDnaFile(path.join(ROOT, 'dna', 'build', dnaFileName(embedder.space)), embedder.space);
  pool = new KernelPool({ minThreads: 1, maxThreads: 1 });
  router = new Router({
    config: validateConfig({}, 'test'),
    embedder,
    dna,
    classifier: new IntentClassifier(model.weights),
    scanDna: dnaScanner(pool, pool.loadColumns(dna.data, dna.rows, dna.dims)),
  });
  if (HAS_CORPUS) {
    const samples: EvalSample[] = [];
    for (const r of readCorpus(CORPUS).filter((r) => r.split === 'dev')) {
      const d = await router.route(r.text, { learn: false });
      samples.push(sample(r.text, r.label, r.lang, d));
    }
    dev = evalReport(samples);
  }
  if (HAS_SHARED_EVAL) {
    const samples: EvalSample[] = [];
    for (const r of parseLabelledJsonl(readFileSync(SHARED_EVAL, 'utf8'), SHARED_EVAL, 'SRD_ERR_EVAL_INPUT')) {
      const d = await router.route(r.text, { learn: false });
      samples.push(sample(r.text, r.label, r.lang, d));
    }
    shared = evalReport(samples);
  }
});

afterAll(async () => {
  await pool.close();
});

function sample(text: string, label: Intent, lang: string, d: RouteDecision): EvalSample {
  return {
    text,
    label,
    lang,
    predictedTier: d.modelTier,
    predictedIntent: d.intent,
    confidence: d.confidence,
    source: d.source,
    latencyMs: d.latencyMs,
    scores: d.scores,
  };
}

describe.skipIf(!HAS_CORPUS)('the shipped classifier', () => {
  it('was trained from the committed seed and corpus (else run `npm run train`)', () => {
    const digest = classifierInputDigest(SEED_DIR, CORPUS);
    expect(model.header.training.inputDigest, `${MODEL} is stale: dna/seed or ${CORPUS} changed since it was trained; run \`npm run train\``).toBe(digest);
  });
});

/** Issue 16 "It is done when" 2, on one labelled set. */
function meetsTheTargets(report: () => EvalReport): void {
  it('routes ≥ 90% to the right tier and ≥ 80% to the right intent', () => {
    expect(report().tierAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(report().labelAccuracy).toBeGreaterThanOrEqual(0.8);
  });

  it('recalls ≥ 88% of both flagship and lightweight messages, and ≥ 88% of each language goes to the right tier', () => {
    expect(report().flagshipRecall).toBeGreaterThanOrEqual(0.88);
    expect(report().lightweightRecall).toBeGreaterThanOrEqual(0.88);
    for (const [lang, f] of Object.entries(report().byLang)) expect(f.tierAccuracy, lang).toBeGreaterThanOrEqual(0.88);
  });

  it('is calibrated (ECE ≤ 0.05) and sends at most 2% to the wrong tier with confidence ≥ 0.95', () => {
    expect(report().expectedCalibrationError).toBeLessThanOrEqual(0.05);
    expect(report().confidentWrongTier).toBeLessThanOrEqual(0.02);
  });

  it('beats the always-lightweight baseline on tier accuracy', () => {
    expect(report().tierAccuracy).toBeGreaterThan(report().baseline.tierAccuracy + 0.2);
  });
}

// Measurement only: the project never trains on or copies from ../shared/eval (its README).
describe.skipIf(!HAS_SHARED_EVAL)('the measurement set ../shared/eval/openclaw-seed.jsonl (issue 16 "It is done when" 2)', () => {
  it('is routed in both languages', () => {
    expect(shared.n).toBe(824);
    expect(Object.keys(shared.byLang).sort()).toEqual(['en', 'zh']);
  });
  meetsTheTargets(() => shared);
});

describe.skipIf(!HAS_CORPUS)('the corpus dev split (issue 16 "It is done when" 2)', () => {
  it('is decided by the classifier, in both languages', () => {
    expect(dev.n).toBeGreaterThan(1000);
    expect(Object.keys(dev.byLang).sort()).toEqual(['en', 'zh']);
  });

  meetsTheTargets(() => dev);
});

/** The failure shapes issue 16 names, as messages of our own (none in the seed or corpus; checked below). */
const SHAPES: Array<{ shape: string; text: string; tier: Tier; not?: Intent; intent?: Intent }> = [
  { shape: 'explain <concept> is not CODE', text: 'Explain gravity', tier: 'lightweight', not: 'CODE' },
  { shape: 'explain <concept> is not CODE', text: 'Explain supply and demand', tier: 'lightweight', not: 'CODE' },
  { shape: 'explain <concept> is not CODE', text: 'Explain the Meiji Restoration', tier: 'lightweight', not: 'CODE' },
  { shape: 'explain <concept> is not CODE', text: '解释一下什么是万有引力', tier: 'lightweight', not: 'CODE' },
  { shape: 'Chinese maths word problem → REASON', text: '1到300之间能被3整除的数一共有多少个？它们的和是多少？', tier: 'flagship', intent: 'REASON' },
  {
    shape: 'Chinese maths word problem → REASON',
    text: '小丽买了3支钢笔和5本练习本，一共付了47元，一支钢笔比一本练习本贵5元，每支钢笔多少钱？',
    tier: 'flagship',
    intent: 'REASON',
  },
  {
    shape: 'Chinese maths word problem → REASON',
    text: '一辆客车和一辆货车从相距450千米的两地同时出发，相向而行，3小时后相遇，客车每小时比货车快10千米，货车每小时行多少千米？',
    tier: 'flagship',
    intent: 'REASON',
  },
  { shape: 'trivial arithmetic → lightweight', text: 'How much is 35 percent of 260?', tier: 'lightweight' },
  { shape: 'trivial arithmetic → lightweight', text: 'what is 9 plus 16', tier: 'lightweight' },
  { shape: 'trivial arithmetic → lightweight', text: '8乘以7是多少？', tier: 'lightweight' },
  { shape: 'negation → lightweight', text: 'Do not analyze the tradeoffs; answer briefly: which is older, Oxford or Cambridge?', tier: 'lightweight' },
  { shape: 'negation → lightweight', text: "Don't reason it out step by step, just tell me the boiling point of ethanol.", tier: 'lightweight' },
  { shape: 'negation → lightweight', text: '不用深入分析，简单回答一下：长城有多长？', tier: 'lightweight' },
];

describe('the failure shapes issue 16 names', () => {
  it.each(SHAPES)('$shape: $text', async ({ text, tier, not, intent }) => {
    const d = await router.route(text, { learn: false });
    expect(d.source).toBe('model');
    expect(d.modelTier, d.reasoning).toBe(tier);
    if (not) expect(d.intent, d.reasoning).not.toBe(not);
    if (intent) expect(d.intent, d.reasoning).toBe(intent);
  });

  it('uses messages that are in neither the seed nor the corpus (where built), nor a close paraphrase (character-trigram Jaccard < 0.5)', () => {
    const training = [...readSeed(SEED_DIR).records, ...(HAS_CORPUS ? readCorpus(CORPUS) : [])].map((r) => trigrams(r.text));
    const close = SHAPES.map(({ text }) => {
      const g = trigrams(text);
      let best = 0;
      for (const h of training) best = Math.max(best, jaccard(g, h));
      return { text, best };
    }).filter((c) => c.best >= 0.5);
    expect(close).toEqual([]);
  });
});
