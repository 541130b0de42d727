import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Config, validateConfig } from '../../src/config/index.js';
import { createEmbedder, type Embedder, LocalEmbedder } from '../../src/embedding/index.js';
import { type DnaModel, loadOrBuildDna } from '../../src/intent-model/index.js';
import { INTENTS, type RouteDecision, Router } from '../../src/routing/index.js';
import { type Behaviour, type FakeEmbeddingServer, fakeVector, refusedPort, startFakeEmbeddings } from '../helpers/fake-embeddings.js';
import { FAKE_KEY, OutputCollector } from '../helpers/secrets.js';

// Issue 6 criterion 1: whatever the provider does, a route gets a decision within
// embedding.timeoutMs plus a small bound, and `reasoning`/`source` say what happened.
const TIMEOUT_MS = 400;
const BOUND_MS = 300;
const DIMS = 64;

let fake: FakeEmbeddingServer;
let stateDir: string;
let localFallback: Router;
const out = new OutputCollector();
const open: Embedder[] = [];

function config(overrides: Record<string, unknown> = {}): Config {
  return validateConfig(
    {
      memorySearch: {
        provider: 'openai',
        model: 'text-embedding-3-small',
        remote: { apiKey: FAKE_KEY, baseUrl: fake.openaiBaseUrl, breaker: { failureThreshold: 2, cooldownMs: 60_000 } },
      },
      vectorStore: { vectorDim: DIMS },
      embedding: { timeoutMs: TIMEOUT_MS, maxRetries: 2, retryDelayMs: 30 },
      ...overrides,
    },
    'test',
  );
}

/** One DNA row per intent: the fake provider's vector of a typical message. */
function remoteDna(): DnaModel {
  const typical: Record<string, string> = {
    CHAT: 'hello how are you today friend',
    FACT: 'what is the capital of france',
    TRANS: 'translate this sentence into english',
    CODE: 'write python code function class bug',
    REASON: 'prove the theorem step by step logic',
    WRITE: 'write a poem story essay',
  };
  const data = new Float32Array(INTENTS.length * DIMS);
  INTENTS.forEach((intent, r) => {
    const v = fakeVector(typical[intent]!, DIMS);
    const n = Math.hypot(...v);
    v.forEach((x, d) => {
      data[r * DIMS + d] = x / n;
    });
  });
  return {
    path: '(test)',
    space: { provider: 'openai', model: 'text-embedding-3-small', dims: DIMS },
    rows: INTENTS.length,
    dims: DIMS,
    labels: [...INTENTS],
    data,
    temperature: 10,
    threshold: 0.2,
  };
}

const jsScan = (dna: DnaModel) => async (q: Float32Array) => {
  const scores = new Float32Array(dna.rows);
  for (let r = 0; r < dna.rows; r++) for (let d = 0; d < dna.dims; d++) scores[r]! += dna.data[r * dna.dims + d]! * q[d]!;
  return scores;
};

function router(cfg: Config, withFallback = false): Router {
  const embedder = createEmbedder(cfg);
  open.push(embedder);
  const dna = remoteDna();
  return new Router({ config: cfg, embedder, dna, scanDna: jsScan(dna), ...(withFallback ? { fallback: localFallback } : {}) });
}

async function timed(r: Router, text: string): Promise<{ d: RouteDecision; ms: number }> {
  const t0 = performance.now();
  const d = await r.route(text);
  out.add(d);
  return { d, ms: performance.now() - t0 };
}

beforeAll(async () => {
  fake = await startFakeEmbeddings({ key: FAKE_KEY });
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'srd-degrade-'));
  const local = new LocalEmbedder();
  const dna = (await loadOrBuildDna(stateDir, local, pino({ level: 'silent' })))!;
  localFallback = new Router({ config: validateConfig({}, 'test'), embedder: local, dna, scanDna: jsScan(dna) });
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.setDefault({ kind: 'ok' });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close?.()));
});
afterAll(async () => {
  await fake.close();
  rmSync(stateDir, { recursive: true, force: true });
  out.expectNoSecret();
});

