import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BatchProgress, OpenAiEmbedder, ResumableBatchEmbedder } from '../../src/embedding/index.js';
import { type FakeEmbeddingServer, startFakeEmbeddings } from '../helpers/fake-embeddings.js';

let fake: FakeEmbeddingServer;
let dir: string;
const open: OpenAiEmbedder[] = [];

const inner = (dims = 32) => {
  const e = new OpenAiEmbedder({
    provider: 'custom',
    model: 'fake-embed',
    dims,
    baseUrl: fake.openaiBaseUrl,
    timeoutMs: 1000,
    maxRetries: 0,
    retryDelayMs: 10,
    batchSize: 10,
    batchTimeoutMs: 2000,
    sendDimensions: true,
    breaker: { failureThreshold: 100, cooldownMs: 100 },
  });
  open.push(e);
  return e;
};
const texts = Array.from({ length: 45 }, (_, i) => `seed utterance number ${i}`);

beforeAll(async () => {
  fake = await startFakeEmbeddings();
});
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'srd-resume-'));
  fake.requests.length = 0;
  fake.setDefault({ kind: 'ok' });
});
afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all(open.splice(0).map((e) => e.close()));
});
afterAll(() => fake.close());

describe('ResumableBatchEmbedder', () => {
  it('after a failure half-way, a second run embeds only what the first did not, with the same vectors', async () => {
    const cacheFile = path.join(dir, 'dna', 'x.vctr.partial');
    fake.script({ kind: 'ok' }, { kind: 'ok' }, { kind: 'status', status: 401 });
    const progress: BatchProgress[] = [];
    const first = new ResumableBatchEmbedder(inner(), { cacheFile, batchSize: 10, onProgress: (p) => progress.push(p) });
    await expect(first.embedBatch(texts)).rejects.toMatchObject({ code: 'SRD_ERR_EMBED_AUTH' });
    expect(progress.map((p) => p.done)).toEqual([0, 10, 20]);
    expect(statSync(cacheFile).mode & 0o777).toBe(0o600);

    fake.requests.length = 0;
    const second = new ResumableBatchEmbedder(inner(), { cacheFile, batchSize: 10, onProgress: (p) => progress.push(p) });
    const vectors = await second.embedBatch(texts);
    expect(fake.requests.map((r) => r.inputs)).toEqual([10, 10, 5]);
    expect(progress.at(-1)).toEqual({ done: 45, total: 45, cached: 20 });
    const direct = await inner().embedBatch(texts);
    expect(vectors.map((v) => Array.from(v))).toEqual(direct.map((v) => Array.from(v)));
    await second.discard();
    expect(() => readFileSync(cacheFile)).toThrow(/ENOENT/);
  });

  it('drops a torn tail record and re-embeds only that text', async () => {
    const cacheFile = path.join(dir, 'c.partial');
    await new ResumableBatchEmbedder(inner(), { cacheFile, batchSize: 10 }).embedBatch(texts.slice(0, 20));
    truncateSync(cacheFile, statSync(cacheFile).size - 7);
    fake.requests.length = 0;
    await new ResumableBatchEmbedder(inner(), { cacheFile, batchSize: 10 }).embedBatch(texts.slice(0, 20));
    expect(fake.requests.map((r) => r.inputs)).toEqual([1]);
  });

  it('ignores a cache of another embedding space', async () => {
    const cacheFile = path.join(dir, 'c.partial');
    await new ResumableBatchEmbedder(inner(32), { cacheFile, batchSize: 10 }).embedBatch(texts.slice(0, 10));
    fake.requests.length = 0;
    const vectors = await new ResumableBatchEmbedder(inner(16), { cacheFile, batchSize: 10 }).embedBatch(texts.slice(0, 10));
    expect(fake.requests.map((r) => r.inputs)).toEqual([10]);
    expect(vectors[0]!.length).toBe(16);
  });
});
