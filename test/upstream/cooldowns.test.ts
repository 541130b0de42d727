import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { COOLDOWN_FILE, CooldownStore, classifyStatus, type Failure, pairKey, parseRetryAfter } from '../../src/upstream/index.js';

// Issue 13: the failover table's cooldowns, on a fake clock (docs/failover.md).
const HOUR = 3_600_000;
const settings = { billingBackoffHours: 5, billingMaxHours: 24, failureWindowHours: 24 };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store(now: { t: number }, stateDir: string | null = null, random = () => 0.5) {
  return new CooldownStore({ stateDir, settings, now: () => now.t, random });
}
const fail = (cls: Failure['class'], retryAfterMs: number | null = null): Failure => ({ class: cls, status: null, reason: cls, retryAfterMs });

describe('cooldowns by failure class', () => {
  it('429: the (profile, model) pair cools for retry-after, else 60 s', () => {
    const now = { t: 1_000_000 };
    const s = store(now);
    expect(s.record('p:a', 'x/m', fail('rate_limit', 7000))).toEqual({ key: pairKey('p:a', 'x/m'), ms: 7000 });
    expect(s.remainingMs('p:a|x/m')).toBe(7000);
    expect(s.remainingMs('p:a')).toBe(0);
    expect(s.record('p:b', 'x/m', fail('rate_limit'))!.ms).toBe(60_000);
    now.t += 7000;
    expect(s.remainingMs('p:a|x/m')).toBe(0);
  });

  it('402: the profile cools for billingBackoffHours, doubling per repeat up to billingMaxHours', () => {
    const now = { t: 0 };
    const s = store(now);
    const steps = [];
    for (let i = 0; i < 4; i++) {
      const r = s.record('p:a', 'x/m', fail('billing'))!;
      steps.push(r.ms / HOUR);
      now.t += r.ms; // the next failure comes right when the cooldown ends
    }
    expect(steps).toEqual([5, 10, 20, 24]);
  });

  it('5xx and transport errors: 30 s, doubling per repeat within failureWindowHours, capped at 1 h, jittered ±20%', () => {
    const now = { t: 0 };
    const s = store(now);
    const ms = [];
    for (let i = 0; i < 9; i++) ms.push(s.record('p:a', 'x/m', fail('transient'))!.ms);
    expect(ms).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]);
    const low = store({ t: 0 }, null, () => 0).record('p:a', 'x/m', fail('transient'))!.ms;
    const high = store({ t: 0 }, null, () => 0.999999).record('p:a', 'x/m', fail('transient'))!.ms;
    expect([low, Math.round(high)]).toEqual([24_000, 36_000]);
    // Outside the window the count starts over.
    now.t += 25 * HOUR;
    expect(s.record('p:a', 'x/m', fail('transient'))!.ms).toBe(30_000);
  });

  it('401/403 cool the profile for failureWindowHours; 404 the pair for 1 h; 400 and context length cool nothing', () => {
    const s = store({ t: 0 });
    expect(s.record('p:a', 'x/m', fail('auth'))).toEqual({ key: 'p:a', ms: 24 * HOUR });
    expect(s.record('p:a', 'x/m', fail('not_found'))).toEqual({ key: 'p:a|x/m', ms: HOUR });
    expect(s.record('p:a', 'x/m', fail('bad_request'))).toBeNull();
    expect(s.record('p:a', 'x/m', fail('context_length'))).toBeNull();
  });
});

describe('classification', () => {
  it.each([
    [429, {}, '{"error":{"type":"rate_limit_error"}}', 'rate_limit'],
    [429, {}, '{"error":{"code":"insufficient_quota","message":"You exceeded your current quota"}}', 'billing'],
    [402, {}, '', 'billing'],
    [500, {}, '', 'transient'],
    [529, {}, '{"type":"error","error":{"type":"overloaded_error"}}', 'transient'],
    [401, {}, '', 'auth'],
    [403, {}, '', 'auth'],
    [404, {}, '', 'not_found'],
    [400, {}, '{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}', 'context_length'],
    [400, {}, '{"error":{"message":"This model\'s maximum context length is 128000 tokens","code":"context_length_exceeded"}}', 'context_length'],
    [400, {}, '{"error":{"message":"messages: required"}}', 'bad_request'],
  ] as const)('HTTP %i %j %s → %s', (status, headers, body, cls) => {
    expect(classifyStatus(status, headers, body).class).toBe(cls);
  });

  it('reads retry-after as seconds, an HTTP date, or retry-after-ms', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', undefined, Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter(undefined, '1500')).toBe(1500);
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('durability', () => {
  it('keeps a cooldown across a new store on the same state dir, ending at the same wall-clock time, in a 0600 file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-cool-'));
    dirs.push(dir);
    const now = { t: Date.parse('2026-12-05T00:00:00Z') };
    store(now, dir).record('anthropic:default', 'anthropic/claude-opus-4-5', fail('billing'));
    now.t += HOUR;
    const again = store(now, dir);
    expect(again.remainingMs('anthropic:default')).toBe(4 * HOUR);
    expect(again.status()).toEqual([
      { key: 'anthropic:default', state: 'cooling', until: '2026-12-05T05:00:00.000Z', class: 'billing', reason: 'billing', failuresInWindow: 1 },
    ]);
    expect(statSync(path.join(dir, COOLDOWN_FILE)).mode & 0o777).toBe(0o600);
  });

  it('moves a corrupt cooldown file aside and says so, instead of overwriting it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-cool-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, COOLDOWN_FILE), '{"version": 1, "entr');
    const s = store({ t: 0 }, dir);
    expect(s.loadError).toMatch(/could not be read .* moved to .*cooldowns\.json\.corrupt-/);
    expect(readdirSync(dir).some((f) => f.startsWith(`${COOLDOWN_FILE}.corrupt-`))).toBe(true);
    expect(existsSync(path.join(dir, COOLDOWN_FILE))).toBe(false);
  });
});
