import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NewPatch } from '../../src/memory/index.js';
import { add, axis, Clock, cosine, DAY, journalPath, mixedEvent, near, padded, plain, randomUnit, rng, storeFixture, tierOf, unit } from './helpers.js';

let dir: string;
const openStore = storeFixture((d) => (dir = d));

let texts = 0;
/** An event with a text of its own (the same text corrected again would supersede the older patch: compaction rule 0). */
function event(vector: Float32Array, extra: Partial<NewPatch> = {}): NewPatch {
  return { vector, tier: 'flagship', label: null, text: `text ${texts++}`, origin: 'feedback', ...extra };
}

const FAST_DECAY = { gamma: 0.5, halfLifeDays: 1, deathThreshold: 0.1, minRetention: 2 };

describe('compaction drops the dead', () => {
  it('drops patches past the death point but keeps the minRetention newest per tier even if dead', async () => {
    const clock = new Clock();
    const store = await openStore({ now: clock.now, timeDecay: FAST_DECAY, mergeThreshold: 0.9 });
    const oldFlagship = [];
    const oldLight = [];
    for (let i = 0; i < 5; i++) {
      oldFlagship.push(await store.append(event(axis(16, i))));
      oldLight.push(await store.append(event(axis(16, 5 + i), { tier: 'lightweight' })));
      clock.advance(60_000);
    }
    clock.advance(10 * DAY); // 0.5^10 ≈ 0.001 < 0.1: all ten are dead
    const fresh = [];
    for (let i = 0; i < 3; i++) fresh.push(await store.append(event(axis(16, 10 + i))));

    const report = await store.compact();
    expect(report).toMatchObject({ before: 13, after: 5, dropped: 8, merged: 0, evicted: 0, lastSeq: 13, at: clock.t });
    expect(store.patches().map((p) => p.id)).toEqual([...oldLight.slice(3).map((p) => p.id), ...fresh.map((p) => p.id)].sort((a, b) => a - b));
    expect(store.stats().byTier).toEqual({ flagship: 3, lightweight: 2 });
  });

  it('keeps a patch exactly at the death threshold and drops one just under it', async () => {
    const clock = new Clock();
    const decay = { gamma: 0.5, halfLifeDays: 1, deathThreshold: 0.25, minRetention: 0 };
    const store = await openStore({ now: clock.now, timeDecay: decay, mergeThreshold: 0.9 });
    const atThreshold = await store.append(event(axis(16, 0)));
    clock.advance(1);
    await store.append(event(axis(16, 1)));
    clock.advance(2 * DAY - 1); // first: 0.5^2 = 0.25 exactly; second: a hair above
    expect((await store.compact()).dropped).toBe(0);
    clock.advance(1);
    expect((await store.compact()).dropped).toBe(1);
    expect(store.patches().map((p) => p.id)).toEqual([atThreshold.id + 1]);
  });
});