describe('routing with a remote embedder', () => {
  it('routes in the remote space when the provider answers', async () => {
    const { d } = await timed(router(config()), 'write python code function for my class bug');
    expect(d).toMatchObject({ source: 'dna', intent: 'CODE', modelTier: 'flagship' });
  });

  it('routes in the remote space after a 500 that a retry got past', async () => {
    fake.script({ kind: 'status', status: 500 });
    const { d, ms } = await timed(router(config()), 'write python code function for my class bug');
    expect(d.source).toBe('dna');
    expect(ms).toBeLessThan(TIMEOUT_MS + BOUND_MS);
  });

  /** What the provider does (a behaviour of the fake, or a config pointing at a closed port), and the reason expected. */
  const refused = async () =>
    config({ memorySearch: { provider: 'openai', remote: { apiKey: FAKE_KEY, baseUrl: `http://127.0.0.1:${await refusedPort()}/v1` } } });
  const failures: Array<[string, Behaviour | (() => Promise<Config>), RegExp]> = [
    ['a response slower than timeoutMs', { kind: 'ok', delayMs: 5000 }, /embedding failed \(SRD_ERR_EMBED_TIMEOUT: /],
    ['a stalled provider', { kind: 'stall' }, /embedding failed \(SRD_ERR_EMBED_TIMEOUT: /],
    [
      '429 with a Retry-After past the budget',
      { kind: 'status', status: 429, headers: { 'retry-after': '30' } },
      /embedding failed \(SRD_ERR_EMBED_RATE_LIMITED: .*HTTP 429, Retry-After 30000 ms/,
    ],
    ['500 on every attempt', { kind: 'status', status: 500 }, /embedding failed \(SRD_ERR_EMBED_(FAILED: .*HTTP 500|TIMEOUT)/],
    [
      '401',
      { kind: 'status', status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${FAKE_KEY}` } }) },
      /embedding failed \(SRD_ERR_EMBED_AUTH: .*rejected the API key \(HTTP 401: Incorrect API key provided: \[redacted\]\)/,
    ],
    ['malformed JSON', { kind: 'malformed' }, /embedding failed \(SRD_ERR_EMBED_BAD_RESPONSE: .*not JSON/],
    ['vectors of the wrong size', { kind: 'ok', dims: 32 }, /embedding failed \(SRD_ERR_EMBED_BAD_RESPONSE: .*got 32 dimensions, expected 64/],
    ['connection refused', refused, /embedding failed \(SRD_ERR_EMBED_(FAILED: .*ECONNREFUSED|TIMEOUT)/],
  ];

  for (const [what, behaviour, reason] of failures) {
    it(`answers within timeoutMs + ${BOUND_MS} ms by keywords after ${what}, saying why`, async () => {
      let cfg: Config;
      if (typeof behaviour === 'function') cfg = await behaviour();
      else {
        fake.setDefault(behaviour);
        cfg = config();
      }
      const { d, ms } = await timed(router(cfg), 'please write python code for a function');
      expect(ms).toBeLessThan(TIMEOUT_MS + BOUND_MS);
      expect(d.source).toBe('keyword');
      expect(d.reasoning).toMatch(reason);
    });
  }

  it('fails fast once the breaker is open: no request and no timeout per message', async () => {
    fake.setDefault({ kind: 'stall' });
    const r = router(config());
    await timed(r, 'first message');
    await timed(r, 'second message');
    const sent = fake.requests.length;
    const { d, ms } = await timed(r, 'write python code for a function');
    expect(ms).toBeLessThan(50);
    expect(fake.requests.length).toBe(sent);
    expect(d.source).toBe('keyword');
    expect(d.reasoning).toMatch(/^embedding failed \(SRD_ERR_EMBED_UNAVAILABLE: openai\/text-embedding-3-small: circuit open after 2 consecutive failure\(s\)/);
  });

  it('falls back to the local embedder\'s DNA when configured, with source "local-dna"', async () => {
    fake.setDefault({ kind: 'stall' });
    const { d, ms } = await timed(router(config(), true), 'Write a Python function that parses ISO 8601 dates and add unit tests');
    expect(ms).toBeLessThan(TIMEOUT_MS + BOUND_MS);
    expect(d.source).toBe('local-dna');
    expect(d.modelTier).toBe('flagship');
    expect(d.reasoning).toMatch(/^embedding failed \(SRD_ERR_EMBED_TIMEOUT: .*\); local fallback embedder: DNA intent CODE/);
  });

  it('uses the local fallback while the remote space has no DNA yet, and says the DNA is being built', async () => {
    const cfg = config();
    const embedder = createEmbedder(cfg);
    open.push(embedder);
    const r = new Router({
      config: cfg,
      embedder,
      dna: null,
      scanDna: async () => new Float32Array(0),
      fallback: localFallback,
      dnaPending: () => 'DNA for openai/text-embedding-3-small/64 is being built (40% of the seed embedded)',
    });
    const { d } = await timed(r, 'Write a Python function that parses ISO 8601 dates and add unit tests');
    expect(d.source).toBe('local-dna');
    expect(d.reasoning).toMatch(
      /^DNA for openai\/text-embedding-3-small\/64 is being built \(40% of the seed embedded\); local fallback embedder: DNA intent CODE/,
    );
  });
});
