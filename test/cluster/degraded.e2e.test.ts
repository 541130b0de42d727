import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../src/gateway/index.js';
import { CLUSTER_SERVERS_HINT, clusterServersAvailable, type PgServer, type RedisServer, startPostgres, startRedis } from '../helpers/cluster-servers.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { nonsenseText } from '../helpers/random.js';

// Issue 20: the degraded modes of a team gateway (docs/operations.md "Running a team gateway"), and
// compaction once cluster-wide, against real daemons on a private PostgreSQL and Redis.
// L runs with cluster.onStoreDown "local-queue", F with the default "fail".

const available = clusterServersAvailable();
const SKIP = !available.ok && !process.env.CI;
if (SKIP) console.warn(`degraded.e2e.test.ts skipped: missing ${available.missing.join(', ')}; install ${CLUSTER_SERVERS_HINT}`);

let postgres: PgServer;
let redis: RedisServer;
let dbUrl: string;
let db: pg.Pool;
const clients = new Map<RunningDaemon, GatewayClient>();
const daemons: RunningDaemon[] = [];

async function start(name: string, onStoreDown: 'fail' | 'local-queue', stateDir?: string): Promise<RunningDaemon> {
  const d = await startDaemon({
    config: {
      cluster: { instance: name, postgres: { url: dbUrl }, redis: { url: redis.url }, onStoreDown, pollMs: 200, heartbeatMs: 500 },
      // Small enough that a few dozen corrections compact.
      vectorStore: { compactionThreshold: 10 },
    },
    keepState: true,
    ...(stateDir ? { stateDir } : {}),
  });
  daemons.push(d);
  clients.set(d, await d.client({ scopes: ['operator.read', 'operator.write', 'operator.admin'] }));
  return d;
}

const client = (d: RunningDaemon) => clients.get(d)!;
type Decision = { modelTier: string; source: string };
const route = (d: RunningDaemon, text: string) => client(d).request<Decision>('route', { text });
const teach = (d: RunningDaemon, text: string, tier: string) => client(d).request<{ recorded: boolean }>('route.feedback', { text, tier });

const nonsense = nonsenseText;

async function routesTo(d: RunningDaemon, text: string, tier: string, timeoutMs = 10_000): Promise<void> {
  await expect
    .poll(
      async () => {
        const r = await route(d, text);
        return `${r.source}/${r.modelTier}`;
      },
      { timeout: timeoutMs, interval: 50 },
    )
    .toBe(`patch/${tier}`);
}

describe.skipIf(SKIP)('team gateway degraded modes and cluster-wide compaction (issue 20)', () => {
  let l: RunningDaemon;
  let f: RunningDaemon;

  beforeAll(async () => {
    if (!available.ok) throw new Error(`missing ${available.missing.join(', ')}: install ${CLUSTER_SERVERS_HINT}`);
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    dbUrl = await postgres.createDatabase();
    db = new pg.Pool({ connectionString: dbUrl, max: 2 });
    db.on('error', () => undefined);
    l = await start('l', 'local-queue');
    f = await start('f', 'fail');
  }, 120_000);

  afterAll(async () => {
    for (const cl of clients.values()) await cl.close().catch(() => undefined);
    for (const d of daemons) await d.stop().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
  }, 60_000);

  it('PostgreSQL down: "local-queue" acknowledges from a durable local queue that survives a SIGKILL and is replayed; "fail" refuses clearly; both start and route', async () => {
    await postgres.stop('fast');
    const queued = [nonsense(1), nonsense(2), nonsense(3)];
    try {
      for (const text of queued) expect(await teach(l, text, 'flagship')).toMatchObject({ recorded: true });
      // Live on L at once, from the queue.
      for (const text of queued) await routesTo(l, text, 'flagship', 1000);
      await expect(teach(f, nonsense(4), 'flagship')).rejects.toThrow(/PostgreSQL postgres:\/\/\[redacted\]@127\.0\.0\.1:\d+\/\w+ is unreachable/);
      const status = (await client(l).request('status', {})) as { cluster: { corrections: { queued: number; storeDownSince: string | null } } };
      expect(status.cluster.corrections.queued).toBe(3);
      expect(status.cluster.corrections.storeDownSince).not.toBeNull();
      // L dies with its queue unreplayed; F restarts while the database is still down: it starts and routes.
      l.proc.kill('SIGKILL');
      await l.exited;
      clients.delete(l);
      await client(f).close();
      clients.delete(f);
      await f.stop();
      f = await start('f', 'fail', f.stateDir);
      expect((await route(f, 'write a haiku about autumn')).modelTier).toBe('lightweight');
    } finally {
      await postgres.start();
    }
    // L comes back on its state dir: the queue is replayed, and F learns of it through the database.
    l = await start('l', 'local-queue', l.stateDir);
    for (const text of queued) await routesTo(f, text, 'flagship');
    for (const text of queued) await routesTo(l, text, 'flagship');
    const rows = await db.query("SELECT count(*)::int AS n FROM srd_corrections WHERE instance = 'l'");
    expect(rows.rows[0].n).toBe(3);
    await expect
      .poll(async () => ((await client(l).request('status', {})) as { cluster: { corrections: { queued: number } } }).cluster.corrections.queued)
      .toBe(0);
    // F learns again now that the database answers.
    await expect
      .poll(
        async () =>
          teach(f, nonsense(5), 'flagship').then(
            () => true,
            () => false,
          ),
        { timeout: 10_000, interval: 200 },
      )
      .toBe(true);
  });

  it('compaction runs once cluster-wide under an advisory lock, and no correction’s own text changes tier', async () => {
    const taught: Array<{ text: string; tier: string }> = [];
    for (let i = 0; i < 60; i++) {
      const text = nonsense(100 + i);
      const tier = i % 2 === 0 ? 'flagship' : 'lightweight';
      await teach(i % 3 === 0 ? f : l, text, tier);
      taught.push({ text, tier });
    }
    // Compactions ran (threshold 10): the shared table shrank or was rewritten, once per generation.
    const meta = await db.query('SELECT generation::int AS g, folded_id::int AS folded FROM srd_memory_meta');
    expect(meta.rows[0].g).toBeGreaterThan(0);
    expect(meta.rows[0].folded).toBeGreaterThan(0);
    const stats = await Promise.all([l, f].map((d) => client(d).request<{ compactions: number; patches: number }>('memory.stats', {})));
    expect(stats[0]!.compactions + stats[1]!.compactions).toBeGreaterThan(0);
    // Both instances hold the same set, and every taught text still routes to its tier on both.
    const { rows } = await db.query('SELECT count(*)::int AS n FROM srd_corrections');
    await expect.poll(async () => (await client(l).request<{ patches: number }>('memory.stats', {})).patches).toBe(rows[0].n);
    await expect.poll(async () => (await client(f).request<{ patches: number }>('memory.stats', {})).patches).toBe(rows[0].n);
    // Capacity may evict old corrections (floor(0.75 × 10) remain after a compaction, logged), but a
    // text never routes the other way from a patch, and the newest ones are all there.
    for (const [i, { text, tier }] of taught.entries()) {
      for (const d of [l, f]) {
        const r = await route(d, text);
        if (r.source === 'patch' || i >= taught.length - 5) expect(r).toMatchObject({ source: 'patch', modelTier: tier });
      }
    }
  });
});
