import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmbedder } from '../../dist/embedding/index.js';
import { KernelPool } from '../../dist/kernel/index.js';
import { MemoryStore, PatchIndex, PatchSearch } from '../../dist/memory/index.js';
import { ROOT } from '../helpers/daemon.js';
import { Clock, options, rng } from './helpers.js';

// Issue 16: compaction must never change the decision for an acknowledged correction's own text.
// 2,000 distinct texts (1,200 real utterances from dna/seed in both languages, 800 random strings)
// are each taught a random tier through the real local embedder, 200 of them taught again the
// other way later; then the memory is compacted. Every text must still route, by the router's patch
// rule (best cosine × decayed weight ≥ patchSimilarityThreshold 0.55, PatchSearch on the kernel), to
// the tier it was taught last. A merge threshold under the decision threshold (0.40) breaks it in
// the same run: that case is checked too, so this test can fail. (Eviction for capacity, past
// 0.75 × compactionThreshold live patches, still drops live corrections; compactionThreshold is set
// high here so none is evicted.)

const DECISION = 0.55;
const DIMS = 1024;

function seedTexts(): string[] {
  const out: string[] = [];
  for (const lang of ['en', 'zh']) {
    const dir = path.join(ROOT, 'dna', 'seed', lang);
    for (const f of fs.readdirSync(dir).sort()) {
      for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) if (line.trim()) out.push((JSON.parse(line) as { text: string }).text);
    }
  }
  return out;
}

function randomText(random: () => number): string {
  const words = Array.from({ length: 3 + Math.floor(random() * 10) }, () =>
    Array.from({ length: 2 + Math.floor(random() * 8) }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join(''),
  );
  return words.join(' ');
}

describe('compaction keeps every correction’s own decision', () => {
  let pool: KernelPool;
  const embedder = new LocalEmbedder(DIMS);
  const dirs: string[] = [];
  beforeAll(() => {
    pool = new KernelPool({ minThreads: 1, maxThreads: 1 });
  });
  afterAll(async () => {
    await pool.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Teaches the texts, compacts, and returns the texts whose decision is not their last taught tier, before and after. */
  async function run(mergeThreshold: number): Promise<{ before: string[]; after: string[]; merged: number; live: number }> {
    const random = rng(16);
    const seeds = seedTexts();
    const texts = new Set<string>();
    while (texts.size < 1200) texts.add(seeds[Math.floor(random() * seeds.length)]!);
    while (texts.size < 2000) texts.add(randomText(random));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srd-invariant-'));
    dirs.push(dir);
    const clock = new Clock();
    const store = await MemoryStore.open(
      options(dir, { now: clock.now, space: embedder.space, mergeThreshold, compactionThreshold: 100_000, enableCompaction: false }),
    );
    const taught = new Map<string, 'flagship' | 'lightweight'>();
    const teach = async (text: string, tier: 'flagship' | 'lightweight') => {
      await store.append({ vector: embedder.embedSync(text), tier, label: null, text, origin: 'feedback' });
      taught.set(text, tier);
      clock.advance(1000);
    };
    for (const text of texts) await teach(text, random() < 0.5 ? 'flagship' : 'lightweight');
    const list = [...texts];
    for (let i = 0; i < 200; i++) {
      const text = list[Math.floor(random() * list.length)]!;
      await teach(text, taught.get(text) === 'flagship' ? 'lightweight' : 'flagship');
    }
    const search = new PatchSearch(store, new PatchIndex(pool, DIMS), pool);
    const wrong = async () => {
      const out: string[] = [];
      for (const [text, tier] of taught) {
        const hit = await search.best(embedder.embedSync(text), DECISION);
        if (!hit || hit.score < DECISION || hit.tier !== tier) out.push(text);
      }
      return out;
    };
    const before = await wrong();
    const report = await store.compact();
    const after = await wrong();
    const live = store.size;
    await store.close();
    return { before, after, merged: report.merged, live };
  }

  it('at vectorStore.mergeThreshold (0.95): every text routes to the tier it was taught last, before and after compaction', async () => {
    const r = await run(0.95);
    expect(r.before).toEqual([]);
    expect(r.after).toEqual([]);
    expect(r.live).toBeLessThanOrEqual(2000); // the 200 re-taught texts kept only their latest correction
  }, 120_000);

  it('merging under the decision threshold (0.4) breaks it for some texts', async () => {
    const r = await run(0.4);
    expect(r.before).toEqual([]);
    expect(r.merged).toBeGreaterThan(0);
    expect(r.after.length).toBeGreaterThan(0);
  }, 120_000);
});