describe('compaction merges near-duplicates', () => {
  it('merges same-tier patches at cosine ≥ mergeThreshold and never merges across tiers', async () => {
    const store = await openStore({ mergeThreshold: 0.9 });
    const random = rng(11);
    const v = randomUnit(random, 16);
    const w = randomUnit(random, 16);
    await store.append(event(v));
    await store.append(event(near(v, random, 0.05)));
    await store.append(event(v, { tier: 'lightweight' }));
    await store.append(event(near(v, random, 0.05), { tier: 'lightweight' }));
    await store.append(event(w));
    expect(cosine(v, w)).toBeLessThan(0.9);

    const report = await store.compact();
    expect(report).toMatchObject({ before: 5, after: 3, merged: 2, dropped: 0 });
    expect(store.patches().map((p) => [p.id, p.tier])).toEqual([
      [2, 'flagship'],
      [4, 'lightweight'],
      [5, 'flagship'],
    ]);
    expect(cosine(store.patches()[0]!.vector, v)).toBeGreaterThan(0.99);
  });

  it('keeps the newest timestamp, the decay-weighted mean vector renormalised and weight = min(cap, Σ w·gamma^(Δt/halfLife))', async () => {
    const clock = new Clock();
    const store = await openStore({ now: clock.now, mergeThreshold: 0.9, timeDecay: { gamma: 0.5, halfLifeDays: 30, deathThreshold: 0.01, minRetention: 0 } });
    const a = axis(16, 0);
    const b = unit(padded([1, 0.2]));
    await store.append(event(a, { weight: 0.4, label: 'CODE', text: 'older' }));
    clock.advance(30 * DAY);
    const newest = await store.append(event(b, { weight: 0.3, label: null, origin: 'cli', text: 'newer' }));
    clock.advance(7 * DAY);

    await store.compact();
    const [m] = store.patches();
    // Members decayed to the newest timestamp: 0.4 · 0.5 = 0.2 and 0.3 → sum 0.5, cap = max w0 = 0.4.
    expect(m).toMatchObject({
      id: newest.id,
      timestamp: newest.timestamp,
      weight: 0.4,
      label: 'CODE',
      textHash: newest.textHash,
      origin: 'cli',
      tier: 'flagship',
    });
    const mean = unit(a.map((x, i) => 0.2 * x + 0.3 * b[i]!));
    expect(Array.from(m!.vector).map((x) => x.toFixed(6))).toEqual(Array.from(mean).map((x) => x.toFixed(6)));
    // Decays on from the newest member's timestamp: 7 days later.
    expect(store.exportRecords()[0]!.decayedWeight).toBeCloseTo(0.4 * 0.5 ** (7 / 30), 12);
  });

  it('merges a new event into the matching patch of the previous snapshot', async () => {
    const store = await openStore({ mergeThreshold: 0.9 });
    const random = rng(12);
    const v = randomUnit(random, 16);
    await store.append(event(v));
    await store.append(event(randomUnit(random, 16)));
    await store.compact();
    const again = await store.append(event(near(v, random, 0.05)));
    const report = await store.compact();
    expect(report).toMatchObject({ before: 3, after: 2, merged: 1 });
    expect(store.patches().map((p) => p.id)).toEqual([2, again.id]);
  });
});

describe('compaction durability', () => {
  it('gives the same live set after a reopen, restarts the journal empty and folds events appended meanwhile', async () => {
    const clock = new Clock();
    const store = await openStore({ now: clock.now, mergeThreshold: 0.9, timeDecay: FAST_DECAY });
    const random = rng(13);
    const bases = Array.from({ length: 4 }, () => randomUnit(random, 16));
    for (let i = 0; i < 40; i++) {
      await store.append(event(near(bases[i % 4]!, random, 0.05), { tier: tierOf(i) }));
      clock.advance(DAY / 4);
    }
    const journalBefore = fs.statSync(journalPath(dir)).size;
    const compaction = store.compact();
    const meanwhile = await Promise.all([store.append(event(bases[0]!)), store.append(event(bases[1]!))]);
    const report = await compaction;
    expect(report.before).toBe(40);
    expect(report.after).toBeLessThanOrEqual(8);
    expect(
      store
        .patches()
        .slice(-2)
        .map((p) => p.id),
    ).toEqual(meanwhile.map((p) => p.id));
    expect(fs.statSync(journalPath(dir)).size).toBe(2 * store.bytesPerRecord);
    expect(journalBefore).toBe(40 * store.bytesPerRecord);
    const live = store.patches().map(plain);
    await store.close();

    const again = await openStore({ now: clock.now, mergeThreshold: 0.9, timeDecay: FAST_DECAY });
    expect(again.patches().map(plain)).toEqual(live);
    expect(again.stats()).toMatchObject({ snapshotRows: report.after, journalRecords: 2 });
  });

  it('compacts automatically at compactionThreshold only when enableCompaction is set', async () => {
    const off = await openStore({ compactionThreshold: 20, enableCompaction: false });
    const random = rng(14);
    for (let i = 0; i < 30; i++) await off.append(event(randomUnit(random, 16)));
    await off.settled();
    expect(off.stats().compactions).toBe(0);
    expect(off.size).toBe(30);
    await off.close();

    const on = await openStore({ compactionThreshold: 20, enableCompaction: true });
    await on.settled();
    expect(on.stats().compactions).toBe(1);
    expect(on.size).toBe(15); // evicted down to 75% of the threshold
  });

  it('evicts the lowest decayed weights first and never the minRetention newest per tier', async () => {
    const clock = new Clock();
    const store = await openStore({
      now: clock.now,
      compactionThreshold: 20,
      enableCompaction: false,
      mergeThreshold: 0.99,
      timeDecay: { gamma: 0.95, halfLifeDays: 30, deathThreshold: 0.01, minRetention: 1 },
    });
    const all = [];
    for (let i = 0; i < 16; i++) all.push(await store.append(event(axis(16, i), { weight: 1 - i * 0.05 })));
    const light = await store.append(event(axis(16, 0), { tier: 'lightweight', weight: 0.02 }));
    for (let i = 0; i < 4; i++) all.push(await store.append(event(unit(add(axis(16, i), axis(16, 15))), { weight: 0.9 })));
    const report = await store.compact();
    expect(report).toMatchObject({ before: 21, after: 15, evicted: 6, dropped: 0, merged: 0 });
    const kept = new Set(store.patches().map((p) => p.id));
    expect(kept.has(light.id)).toBe(true); // the lightest, but the newest of its tier
    // Evicted: the six lightest flagship patches (weights 0.5, 0.45, …, 0.25).
    expect(all.filter((p) => !kept.has(p.id)).map((p) => p.id)).toEqual(all.slice(10, 16).map((p) => p.id));
  });
});

