import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, validateConfig } from '../../src/config/index.js';
import { LocalEmbedder } from '../../src/embedding/index.js';
import { type ClassifierWeights, type DnaModel, IntentClassifier, loadOrBuildDna } from '../../src/intent-model/index.js';
import { INTENT_TIER, INTENTS, type Intent } from '../../src/intents.js';
import { KernelPool } from '../../src/kernel/index.js';
import { dnaScanner, Router, RoutingSpace } from '../../src/routing/index.js';
import { ROOT } from '../helpers/daemon.js';

// Issue 16: the intent classifier decides after user patches in the local space, falls to
// lowConfidenceTier below lowConfidenceThreshold and says so, and a broken model file leaves the
// DNA to decide.

const embedder = new LocalEmbedder();
let pool: KernelPool;
let dna: DnaModel;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'srd-router-model-'));
  pool = new KernelPool({ minThreads: 1, maxThreads: 1 });
  const found = await loadOrBuildDna(stateDir, embedder, pino({ level: 'silent' }));
  if (!found) throw new Error('no DNA: run npm run build');
  dna = found;
});

afterAll(async () => {
  await pool.close();
  rmSync(stateDir, { recursive: true, force: true });
});

/**
 * A classifier that ignores the text (every row unseen) and answers `probs` (INTENTS order):
 * its logits are log(probs) through the output bias, at temperature 1.
 */
function constantClassifier(probs: Record<Intent, number>): IntentClassifier {
  const weights: ClassifierWeights = {
    buckets: 8,
    dim: 1,
    hidden: 0,
    embedding: new Int8Array(8),
    rowScale: new Float32Array(8),
    seenFeatures: new Uint8Array(0),
    hiddenWeights: new Float32Array(0),
    hiddenBias: new Float32Array(0),
    outputWeights: new Float32Array(INTENTS.length),
    outputBias: Float32Array.from(INTENTS.map((i) => Math.log(probs[i]))),
    calibration: { temperature: 1, oodSlope: 0 },
  };
  return new IntentClassifier(weights);
}

function router(
  classifier: IntentClassifier | null,
  overrides: Record<string, unknown> = {},
  extra: Partial<ConstructorParameters<typeof Router>[0]> = {},
): Router {
  const config: Config = validateConfig(overrides, 'test');
  return new Router({ config, embedder, dna, classifier, scanDna: dnaScanner(pool, pool.loadColumns(dna.data, dna.rows, dna.dims)), ...extra });
}

const SURE_CODE = { CHAT: 0.01, FACT: 0.01, TRANS: 0.01, CODE: 0.9, REASON: 0.06, WRITE: 0.01 };
/** CODE+REASON 0.55: the flagship tier leads, but below the default threshold 0.65. */
const UNSURE = { CHAT: 0.15, FACT: 0.15, TRANS: 0.1, CODE: 0.3, REASON: 0.25, WRITE: 0.05 };

describe('the model stage', () => {
  it('decides with source "model", the tier probability as confidence and the intent probabilities as scores', async () => {
    const d = await router(constantClassifier(SURE_CODE)).route('hello there', { learn: false });
    expect([d.source, d.modelTier, d.intent, d.confidence]).toEqual(['model', 'flagship', 'CODE', 0.96]);
    expect(d.scores).toEqual(SURE_CODE);
    expect(d.reasoning).toMatch(/^intent model: CODE p=0\.90, CODE\+REASON 0\.96 \(0% of its n-grams known, out of distribution\) → flagship$/);
  });

  it('leaves the decision to the DNA when no classifier is wired', async () => {
    const d = await router(null).route('Write a Python rate limiter with the token bucket algorithm', { learn: false });
    expect(d.source).toBe('dna');
  });

  it('lets a user patch decide before the classifier', async () => {
    const hit = { id: 7, tier: 'lightweight' as const, label: null, cosine: 0.9, weight: 1, score: 0.9 };
    const d = await router(constantClassifier(SURE_CODE), {}, { searchPatches: async () => hit }).route('write a compiler', { learn: false });
    expect([d.source, d.modelTier]).toEqual(['patch', 'lightweight']);
  });

  it('still decides when the embedder fails, and says why', async () => {
    const failing = {
      ...embedder,
      space: embedder.space,
      embedSync: () => {
        throw new Error('boom');
      },
      embed: async () => embedder.embedSync(''),
      embedBatch: async () => [],
    };
    const d = await router(constantClassifier(SURE_CODE), {}, { embedder: failing }).route('hi', { learn: false });
    expect([d.source, d.modelTier]).toEqual(['model', 'flagship']);
    expect(d.reasoning).toMatch(/^embedding failed \(Error: boom\); intent model: CODE/);
  });
});

