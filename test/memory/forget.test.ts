import { describe, expect, it } from 'vitest';
import type { NewPatch } from '../../src/memory/index.js';
import { Clock, randomUnit, rng, storeFixture, T0 } from './helpers.js';

// Issue 21 (the dashboard's Delete): forgetting one correction is durable and immediate.
const openStore = storeFixture(() => undefined);

function event(vector: Float32Array, text: string): NewPatch {
  return { vector, tier: 'flagship', label: 'CODE', text, origin: 'feedback' };
}

describe('MemoryStore.forget', () => {
  it('removes one patch from the live set and the matrix at once, and it stays gone after a reopen, a compaction and later appends', async () => {
    const clock = new Clock(T0);
    const random = rng(7);
    const store = await openStore({ now: clock.now });
    const kept = await store.append(event(randomUnit(random, 16), 'first'));
    const gone = await store.append(event(randomUnit(random, 16), 'second'));
    const later = await store.append(event(randomUnit(random, 16), 'third'));
    expect(await store.forget(gone.id)).toBe(true);
    expect(store.patches().map((p) => p.id)).toEqual([kept.id, later.id]);
    expect([...store.matrix().ids]).toEqual([kept.id, later.id]);
    expect(await store.forget(gone.id)).toBe(false); // not live any more
    expect(await store.forget(999)).toBe(false);
    const after = await store.append(event(randomUnit(random, 16), 'fourth'));
    expect(after.id).toBe(later.id + 1); // ids are never reused
    await store.close();

    const again = await openStore({ now: clock.now });
    expect(again.patches().map((p) => p.id)).toEqual([kept.id, later.id, after.id]);
    await again.compact();
    await again.close();
    const third = await openStore({ now: clock.now });
    expect(third.patches().map((p) => p.id)).not.toContain(gone.id);
    expect(third.size).toBeGreaterThanOrEqual(1);
    await third.close();
  });
});