describe('bounded memory', () => {
  it('stays under compactionThreshold after 20,000 events of random and near-duplicate vectors, with a bounded journal', async () => {
    const threshold = 1500;
    const clock = new Clock();
    const dims = 32;
    const store = await openStore({ now: clock.now, compactionThreshold: threshold, space: { provider: 'local', model: 'local-hash-v1', dims } });
    const random = rng(20_000);
    const bases = Array.from({ length: 60 }, () => randomUnit(random, dims));
    const journalBound = 2 * threshold * store.bytesPerRecord;
    let maxJournal = 0;
    let maxSize = 0;
    const settledSizes: number[] = [];
    let sent = 0;
    for (let phase = 0; phase < 4; phase++) {
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(
          Array.from({ length: 250 }, () => {
            clock.advance(20 * 60_000);
            const { vector, tier } = mixedEvent(sent, bases, random, dims);
            return store.append(event(vector, { tier, text: `event ${sent++}` }));
          }),
        );
        maxJournal = Math.max(maxJournal, fs.statSync(journalPath(dir)).size);
        maxSize = Math.max(maxSize, store.size);
      }
      await store.settled();
      settledSizes.push(store.size);
    }
    expect(sent).toBe(20_000);
    await store.settled();
    const stats = store.stats();
    console.info(
      `20,000 events: ${stats.compactions} compactions, max live ${maxSize}, max journal ${maxJournal} bytes (bound ${journalBound}), final ${stats.patches}, last compaction ${stats.lastCompaction?.ms.toFixed(1)} ms`,
    );
    expect(settledSizes).toHaveLength(4);
    expect(Math.max(...settledSizes, stats.patches)).toBeLessThan(threshold);
    expect(maxSize).toBeLessThanOrEqual(2 * threshold); // the back-pressure bound
    expect(maxJournal).toBeLessThanOrEqual(journalBound);
    expect(stats.compactions).toBeGreaterThan(10);
    const live = store.patches().map(plain);
    await store.close();
    expect(
      (await openStore({ now: clock.now, compactionThreshold: threshold, space: { provider: 'local', model: 'local-hash-v1', dims } })).patches().map(plain),
    ).toEqual(live);
  });
});
