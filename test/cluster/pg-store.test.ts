import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalQueue, openPg, PG_SCHEMA_VERSION, PgLedgerStore } from '../../src/cluster/index.js';
import { VirtualKeys } from '../../src/ledger/index.js';
import { CLUSTER_SERVERS_HINT, clusterServersAvailable, type PgServer, startPostgres } from '../helpers/cluster-servers.js';
import { usageRowFixture } from '../helpers/ledger.js';

// Issue 20: the PostgreSQL ledger store keeps the LedgerStore contract the SQLite one keeps
// (test/ledger/store.test.ts), and the schema migrates once when instances start together.

const available = clusterServersAvailable();
const SKIP = !available.ok && !process.env.CI;
if (SKIP) console.warn(`pg-store.test.ts skipped: missing ${available.missing.join(', ')}; install ${CLUSTER_SERVERS_HINT}`);

let postgres: PgServer;
let tmp: string;
const silent = pino({ level: 'silent' });

const row = usageRowFixture;

async function storeOn(url: string): Promise<{ store: PgLedgerStore; pool: pg.Pool; queue: LocalQueue }> {
  const pool = await openPg({ url, poolSize: 4, statementTimeoutMs: 5000, instance: 'test' });
  const queue = new LocalQueue(path.join(mkdtempSync(path.join(tmp, 'q-')), 'cluster-queue.db'));
  return { store: new PgLedgerStore({ pool, url, instance: 'test', queue, onStoreDown: 'fail', logger: silent }, '15'), pool, queue };
}

describe.skipIf(SKIP)('PgLedgerStore and the cluster schema (issue 20)', () => {
  beforeAll(async () => {
    if (!available.ok) throw new Error(`missing ${available.missing.join(', ')}: install ${CLUSTER_SERVERS_HINT}`);
    postgres = await startPostgres();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'srd-pgstore-'));
  }, 60_000);
  afterAll(async () => {
    await postgres?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('migrates once when three instances start together, and refuses a newer schema', async () => {
    const url = await postgres.createDatabase();
    const pools = await Promise.all([1, 2, 3].map((i) => openPg({ url, poolSize: 2, statementTimeoutMs: 5000, instance: `i${i}` })));
    const version = await pools[0]!.query('SELECT version FROM srd_schema');
    expect(version.rows).toEqual([{ version: PG_SCHEMA_VERSION }]);
    await pools[0]!.query('UPDATE srd_schema SET version = version + 1');
    await expect(openPg({ url, poolSize: 2, statementTimeoutMs: 5000, instance: 'old' })).rejects.toThrow(/newer than this smart-routerd's/);
    await Promise.all(pools.map((p) => p.end()));
  });

  it('keeps rows newest first and sums them by group and by time bucket, like the SQLite store', async () => {
    const { store, pool, queue } = await storeOn(await postgres.createDatabase());
    await store.append(row({ ts: 1, tier: 'flagship', costUsd: 0.5 }));
    await store.append(row({ ts: 2, tier: 'lightweight', model: 'moonshot/kimi-k2.5', costUsd: 0.25, status: 502 }));
    await store.append(row({ ts: 3_600_001, tier: 'lightweight', model: 'moonshot/kimi-k2.5', costUsd: 0.125, ttfbMs: null }));
    const rows = await store.rows({ limit: 10 });
    expect(rows.map((r) => r.ts)).toEqual([3_600_001, 2, 1]);
    expect(rows[0]!.ttfbMs).toBeNull();
    expect(rows[2]).toMatchObject({ usageReported: true, inputTokens: 10, cacheWriteTokens: 1, latencyMs: 12.5 });
    expect(await store.totals({}, 'tier')).toEqual([
      expect.objectContaining({ group: 'flagship', requests: 1, errors: 0, costUsd: 0.5 }),
      expect.objectContaining({ group: 'lightweight', requests: 2, errors: 1, costUsd: 0.375, inputTokens: 20 }),
    ]);
    const series = await store.series({}, 3_600_000, 'tier');
    expect(series.map((s) => [s.t, s.group, s.requests])).toEqual([
      [0, 'flagship', 1],
      [0, 'lightweight', 1],
      [3_600_000, 'lightweight', 1],
    ]);
    expect(await store.prune(3)).toBe(2);
    expect(await store.rows({ limit: 10 })).toHaveLength(1);
    await store.close();
    queue.close();
    await pool.end();
  });

  it('charges a key atomically under concurrent appends, never twice for a replayed row, and rolls a budget window once', async () => {
    const url = await postgres.createDatabase();
    const one = await storeOn(url);
    const two = await storeOn(url);
    const keys = new VirtualKeys(one.store, () => 1_000);
    const { record } = await keys.create({ alias: 'k', maxBudget: 100, budgetDuration: '1h' });
    // Two "instances" charge the same key 200 times together.
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? one : two).store.append(row({ keyHash: record.hash, costUsd: 0.25 }))));
    expect(await two.store.key(record.hash)).toMatchObject({ spend: 50, totalSpend: 50 });
    const replayed = row({ id: 'req_replayed', keyHash: record.hash, costUsd: 1 });
    await one.store.append(replayed);
    await two.store.append(replayed);
    expect((await one.store.key(record.hash))!.spend).toBe(51);
    // Both instances roll the ended window; it resets once.
    const [r1, r2] = await Promise.all([
      one.store.rollWindow(record.hash, record.budgetResetAt!, record.budgetResetAt! + 3_600_000),
      two.store.rollWindow(record.hash, record.budgetResetAt!, record.budgetResetAt! + 3_600_000),
    ]);
    expect(r1).toMatchObject({ spend: 0, budgetResetAt: record.budgetResetAt! + 3_600_000 });
    expect(r2).toMatchObject({ spend: 0, budgetResetAt: record.budgetResetAt! + 3_600_000 });
    await one.store.append(row({ keyHash: record.hash, costUsd: 2 }));
    expect(await two.store.rollWindow(record.hash, record.budgetResetAt!, record.budgetResetAt! + 7_200_000)).toMatchObject({ spend: 2 });
    expect(await two.store.updateKey(record.hash, { models: ['opus'], metadata: { team: 'x' }, revokedAt: 5 })).toMatchObject({
      models: ['opus'],
      metadata: { team: 'x' },
      revokedAt: 5,
      totalSpend: 53,
    });
    expect((await one.store.keys()).map((k) => k.alias)).toEqual(['k']);
    for (const s of [one, two]) {
      await s.store.close();
      s.queue.close();
      await s.pool.end();
    }
  });

  it('queues rows while the database is down and replays them when it is back; reads then fail with SRD_ERR_STORE_DOWN', async () => {
    const { store, pool, queue } = await storeOn(await postgres.createDatabase());
    await postgres.stop('fast');
    try {
      await store.append(row({ id: 'req_while_down_1' }));
      await store.append(row({ id: 'req_while_down_2' }));
      expect(queue.sizeOf('usage')).toBe(2);
      await expect(store.rows({ limit: 10 })).rejects.toMatchObject({ code: 'SRD_ERR_STORE_DOWN' });
      expect(store.health().downSince).not.toBeNull();
    } finally {
      await postgres.start();
    }
    await expect
      .poll(async () => (await store.rows({ limit: 10 }).catch(() => [])).map((r) => r.id).sort(), { timeout: 15_000 })
      .toEqual(['req_while_down_1', 'req_while_down_2']);
    expect(queue.sizeOf('usage')).toBe(0);
    await store.close();
    queue.close();
    await pool.end();
  });
});
