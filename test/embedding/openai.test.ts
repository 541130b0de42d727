import { describe, expect, it } from 'vitest';
import { OpenAiEmbedder, type RemoteEmbedderOptions } from '../../src/embedding/index.js';
import { refusedPort } from '../helpers/fake-embeddings.js';
import { fakeEmbeddingSuite, TEST_REMOTE_OPTIONS } from '../helpers/remote-suite.js';
import { FAKE_KEY } from '../helpers/secrets.js';

const { server, track, failure, out } = fakeEmbeddingSuite();

function embedder(overrides: Partial<RemoteEmbedderOptions> = {}): OpenAiEmbedder {
  return track(
    new OpenAiEmbedder({
      ...TEST_REMOTE_OPTIONS,
      provider: 'openai',
      model: 'text-embedding-3-small',
      baseUrl: server().openaiBaseUrl,
      batchSize: 32,
      ...overrides,
    }),
  );
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('OpenAiEmbedder against an OpenAI-compatible server', () => {
  it('embeds one text: Bearer key, model, dimensions and float encoding in the request; a unit vector of vectorDim back', async () => {
    const v = await embedder().embed('write a quicksort in rust');
    expect(v).toBeInstanceOf(Float32Array);
    expect(v.length).toBe(64);
    expect(norm(v)).toBeCloseTo(1, 5);
    const [req] = server().requests;
    expect(req!.path).toBe('/v1/embeddings');
    expect(req!.headers.authorization).toBe(`Bearer ${FAKE_KEY}`);
    expect(req!.body).toEqual({ model: 'text-embedding-3-small', input: ['write a quicksort in rust'], encoding_format: 'float', dimensions: 64 });
  });

  it('leaves out `dimensions` when the model does not take it', async () => {
    await embedder({ sendDimensions: false }).embed('hello');
    expect(server().requests[0]!.body).not.toHaveProperty('dimensions');
  });

  it('batches embedBatch into requests of batchSize and places vectors by their index', async () => {
    const texts = Array.from({ length: 70 }, (_, i) => `message number ${i} about topic ${i % 7}`);
    const e = embedder({ batchSize: 32 });
    const vectors = await e.embedBatch(texts);
    expect(server().requests.map((r) => r.inputs)).toEqual([32, 32, 6]);
    expect(vectors).toHaveLength(70);
    // The fake answers in reverse order with explicit indexes; each vector must match its own text.
    const single = await e.embed(texts[45]!);
    expect(Array.from(vectors[45]!)).toEqual(Array.from(single));
  });

  it('reuses keep-alive connections across calls', async () => {
    const e = embedder();
    for (let i = 0; i < 20; i++) await e.embed(`text ${i}`);
    expect(server().requests).toHaveLength(20);
    // Sequential calls: undici may open a second socket while the first is being released, never one per call.
    expect(new Set(server().requests.map((r) => r.clientPort)).size).toBeLessThanOrEqual(2);
  });

  it('gives up on a slow answer at embedding.timeoutMs with SRD_ERR_EMBED_TIMEOUT', async () => {
    server().script({ kind: 'ok', delayMs: 2000 });
    const { err, ms } = await failure(() => embedder({ timeoutMs: 300 }).embed('slow'));
    expect(err.code).toBe('SRD_ERR_EMBED_TIMEOUT');
    expect(err.message).toMatch(/^openai\/text-embedding-3-small: no answer within \d+ ms from http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings$/);
    expect(ms).toBeLessThan(300 + 250);
    expect(server().requests).toHaveLength(1);
  });

  it('waits out a 429 Retry-After that fits the budget and then succeeds', async () => {
    server().script({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const e = embedder({ timeoutMs: 3000 });
    const v = await e.embed('rate limited');
    expect(v.length).toBe(64);
    expect(server().requests).toHaveLength(2);
    expect(server().requests[1]!.at - server().requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(e.breaker.snapshot().state).toBe('closed');
  });

  it('fails fast on a 429 whose Retry-After exceeds the budget, and sends nothing more until it has passed', async () => {
    server().script({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '60' },
      body: JSON.stringify({ error: { message: 'Rate limit reached for requests' } }),
    });
    const e = embedder({ timeoutMs: 1000 });
    const first = await failure(() => e.embed('busy'));
    expect(first.err.code).toBe('SRD_ERR_EMBED_RATE_LIMITED');
    expect(first.err.message).toContain('HTTP 429, Retry-After 60000 ms: Rate limit reached for requests');
    expect(first.ms).toBeLessThan(500);
    const second = await failure(() => e.embed('busy again'));
    expect(second.err.code).toBe('SRD_ERR_EMBED_UNAVAILABLE');
    expect(server().requests).toHaveLength(1);
  });

  it('retries a 500 and succeeds on the next attempt', async () => {
    server().script({ kind: 'status', status: 500 });
    const v = await embedder().embed('flaky');
    expect(v.length).toBe(64);
    expect(server().requests).toHaveLength(2);
  });

  it('gives up after maxRetries 5xx answers with the status and the provider message', async () => {
    server().setDefault({ kind: 'status', status: 503, body: JSON.stringify({ error: { message: 'overloaded' } }) });
    const { err } = await failure(() => embedder({ maxRetries: 2 }).embed('x'));
    expect(err.code).toBe('SRD_ERR_EMBED_FAILED');
    expect(err.message).toMatch(/answered HTTP 503: overloaded$/);
    expect(server().requests).toHaveLength(3);
  });

  it('does not retry a 401, says the key was rejected, and never repeats the key the server quoted', async () => {
    const wrong = `${FAKE_KEY}-wrong`;
    const { err } = await failure(() => embedder({ apiKey: wrong }).embed('x'));
    expect(err.code).toBe('SRD_ERR_EMBED_AUTH');
    expect(err.message).toMatch(/rejected the API key \(HTTP 401: Incorrect API key provided: \[redacted\]\.\); check memorySearch\.remote\.apiKey/);
    expect(err.message).not.toContain(wrong);
    expect(server().requests).toHaveLength(1);
  });

  it('says when no key is configured', async () => {
    const { err } = await failure(() => embedder({ apiKey: undefined }).embed('x'));
    expect(err.code).toBe('SRD_ERR_EMBED_AUTH');
    expect(err.message).toMatch(/no API key is configured \(memorySearch\.remote\.apiKey\)$/);
    expect(server().requests[0]!.headers.authorization).toBeUndefined();
  });

  it('rejects a body that is not JSON without retrying', async () => {
    server().script({ kind: 'malformed' });
    const { err } = await failure(() => embedder().embed('x'));
    expect(err.code).toBe('SRD_ERR_EMBED_BAD_RESPONSE');
    expect(err.message).toMatch(/answered HTTP 200 with a body that is not JSON: "<html>502 Bad Gateway<\/html>"$/);
    expect(server().requests).toHaveLength(1);
  });

  it('rejects vectors of the wrong size, naming both sizes', async () => {
    server().script({ kind: 'ok', dims: 48 });
    const { err } = await failure(() => embedder().embed('x'));
    expect(err.code).toBe('SRD_ERR_EMBED_BAD_RESPONSE');
    expect(err.message).toBe('openai/text-embedding-3-small input 0: got 48 dimensions, expected 64 (vectorStore.vectorDim)');
  });

  it('rejects values that are not finite float32 numbers', async () => {
    server().script({ kind: 'non-finite' });
    const { err } = await failure(() => embedder().embed('x'));
    expect(err.code).toBe('SRD_ERR_EMBED_BAD_RESPONSE');
    expect(err.message).toBe('openai/text-embedding-3-small input 0: value 1 is not a finite float32 (1e+39)');
  });

  it('reports connection refused as SRD_ERR_EMBED_FAILED within the budget', async () => {
    const port = await refusedPort();
    const { err, ms } = await failure(() => embedder({ baseUrl: `http://127.0.0.1:${port}/v1`, timeoutMs: 500 }).embed('x'));
    expect(err.code).toBe('SRD_ERR_EMBED_FAILED');
    expect(err.message).toBe(
      `openai/text-embedding-3-small: cannot reach http://127.0.0.1:${port}/v1/embeddings (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    expect(ms).toBeLessThan(500 + 250);
  });

  it('opens the circuit after failureThreshold failures, fails fast while open, and closes after a successful probe', async () => {
    server().setDefault({ kind: 'status', status: 500 });
    const e = embedder({ maxRetries: 0, breaker: { failureThreshold: 2, cooldownMs: 300 } });
    await failure(() => e.embed('a'));
    await failure(() => e.embed('b'));
    expect(e.breaker.snapshot().state).toBe('open');
    const sent = server().requests.length;
    const fast = await failure(() => e.embed('c'));
    expect(fast.err.code).toBe('SRD_ERR_EMBED_UNAVAILABLE');
    expect(fast.err.message).toMatch(
      /^openai\/text-embedding-3-small: circuit open after 2 consecutive failure\(s\), next try in 1 s \(last: SRD_ERR_EMBED_FAILED: .*HTTP 500/,
    );
    expect(fast.ms).toBeLessThan(20);
    expect(server().requests.length).toBe(sent);
    server().setDefault({ kind: 'ok' });
    await new Promise((r) => setTimeout(r, 320));
    expect((await e.embed('d')).length).toBe(64);
    expect(e.breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0, opens: 1 });
    expect(e.health()).toMatchObject({ ok: true, apiKey: 'set', calls: 3, failures: 2, breaker: { rejected: 1 } });
  });

  it('opens the circuit on a stalled provider so later calls cost no timeout', async () => {
    server().setDefault({ kind: 'stall' });
    const e = embedder({ timeoutMs: 200, breaker: { failureThreshold: 2, cooldownMs: 10_000 } });
    await failure(() => e.embed('a'));
    await failure(() => e.embed('b'));
    const { err, ms } = await failure(() => e.embed('c'));
    expect(err.code).toBe('SRD_ERR_EMBED_UNAVAILABLE');
    expect(ms).toBeLessThan(20);
  });

  it('counts a caller abort (the router timeout) against the breaker', async () => {
    server().setDefault({ kind: 'stall' });
    const e = embedder({ timeoutMs: 5000, breaker: { failureThreshold: 1, cooldownMs: 10_000 } });
    const { err, ms } = await failure(() => e.embed('a', AbortSignal.timeout(150)));
    expect(err.code).toBe('SRD_ERR_EMBED_TIMEOUT');
    expect(ms).toBeLessThan(400);
    expect(e.breaker.snapshot().state).toBe('open');
  });

  it('probe reports the size the model really returns', async () => {
    server().script({ kind: 'ok', dims: 96 });
    const p = await embedder({ sendDimensions: false }).probe();
    expect(p.dims).toBe(96);
  });

  it('health never contains the key and shows the baseUrl without credentials', async () => {
    const e = embedder({ baseUrl: `http://user:pw@127.0.0.1:${new URL(server().origin).port}/v1` });
    const h = e.health();
    out.add(h);
    expect(h.baseUrl).toBe(`http://127.0.0.1:${new URL(server().origin).port}/v1`);
    expect(JSON.stringify(h)).not.toContain(FAKE_KEY);
  });
});
