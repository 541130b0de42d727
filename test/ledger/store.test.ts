import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashKey, KeyLimitError, SCHEMA_VERSION, SqliteLedgerStore, VirtualKeys, windowEnd, windowStart } from '../../src/ledger/index.js';
import { usageRowFixture } from '../helpers/ledger.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'srd-ledger-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const row = usageRowFixture;

describe('SqliteLedgerStore', async () => {
  it('keeps rows across a reopen, newest first, and sums them by group', async () => {
    const file = path.join(tmp(), 'usage.db');
    const a = new SqliteLedgerStore(file);
    await a.append(row({ ts: 1, tier: 'flagship', costUsd: 0.5 }));
    await a.append(row({ ts: 2, tier: 'lightweight', model: 'moonshot/kimi-k2.5', costUsd: 0.25, status: 502 }));
    await a.append(row({ ts: 3, tier: 'lightweight', model: 'moonshot/kimi-k2.5', costUsd: 0.125, ttfbMs: null }));
    await a.close();
    const b = new SqliteLedgerStore(file);
    const rows = await b.rows({ limit: 10 });
    expect(rows.map((r) => r.ts)).toEqual([3, 2, 1]);
    expect(rows[0]!.ttfbMs).toBeNull();
    expect(rows[2]).toMatchObject({ usageReported: true, inputTokens: 10, cacheWriteTokens: 1, latencyMs: 12.5 });
    const byTier = await b.totals({}, 'tier');
    expect(byTier).toEqual([
      expect.objectContaining({ group: 'flagship', requests: 1, errors: 0, costUsd: 0.5 }),
      expect.objectContaining({ group: 'lightweight', requests: 2, errors: 1, costUsd: 0.375, inputTokens: 20 }),
    ]);
    expect((await b.totals({ since: 2 }, null))[0]).toMatchObject({ group: null, requests: 2, costUsd: 0.375 });
    expect(await b.prune(3)).toBe(2);
    expect(await b.rows({ limit: 10 })).toHaveLength(1);
    await b.close();
  });

  it('adds a row’s cost to its key’s spend in the same transaction', async () => {
    const store = new SqliteLedgerStore(path.join(tmp(), 'usage.db'));
    const keys = new VirtualKeys(store, () => 0);
    const { record } = await keys.create({ alias: 'k' });
    await store.append(row({ keyHash: record.hash, costUsd: 0.75 }));
    await store.append(row({ keyHash: record.hash, costUsd: 0.25 }));
    expect(await store.key(record.hash)).toMatchObject({ spend: 1, totalSpend: 1 });
    await store.close();
  });

  it('moves a corrupt database aside, says where, and starts a new one', async () => {
    const dir = tmp();
    const file = path.join(dir, 'usage.db');
    writeFileSync(file, 'this is not a database '.repeat(200));
    const store = new SqliteLedgerStore(file);
    expect(store.movedAside).toMatch(/usage\.db\.corrupt-/);
    expect(readFileSync(store.movedAside!, 'utf8')).toContain('this is not a database');
    await store.append(row());
    expect(await store.rows({ limit: 1 })).toHaveLength(1);
    await store.close();
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toHaveLength(1);
  });

  it('refuses a database written by a newer schema instead of downgrading it', async () => {
    const file = path.join(tmp(), 'usage.db');
    await new SqliteLedgerStore(file).close();
    // Bump user_version past this build's schema, as a newer smart-routerd would.
    const bumped = new SqliteLedgerStore(file) as unknown as { db: { exec(sql: string): void; close(): void } };
    bumped.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    bumped.db.close();
    expect(() => new SqliteLedgerStore(file)).toThrow(/newer than this smart-routerd/);
  });
});

