import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSrdError } from '../../src/errors.js';
import { hashText, MemoryStore, type NewPatch } from '../../src/memory/index.js';
import { axis, bits, Clock, journalPath, options, plain, randomUnit, rng, snapshotPath, space, storeFixture, T0, tierOf } from './helpers.js';

let dir: string;
const openStore = storeFixture((d) => (dir = d));

function event(vector: Float32Array, extra: Partial<NewPatch> = {}): NewPatch {
  return { vector, tier: 'flagship', label: 'CODE', text: 'refactor this function', origin: 'prefix', ...extra };
}

describe('MemoryStore append and reopen', () => {
  it('finds every patch bit-exact after a reopen, timestamps past 2^31 ms included', async () => {
    const clock = new Clock(2 ** 42 + 0.5);
    const store = await openStore({ now: clock.now });
    const random = rng(1);
    const sent = [
      event(Float32Array.from([-0, 1.4e-45, -3.4e38, 0.5, ...randomUnit(random, 12)]), { tier: 'lightweight', label: null, origin: 'feedback', weight: 0.3 }),
      event(randomUnit(random, 16), { text: '旗舰：写一个排序', origin: 'cli', weight: 2.5 }),
      event(randomUnit(random, 16), { label: 'WRITE', tier: 'lightweight' }),
    ];
    const acked = [];
    for (const e of sent) {
      acked.push(await store.append(e));
      clock.advance(1234.25);
    }
    await store.close();

    const again = await openStore({ now: clock.now });
    expect(again.patches().map(plain)).toEqual(acked.map(plain));
    expect(acked.map((p) => p.timestamp)).toEqual([2 ** 42 + 0.5, 2 ** 42 + 1234.75, 2 ** 42 + 2469]);
    expect(acked.map((p) => p.id)).toEqual([1, 2, 3]);
    expect(bits(again.patches()[0]!.vector)).toEqual(bits(sent[0]!.vector));
    expect(again.patches()[1]!.textHash).toBe(hashText('旗舰:写一个排序'));
    expect(again.patches().map((p) => [p.tier, p.label, p.weight, p.origin])).toEqual([
      ['lightweight', null, 0.3, 'feedback'],
      ['flagship', 'CODE', 2.5, 'cli'],
      ['lightweight', 'WRITE', 1, 'prefix'],
    ]);
  });

  it('hashes the NFKC text, so full-width and half-width spellings hash alike', () => {
    expect(hashText('Ｆ：ｈｅｌｌｏ')).toBe(hashText('F:hello'));
    expect(hashText('F:hello')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('continues ids after a reopen and never reuses one', async () => {
    const store = await openStore();
    await store.append(event(axis(16, 0)));
    await store.append(event(axis(16, 1)));
    await store.close();
    const again = await openStore();
    expect((await again.append(event(axis(16, 2)))).id).toBe(3);
  });

  it('copies the vector, so a caller reusing its buffer cannot change a stored patch', async () => {
    const store = await openStore();
    const v = axis(16, 3);
    const p = await store.append(event(v));
    v[3] = 0;
    expect(p.vector[3]).toBe(1);
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('rejects a vector of the wrong dims with a TypeError and writes nothing', async () => {
    const store = await openStore();
    await expect(store.append(event(new Float32Array(15)))).rejects.toThrow(new TypeError('patch.vector has 15 dims, the embedding space has 16'));
    await expect(store.append(event(axis(16, 0), { weight: 0 }))).rejects.toThrow(new TypeError('patch.weight must be a finite number > 0 (got 0)'));
    await expect(store.append(event(Float32Array.from({ length: 16 }, () => Number.NaN)))).rejects.toThrow(
      new TypeError('patch.vector[0] is not finite (NaN)'),
    );
    expect(store.size).toBe(0);
    expect(fs.statSync(journalPath(dir)).size).toBe(0);
  });

  it('acknowledges 2,000 concurrent appends with group commit and finds all of them after a reopen', async () => {
    const store = await openStore({ compactionThreshold: 10_000 });
    const random = rng(2);
    const vectors = Array.from({ length: 2000 }, () => randomUnit(random, 16));
    const started = performance.now();
    const acked = await Promise.all(vectors.map((v, i) => store.append(event(v, { tier: tierOf(i), text: `message ${i}` }))));
    const ms = performance.now() - started;
    const stats = store.stats();
    console.info(`2,000 concurrent appends: ${stats.journalFsyncs} fsync(s), ${stats.journalWrites} write(s), ${ms.toFixed(1)} ms`);
    expect(new Set(acked.map((p) => p.id)).size).toBe(2000);
    expect(stats.journalFsyncs).toBeLessThanOrEqual(20);
    expect(stats.journalFsyncs).toBe(stats.journalWrites);
    expect(stats.journalBytes).toBe(2000 * store.bytesPerRecord);
    await store.close();

    const again = await openStore({ compactionThreshold: 10_000 });
    expect(again.size).toBe(2000);
    expect(again.patches().map((p) => p.id)).toEqual(acked.map((p) => p.id).sort((a, b) => a - b));
    expect(again.patches().map(plain)).toEqual([...acked].sort((a, b) => a.id - b.id).map(plain));
  });

  it('groups the appends of 16 clients that each await their previous event into shared fsyncs', async () => {
    const store = await openStore({ compactionThreshold: 10_000 });
    const random = rng(5);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async (_, client) => {
        for (let i = 0; i < 125; i++) await store.append(event(randomUnit(random, 16), { text: `client ${client} event ${i}` }));
      }),
    );
    const ms = performance.now() - started;
    const { journalFsyncs } = store.stats();
    console.info(`16 clients × 125 sequential appends: ${journalFsyncs} fsync(s), ${ms.toFixed(1)} ms`);
    expect(store.size).toBe(2000);
    // One batch per round of the 16 clients at most, plus stragglers: far below one fsync per event.
    expect(journalFsyncs).toBeLessThanOrEqual(2 * 125);
  });

  it('writes a constant number of bytes per append whatever the size, and never touches the snapshot', async () => {
    const store = await openStore({ compactionThreshold: 100_000 });
    await store.append(event(axis(16, 0)));
    await store.compact();
    const snapBefore = fs.statSync(snapshotPath(dir), { bigint: true });
    const snapBytes = fs.readFileSync(snapshotPath(dir));
    const deltas: number[] = [];
    const random = rng(3);
    for (const target of [10, 500, 3000]) {
      while (store.size < target)
        await Promise.all(Array.from({ length: Math.min(250, target - store.size) }, () => store.append(event(randomUnit(random, 16)))));
      const before = fs.statSync(journalPath(dir)).size;
      await store.append(event(randomUnit(random, 16)));
      deltas.push(fs.statSync(journalPath(dir)).size - before);
    }
    expect(deltas).toEqual([store.bytesPerRecord, store.bytesPerRecord, store.bytesPerRecord]);
    expect(store.bytesPerRecord).toBe(12 + 72 + 24 + 16 * 4); // space id "local/local-hash-v1/16" is 22 bytes, padded to 24
    const snapAfter = fs.statSync(snapshotPath(dir), { bigint: true });
    expect([snapAfter.ino, snapAfter.mtimeNs, snapAfter.size]).toEqual([snapBefore.ino, snapBefore.mtimeNs, snapBefore.size]);
    expect(fs.readFileSync(snapshotPath(dir)).equals(snapBytes)).toBe(true);
  });
});

describe('MemoryStore.matrix', () => {
  it('lays out live patches row-major with tiers, labels, ids and weights decayed at now()', async () => {
    const clock = new Clock();
    const store = await openStore({ now: clock.now, timeDecay: { gamma: 0.5, halfLifeDays: 1, deathThreshold: 0.1, minRetention: 3 } });
    await store.append(event(axis(16, 1), { weight: 0.8 }));
    clock.advance(86_400_000);
    await store.append(event(axis(16, 2), { tier: 'lightweight', label: null }));
    const m = store.matrix();
    expect(m.rows).toBe(2);
    expect(m.dims).toBe(16);
    expect(Array.from(m.data)).toEqual([...axis(16, 1), ...axis(16, 2)]);
    expect(m.tiers).toEqual(['flagship', 'lightweight']);
    expect(m.labels).toEqual(['CODE', null]);
    expect(m.ids).toEqual([1, 2]);
    expect([m.weight(0), m.weight(1)]).toEqual([0.4, 1]);
    clock.advance(86_400_000);
    const later = store.matrix();
    expect([later.weight(0), later.weight(1)]).toEqual([0.2, 0.5]);
  });

  it('returns the cached view when nothing changed and bumps version on append without altering earlier views', async () => {
    const store = await openStore();
    await store.append(event(axis(16, 1)));
    const first = store.matrix();
    const again = store.matrix();
    expect(again.data).toBe(first.data);
    expect(again.version).toBe(first.version);
    await store.append(event(axis(16, 2)));
    const next = store.matrix();
    expect(next.version).toBeGreaterThan(first.version);
    expect(next.rows).toBe(2);
    expect(next.data.buffer).toBe(first.data.buffer); // extended in place, not rebuilt
    expect(first.rows).toBe(1);
    expect(Array.from(first.data)).toEqual([...axis(16, 1)]);
    expect(first.ids).toEqual([1]);
  });
});

describe('MemoryStore stats, export, clear and close', () => {
  it('reports counts per tier, journal size and timestamps', async () => {
    const clock = new Clock();
    const store = await openStore({ now: clock.now });
    await store.append(event(axis(16, 1)));
    clock.advance(5000);
    await store.append(event(axis(16, 2), { tier: 'lightweight' }));
    expect(store.stats()).toMatchObject({
      patches: 2,
      byTier: { flagship: 1, lightweight: 1 },
      journalBytes: 2 * store.bytesPerRecord,
      journalRecords: 2,
      snapshotRows: 0,
      compactions: 0,
      lastCompaction: null,
      oldest: T0,
      newest: T0 + 5000,
    });
  });

  it('exports one record per patch with its decayed weight and no text', async () => {
    const clock = new Clock();
    const store = await openStore({ now: clock.now, timeDecay: { gamma: 0.5, halfLifeDays: 2, deathThreshold: 0.1, minRetention: 1 } });
    await store.append(event(axis(16, 1), { text: 'secret words' }));
    clock.advance(2 * 86_400_000);
    expect(store.exportRecords()).toEqual([
      { id: 1, tier: 'flagship', label: 'CODE', timestamp: T0, weight: 1, decayedWeight: 0.5, textHash: hashText('secret words'), origin: 'prefix' },
    ]);
  });

  it('clears durably: a restart finds no patch, and ids keep increasing', async () => {
    const store = await openStore();
    await store.append(event(axis(16, 1)));
    await store.compact();
    await store.append(event(axis(16, 2)));
    await store.clear();
    expect(store.size).toBe(0);
    expect(store.matrix().rows).toBe(0);
    await store.close();
    const again = await openStore();
    expect(again.size).toBe(0);
    expect(fs.statSync(journalPath(dir)).size).toBe(0);
    expect((await again.append(event(axis(16, 3)))).id).toBe(3);
  });

  it('clears appends made before the call and keeps those made while it runs', async () => {
    const store = await openStore();
    const before = store.append(event(axis(16, 1)));
    const clearing = store.clear();
    const during = store.append(event(axis(16, 2)));
    await Promise.all([before, clearing, during]);
    expect(store.patches().map((p) => p.id)).toEqual([2]);
    await store.close();
    expect((await openStore()).patches().map((p) => p.id)).toEqual([2]);
  });

  it('keeps across a restart exactly the patches that are live after clear(), even for appends held by back-pressure', async () => {
    const store = await openStore({ compactionThreshold: 10 });
    const random = rng(9);
    for (let i = 0; i < 10; i++) await store.append(event(randomUnit(random, 16)));
    // The 10th append started a background compaction; 15 more reach the 2 × threshold cap and wait.
    const held = Array.from({ length: 15 }, () => store.append(event(randomUnit(random, 16))));
    const clearing = store.clear();
    const acked = await Promise.all(held);
    await clearing;
    await store.settled();
    const live = store.patches().map(plain);
    expect(acked.length).toBe(15);
    await store.close();
    expect((await openStore({ compactionThreshold: 10 })).patches().map(plain)).toEqual(live);
  });

  it('flushes queued appends on close and rejects later ones with SRD_ERR_MEMORY_CLOSED', async () => {
    const store = await openStore();
    const pending = Array.from({ length: 50 }, (_, i) => store.append(event(axis(16, i % 16))));
    await store.close();
    await expect(Promise.all(pending)).resolves.toHaveLength(50);
    const err = await store.append(event(axis(16, 0))).catch((e: unknown) => e);
    expect(isSrdError(err, 'SRD_ERR_MEMORY_CLOSED')).toBe(true);
    expect((err as Error).message).toBe('the user memory store is closed');
    expect((await openStore()).size).toBe(50);
  });

  it('creates the state dir and names its files user_memory.*', async () => {
    const nested = path.join(dir, 'nested', 'state');
    const store = await openStore({}, nested);
    await store.append(event(axis(16, 0)));
    await store.compact();
    expect(fs.readdirSync(nested).sort()).toEqual(['user_memory.journal', 'user_memory.vctr']);
  });

  it('rejects options that cannot work with a TypeError naming the key', async () => {
    await expect(MemoryStore.open({ ...options(dir), compactionThreshold: 0 })).rejects.toThrow(
      new TypeError('vectorStore.compactionThreshold must be an integer ≥ 1 (got 0)'),
    );
    await expect(MemoryStore.open({ ...options(dir), space: space(0) })).rejects.toThrow(TypeError);
  });
});
