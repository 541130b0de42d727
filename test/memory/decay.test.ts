import { describe, expect, it } from 'vitest';
import { deathAgeMs, decayedWeight, MS_PER_DAY } from '../../src/memory/index.js';

describe('decayedWeight', () => {
  it.each([0, 15, 30, 60, 365])('follows w0 · gamma^(days / halfLifeDays) at %i days', (days) => {
    const w0 = 0.8;
    const gamma = 0.95;
    const halfLifeDays = 30;
    expect(decayedWeight(w0, days * MS_PER_DAY, gamma, halfLifeDays)).toBe(w0 * gamma ** (days / halfLifeDays));
  });

  it('gives the documented values for the default config (gamma 0.95, 30 days)', () => {
    expect(decayedWeight(1, 0, 0.95, 30)).toBe(1);
    expect(decayedWeight(1, 30 * MS_PER_DAY, 0.95, 30)).toBeCloseTo(0.95, 15);
    expect(decayedWeight(1, 60 * MS_PER_DAY, 0.95, 30)).toBeCloseTo(0.9025, 15);
    expect(decayedWeight(2, 365 * MS_PER_DAY, 0.5, 365)).toBeCloseTo(1, 15);
  });

  it('treats a negative age (clock stepped back) as age 0, never more than w0', () => {
    expect(decayedWeight(0.7, -5 * MS_PER_DAY, 0.5, 1)).toBe(0.7);
  });

  it('uses fractional days, not whole days', () => {
    expect(decayedWeight(1, MS_PER_DAY / 2, 0.25, 1)).toBeCloseTo(0.5, 15);
  });
});

describe('deathAgeMs', () => {
  it('is the age at which the decayed weight reaches deathThreshold', () => {
    const settings = { gamma: 0.5, halfLifeDays: 2, deathThreshold: 0.1 };
    const age = deathAgeMs(1, settings);
    expect(decayedWeight(1, age, 0.5, 2)).toBeCloseTo(0.1, 12);
    expect(age / MS_PER_DAY).toBeCloseTo((2 * Math.log(0.1)) / Math.log(0.5), 9);
  });

  it('is Infinity when nothing decays and 0 for a patch born dead', () => {
    expect(deathAgeMs(1, { gamma: 1, halfLifeDays: 30, deathThreshold: 0.1 })).toBe(Number.POSITIVE_INFINITY);
    expect(deathAgeMs(0.05, { gamma: 0.9, halfLifeDays: 30, deathThreshold: 0.1 })).toBe(0);
  });
});
