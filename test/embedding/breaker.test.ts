import { describe, expect, it } from 'vitest';
import { type BreakerState, CircuitBreaker } from '../../src/embedding/index.js';

function breaker(threshold = 3, cooldownMs = 1000) {
  let now = 1_000_000;
  const changes: Array<[BreakerState, BreakerState]> = [];
  const b = new CircuitBreaker({ failureThreshold: threshold, cooldownMs, now: () => now, onChange: (from, to) => changes.push([from, to]) });
  return {
    b,
    changes,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('CircuitBreaker', () => {
  it('stays closed below failureThreshold consecutive failures, and a success resets the count', () => {
    const { b } = breaker(3);
    b.failure('x');
    b.failure('x');
    b.success();
    b.failure('x');
    b.failure('x');
    expect(b.admit()).toBeNull();
    expect(b.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
  });

  it('opens at the threshold and refuses calls without a network attempt until the cooldown passes', () => {
    const { b, changes, advance } = breaker(2, 1000);
    b.failure('SRD_ERR_EMBED_FAILED: boom');
    b.failure('SRD_ERR_EMBED_FAILED: boom');
    expect(changes).toEqual([['closed', 'open']]);
    expect(b.admit()).toEqual({ state: 'open', retryInMs: 1000, reason: 'SRD_ERR_EMBED_FAILED: boom', consecutiveFailures: 2 });
    advance(999);
    expect(b.admit()?.state).toBe('open');
    expect(b.snapshot().rejected).toBe(2);
  });

  it('lets exactly one probe through when half-open, closes on its success and reopens on its failure', () => {
    const { b, changes, advance } = breaker(1, 500);
    b.failure('down');
    advance(500);
    expect(b.admit()).toBeNull();
    expect(b.admit()).toMatchObject({ state: 'half-open', retryInMs: 0 });
    b.failure('still down');
    expect(b.snapshot()).toMatchObject({ state: 'open', opens: 2, reason: 'still down' });
    advance(500);
    expect(b.admit()).toBeNull();
    b.success();
    expect(b.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0, reason: null });
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
  });

  it('holds the circuit open for a Retry-After even below the threshold, then closes (no probe verdict needed)', () => {
    const { b, advance } = breaker(5, 100);
    b.failure('SRD_ERR_EMBED_RATE_LIMITED');
    b.hold(3000, 'SRD_ERR_EMBED_RATE_LIMITED');
    expect(b.admit()).toMatchObject({ state: 'open', retryInMs: 3000 });
    advance(3000);
    expect(b.snapshot().state).toBe('closed');
    expect(b.admit()).toBeNull();
    expect(b.admit()).toBeNull();
    b.failure('x');
    expect(b.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
  });

  it('a hold on a circuit opened by failures still ends in half-open', () => {
    const { b, advance } = breaker(1, 100);
    b.failure('down');
    b.hold(500, 'SRD_ERR_EMBED_RATE_LIMITED');
    advance(500);
    expect(b.admit()).toBeNull();
    expect(b.snapshot().state).toBe('half-open');
  });

  it('rejects a threshold below 1', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, cooldownMs: 1 })).toThrow('failureThreshold must be an integer ≥ 1 (got 0)');
  });
});
