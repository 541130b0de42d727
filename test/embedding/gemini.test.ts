import { describe, expect, it } from 'vitest';
import { GeminiEmbedder, type RemoteEmbedderOptions } from '../../src/embedding/index.js';
import { fakeEmbeddingSuite, TEST_REMOTE_OPTIONS } from '../helpers/remote-suite.js';
import { FAKE_KEY } from '../helpers/secrets.js';

const { server, track, failure } = fakeEmbeddingSuite();

function embedder(overrides: Partial<RemoteEmbedderOptions> = {}): GeminiEmbedder {
  return track(
    new GeminiEmbedder({
      ...TEST_REMOTE_OPTIONS,
      provider: 'gemini',
      model: 'gemini-embedding-001',
      baseUrl: server().geminiBaseUrl,
      batchSize: 250,
      ...overrides,
    }),
  );
}

describe('GeminiEmbedder against a Gemini API server', () => {
  it('calls batchEmbedContents with the key in x-goog-api-key (never in the URL) and outputDimensionality', async () => {
    const v = await embedder().embed('翻译成英文：今天天气很好');
    expect(v.length).toBe(64);
    const [req] = server().requests;
    expect(req!.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(req!.path).not.toContain(FAKE_KEY);
    expect(req!.headers['x-goog-api-key']).toBe(FAKE_KEY);
    expect(req!.body).toEqual({
      requests: [
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: '翻译成英文：今天天气很好' }] },
          taskType: 'CLASSIFICATION',
          outputDimensionality: 64,
        },
      ],
    });
  });

  it('accepts a model written as models/<name>', async () => {
    await embedder({ model: 'models/gemini-embedding-001' }).embed('x');
    expect(server().requests[0]!.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
  });

  it('caps batches at the API limit of 100 requests whatever batchSize says', async () => {
    const vectors = await embedder({ batchSize: 250 }).embedBatch(Array.from({ length: 230 }, (_, i) => `text ${i}`));
    expect(vectors).toHaveLength(230);
    expect(server().requests.map((r) => r.inputs)).toEqual([100, 100, 30]);
  });

  it("treats Gemini's 400 API_KEY_INVALID as an auth error: no retry, key scrubbed", async () => {
    const { err } = await failure(() => embedder({ apiKey: 'AIzaSyWRONGWRONGWRONGWRONGWRONGWRONG12' }).embed('x'));
    expect(err.code).toBe('SRD_ERR_EMBED_AUTH');
    expect(err.message).toContain('rejected the API key (HTTP 400: API key not valid: [redacted]. Please pass a valid API key.)');
    expect(server().requests).toHaveLength(1);
  });

  it('retries a 503 and then succeeds', async () => {
    server().script({ kind: 'status', status: 503 });
    expect((await embedder().embed('x')).length).toBe(64);
    expect(server().requests).toHaveLength(2);
  });

  it('rejects an answer with the wrong number of embeddings', async () => {
    server().script({ kind: 'status', status: 200, body: JSON.stringify({ embeddings: [] }) });
    const { err } = await failure(() => embedder().embed('x'));
    expect(err.code).toBe('SRD_ERR_EMBED_BAD_RESPONSE');
    expect(err.message).toBe('gemini/gemini-embedding-001: the batchEmbedContents response has 0 embeddings for 1 inputs');
  });
});
