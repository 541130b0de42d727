import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { RemoteEmbedderOptions } from '../../src/embedding/index.js';
import type { SrdError } from '../../src/errors.js';
import { type FakeEmbeddingServer, startFakeEmbeddings } from './fake-embeddings.js';
import { FAKE_KEY, OutputCollector } from './secrets.js';

/** Options every remote embedder under test shares: 64 dims, the fake key, quick retries and timeouts. */
export const TEST_REMOTE_OPTIONS = {
  dims: 64,
  apiKey: FAKE_KEY,
  timeoutMs: 1000,
  maxRetries: 2,
  retryDelayMs: 20,
  batchTimeoutMs: 2000,
  sendDimensions: true,
  breaker: { failureThreshold: 3, cooldownMs: 30_000 },
} satisfies Partial<RemoteEmbedderOptions>;

/**
 * Registers the vitest hooks of a suite that drives remote embedders against one fake embeddings
 * server: started once, its script and request log reset before each test, every embedder passed
 * to `track` closed after each test, and at the end the server closed and every recorded output
 * checked for the key. `failure` runs `fn`, expects a rejection, records it for that check and
 * returns it with the ms it took.
 */
export function fakeEmbeddingSuite(): {
  server: () => FakeEmbeddingServer;
  track: <E extends { close(): Promise<void> }>(embedder: E) => E;
  failure: (fn: () => Promise<unknown>) => Promise<{ err: SrdError; ms: number }>;
  out: OutputCollector;
} {
  let fake: FakeEmbeddingServer;
  const out = new OutputCollector();
  const open: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    fake = await startFakeEmbeddings({ key: FAKE_KEY });
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.setDefault({ kind: 'ok' });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((e) => e.close()));
  });
  afterAll(async () => {
    await fake.close();
    out.expectNoSecret();
  });
  return {
    server: () => fake,
    track: (embedder) => {
      open.push(embedder);
      return embedder;
    },
    failure: async (fn) => {
      const t0 = performance.now();
      try {
        await fn();
      } catch (err) {
        out.add(err);
        return { err: err as SrdError, ms: performance.now() - t0 };
      }
      throw new Error('expected a rejection');
    },
    out,
  };
}