describe('VirtualKeys', async () => {
  function keysAt(clock: { now: number }) {
    const store = new SqliteLedgerStore(path.join(tmp(), 'usage.db'));
    return { store, keys: new VirtualKeys(store, () => clock.now) };
  }

  it('stores only the hash: the key itself is nowhere in the database files', async () => {
    const dir = tmp();
    const store = new SqliteLedgerStore(path.join(dir, 'usage.db'));
    const { key, record } = await new VirtualKeys(store).create({ alias: 'team' });
    expect(key).toMatch(/^sk-srd-[A-Za-z0-9_-]{43}$/);
    expect(record.hash).toBe(hashKey(key));
    await store.close();
    for (const f of readdirSync(dir)) expect(readFileSync(path.join(dir, f)).includes(key)).toBe(false);
  });

  it('refuses a key over max_budget until its budget_duration ends, then admits it with spend reset', async () => {
    const clock = { now: Date.UTC(2026, 11, 5) };
    const { store, keys } = keysAt(clock);
    const { record } = await keys.create({ maxBudget: 1, budgetDuration: '1h' });
    await store.append(row({ keyHash: record.hash, costUsd: 1.5 }));
    const err = await keys.admit((await store.key(record.hash))!, ['m']).then(
      () => null,
      (e: unknown) => e as KeyLimitError,
    );
    expect(err).toBeInstanceOf(KeyLimitError);
    expect(err).toMatchObject({ status: 429, limit: 'max_budget', resetAt: clock.now + 3_600_000 });
    expect(err!.message).toMatch(/max_budget \$1; resets at 2026-12-05T01:00:00.000Z/);
    clock.now += 3_600_000;
    const admitted = await keys.admit((await store.key(record.hash))!, ['m']);
    expect(admitted).toMatchObject({ spend: 0, budgetResetAt: clock.now + 3_600_000 });
    expect((await store.key(record.hash))!.totalSpend).toBe(1.5);
  });

  it('counts rpm and tpm over a sliding minute', async () => {
    const clock = { now: 0 };
    const { store, keys } = keysAt(clock);
    const { record } = await keys.create({ rpmLimit: 2, tpmLimit: 100 });
    await keys.admit(record, ['m']);
    await keys.admit(record, ['m']);
    await expect(keys.admit(record, ['m'])).rejects.toThrow(/rpm_limit 2/);
    clock.now = 60_001;
    await keys.admit(record, ['m']);
    await keys.countTokens(record.hash, 150);
    await expect(keys.admit(record, ['m'])).rejects.toThrow(/tpm_limit 100 tokens per minute reached \(150 used\)/);
    clock.now = 120_002;
    await expect(keys.admit(record, ['m'])).resolves.toBeTruthy();
    await store.close();
  });

  it('allows only its models, and refuses a revoked key', async () => {
    const { store, keys } = keysAt({ now: 0 });
    const { record } = await keys.create({ models: ['smart-routerd/auto'] });
    await expect(keys.admit(record, ['anthropic/claude-opus-4-5'])).rejects.toThrow(expect.objectContaining({ status: 403, limit: 'models' }));
    await expect(keys.admit(record, ['smart-routerd/auto', 'anthropic/claude-opus-4-5'])).resolves.toBeTruthy();
    const revoked = (await keys.revoke(record.hash))!;
    await expect(keys.admit(revoked, ['smart-routerd/auto'])).rejects.toThrow(expect.objectContaining({ status: 401, limit: 'revoked' }));
    await store.close();
  });
});

describe('budget windows', async () => {
  it('reads LiteLLM durations and --since windows', async () => {
    const t = Date.UTC(2026, 0, 31, 12);
    expect(windowEnd('30s', t) - t).toBe(30_000);
    expect(windowEnd('2w', t) - t).toBe(14 * 86_400_000);
    expect(new Date(windowEnd('1mo', Date.UTC(2026, 5, 15))).toISOString()).toBe('2026-07-15T00:00:00.000Z');
    expect(() => windowEnd('30x', t)).toThrow(/budget_duration/);
    expect(windowStart('24h', t)).toBe(t - 86_400_000);
    expect(new Date(windowStart('month', t)).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(new Date(windowStart('2026-01-02', t)).toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(() => windowStart('yesterday-ish', t)).toThrow(/since: expected/);
  });
});
