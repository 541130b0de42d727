import { describe, expect, it } from 'vitest';
import { backoffDelay, MAX_BACKOFF_MS, parseRetryAfter } from '../../src/embedding/index.js';

describe('parseRetryAfter', () => {
  it('reads delay-seconds, fractions included, as ms', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.25')).toBe(250);
    expect(parseRetryAfter(['3', '9'])).toBe(3000);
  });

  it('reads an HTTP-date relative to now and never returns a negative wait', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0);
  });

  it('returns undefined for a missing or unparsable header', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt with equal jitter between half and all of the nominal wait', () => {
    expect(backoffDelay(0, 100, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, () => 0.999999)).toBe(100);
    expect(backoffDelay(3, 100, () => 0)).toBe(400);
    expect(backoffDelay(3, 100, () => 0.5)).toBe(600);
  });

  it('never waits longer than MAX_BACKOFF_MS', () => {
    expect(backoffDelay(30, 1000, () => 0.999999)).toBeLessThanOrEqual(MAX_BACKOFF_MS);
  });
});
