import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelPool } from '../../dist/kernel/index.js';
import { MemoryStore, PatchIndex, PatchSearch } from '../../dist/memory/index.js';
import { Clock, options, randomUnit, rng, unit } from './helpers.js';

// Patch search against a real MemoryStore (journal in a temp dir, injected clock), the kernel's
// resident patch matrix and a real KernelPool (Smart Router doc: patch score = cosine × decayed weight).

const DAY = 86_400_000;
const DIMS = 64;

describe('PatchSearch', () => {
  let pool: KernelPool;
  let dir: string;
  beforeAll(() => {
    pool = new KernelPool({ minThreads: 1, maxThreads: 1 });
  });
  afterAll(async () => {
    await pool.close();
  });

  async function storeWith(clock: Clock): Promise<MemoryStore> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srd-patch-search-'));
    return MemoryStore.open(options(dir, { now: clock.now, space: { provider: 'local', model: 'test', dims: DIMS } }));
  }

  /** `v` nudged by noise of size `eps`, re-normalised (cosine with v ≈ 1 − eps²/2). */
  function near(v: Float32Array, eps: number, random: () => number): Float32Array {
    const noise = randomUnit(random, DIMS);
    return unit(v.map((x, i) => x + eps * noise[i]!));
  }

  it('finds a fresh correction hidden behind more than 32 older, decayed near-duplicates of the other tier', async () => {
    const clock = new Clock();
    const store = await storeWith(clock);
    try {
      const random = rng(7);
      const query = randomUnit(random, DIMS);
      // 40 old lightweight corrections, all closer to the query than the fresh one.
      for (let i = 0; i < 40; i++)
        await store.append({ vector: near(query, 0.05, random), tier: 'lightweight', label: null, text: `old ${i}`, origin: 'feedback' });
      clock.advance(300 * DAY); // weight 0.95^(300/30) ≈ 0.60 each
      const fresh = near(query, 0.45, random);
      await store.append({ vector: fresh, tier: 'flagship', label: 'CODE', text: 'fresh', origin: 'feedback' });
      const search = new PatchSearch(store, new PatchIndex(pool, DIMS), pool);

      const exact = await search.best(query, 0.55);
      expect(exact?.tier).toBe('flagship');
      expect(exact!.weight).toBeCloseTo(1, 6);
      expect(exact!.score).toBeGreaterThan(0.85);
      // Re-ranking only the 32 best cosines (no threshold given) misses it: the old ones decide.
      const approximate = await search.best(query);
      expect(approximate?.tier).toBe('lightweight');
      expect(approximate!.score).toBeGreaterThanOrEqual(0.55);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sees a patch appended after the matrix was laid out, and null without patches', async () => {
    const clock = new Clock();
    const store = await storeWith(clock);
    try {
      const random = rng(8);
      const search = new PatchSearch(store, new PatchIndex(pool, DIMS), pool);
      const query = randomUnit(random, DIMS);
      expect(await search.best(query, 0.55)).toBeNull();
      for (let i = 0; i < 100; i++)
        await store.append({ vector: randomUnit(random, DIMS), tier: 'lightweight', label: null, text: `n${i}`, origin: 'feedback' });
      expect((await search.best(query, 0.55))!.score).toBeLessThan(0.55);
      await store.append({ vector: query, tier: 'flagship', label: null, text: 'this one', origin: 'prefix' });
      const hit = await search.best(query, 0.55);
      expect(hit).toMatchObject({ tier: 'flagship', id: 101 });
      expect(hit!.cosine).toBeCloseTo(1, 5);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