describe('low confidence', () => {
  it('with lowConfidenceTier "auto" takes the tier CODE+REASON favour and says so', async () => {
    const d = await router(constantClassifier(UNSURE)).route('hmm', { learn: false });
    expect([d.source, d.modelTier, d.intent, d.confidence]).toEqual(['model', 'flagship', 'CODE', 0.55]);
    expect(d.reasoning).toContain('low confidence (0.55 < lowConfidenceThreshold 0.65) → lowConfidenceTier auto: CODE+REASON lead → flagship');
  });

  it('with lowConfidenceTier "lightweight" routes lightweight, with that tier\'s probability and best intent', async () => {
    const d = await router(constantClassifier(UNSURE), { lowConfidenceTier: 'lightweight' }).route('hmm', { learn: false });
    expect([d.source, d.modelTier, d.intent, d.confidence]).toEqual(['model', 'lightweight', 'CHAT', 0.45]);
    expect(d.reasoning).toContain('→ lowConfidenceTier lightweight → lightweight');
  });

  it('does not fall back when the confidence reaches the threshold', async () => {
    const d = await router(constantClassifier(UNSURE), { lowConfidenceThreshold: 0.55, lowConfidenceTier: 'lightweight' }).route('hmm', { learn: false });
    expect([d.modelTier, d.reasoning.includes('low confidence')]).toEqual(['flagship', false]);
  });
});

describe('RoutingSpace', () => {
  const logger = () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = { write: (line: string) => lines.push(JSON.parse(line)) };
    return { lines, logger: pino({ level: 'debug' }, stream) };
  };

  it('routes with the shipped classifier in the local space', async () => {
    const { logger: log } = logger();
    const space = await RoutingSpace.open({ config: validateConfig({}, 'test'), stateDir, pool, logger: log });
    try {
      const d = await space.route('用Python写一个令牌桶算法的限流器', { learn: false });
      expect([d.source, d.modelTier]).toEqual(['model', INTENT_TIER.CODE]);
      expect(space.status()).toMatchObject({ classifier: { path: path.join(ROOT, 'data', 'intent-classifier.bin') } });
    } finally {
      await space.close();
    }
  });

  it('reports a corrupt model file and routes on the DNA, never failing', async () => {
    const corrupt = path.join(stateDir, 'corrupt.bin');
    writeFileSync(corrupt, 'SRDICLF1 but nothing else');
    const { lines, logger: log } = logger();
    const space = await RoutingSpace.open({ config: validateConfig({}, 'test'), stateDir, pool, logger: log, classifierFiles: [corrupt] });
    try {
      const d = await space.route('Write a Python rate limiter with the token bucket algorithm', { learn: false });
      expect([d.source, d.modelTier]).toEqual(['dna', 'flagship']);
      expect(space.status()).toMatchObject({ classifier: null });
      expect(lines).toContainEqual(expect.objectContaining({ code: 'SRD_ERR_MODEL_CORRUPT', path: corrupt, msg: 'intent classifier file unusable' }));
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'no usable intent classifier; the DNA decides', candidates: [corrupt] }));
    } finally {
      await space.close();
    }
  });

  it('leaves the DNA to decide with intentClassifier: false', async () => {
    const { logger: log } = logger();
    const space = await RoutingSpace.open({ config: validateConfig({ intentClassifier: false }, 'test'), stateDir, pool, logger: log });
    try {
      expect((await space.route('Write a Python rate limiter with the token bucket algorithm', { learn: false })).source).toBe('dna');
    } finally {
      await space.close();
    }
  });
});
