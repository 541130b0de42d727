import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { EmbeddingSpace } from '../embedding/index.js';
import { SrdError } from '../errors.js';
import type { LedgerStore, RateLimits } from '../ledger/index.js';
import type { UserMemory } from '../memory/index.js';
import type { CooldownStore } from '../upstream/index.js';
import { LocalQueue } from './local-queue.js';
import { createPool, isConnectionError, migrate, redactUrl } from './pg.js';
import { PgLedgerStore } from './pg-ledger-store.js';
import { PgMemory } from './pg-memory.js';
import { ClusterRedis, RedisCooldowns, RedisRateLimits, RedisSticky } from './redis.js';

/** The local queue file in the state dir (cluster.onStoreDown "local-queue", and ledger rows while PostgreSQL is down). */
export const CLUSTER_QUEUE_FILE = 'cluster-queue.db';

/** One instance in the cluster view. */
export interface InstanceView {
  instance: string;
  host: string;
  pid: number;
  version: string;
  startedAt: string;
  lastSeen: string;
  /** This instance's own line. */
  self: boolean;
}

/** What `status` shows of the cluster (issue 20). */
export interface ClusterView {
  instance: string;
  postgres: { url: string; ok: boolean; downSince: string | null; queuedRows: number } | null;
  redis: { url: string; ok: boolean; downSince: string | null } | null;
  /** Instances with a heartbeat in the last 3 periods (null: PostgreSQL unreachable or not configured). */
  instances: InstanceView[] | null;
  /** Learned corrections across instances: cursor, queued, lag (null without PostgreSQL or user memory). */
  corrections: ReturnType<PgMemory['replication']> | null;
}

/**
 * A team gateway's shared parts (issue 20, docs/operations.md "Running a team gateway"):
 * PostgreSQL for the ledger, virtual keys and learned corrections (with the schema migrated at
 * start), Redis for rate limits, cooldowns and sticky sessions, a local queue for what waits on
 * PostgreSQL, and a heartbeat so `status` can list the instances. Built by the daemon only when
 * `cluster.postgres.url` or `cluster.redis.url` is set.
 */
export class Cluster {
  readonly instance: string;
  private readonly config: Config['cluster'];
  private readonly logger: Logger;
  private readonly pool: pg.Pool | null;
  private readonly queue: LocalQueue | null;
  private readonly redis: ClusterRedis | null;
  private ledgerStore: PgLedgerStore | null = null;
  private memory: PgMemory | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Retries the schema migration while the database was unreachable at start. */
  private migrating: NodeJS.Timeout | null = null;
  private readonly version: string;
  private readonly startedAt = Date.now();
  private closed = false;

  private constructor(o: {
    config: Config['cluster'];
    instance: string;
    logger: Logger;
    pool: pg.Pool | null;
    queue: LocalQueue | null;
    redis: ClusterRedis | null;
    version: string;
  }) {
    this.config = o.config;
    this.instance = o.instance;
    this.logger = o.logger;
    this.pool = o.pool;
    this.queue = o.queue;
    this.redis = o.redis;
    this.version = o.version;
  }

  /** True when the config asks for a cluster (a PostgreSQL or Redis URL is set). */
  static wanted(config: Config): boolean {
    return Boolean(config.cluster.postgres || config.cluster.redis);
  }

  /**
   * Connects what the config names: PostgreSQL (schema migrated under an advisory lock) and Redis
   * (which may be down at start: the instance then runs on local limits and keeps retrying).
   * Throws SRD_ERR_STORE_DOWN when PostgreSQL cannot be reached and `onStoreDown` is `fail`; with
   * `local-queue` the instance starts on its queue and connects later.
   */
  static async open(options: { config: Config; stateDir: string; port: number; version: string; logger: Logger }): Promise<Cluster> {
    const c = options.config.cluster;
    const instance = c.instance ?? `${os.hostname()}:${options.port}`;
    const logger = options.logger.child({ cluster: instance });
    let pool: pg.Pool | null = null;
    let queue: LocalQueue | null = null;
    let migrating: NodeJS.Timeout | null = null;
    if (c.postgres) {
      queue = new LocalQueue(path.join(options.stateDir, CLUSTER_QUEUE_FILE));
      pool = createPool({ url: c.postgres.url, poolSize: c.postgres.poolSize, statementTimeoutMs: c.postgres.statementTimeoutMs, instance });
      try {
        await migrate(pool);
      } catch (err) {
        if (!isConnectionError(err)) {
          await pool.end().catch(() => undefined);
          queue.close();
          throw err instanceof SrdError
            ? err
            : new SrdError('SRD_ERR_LEDGER', `cannot migrate the cluster database ${redactUrl(c.postgres.url)}: ${(err as Error).message}`);
        }
        // Routing does not need the database: start, and migrate once it answers.
        logger.error(
          { err: (err as Error).message, postgres: redactUrl(c.postgres.url) },
          `cluster: PostgreSQL is unreachable at start; routing goes on, learning and budgeted requests ${c.onStoreDown === 'local-queue' ? 'are queued locally' : 'are refused'} until it answers`,
        );
        migrating = retryMigration(pool, logger);
      }
    }
    const redis = c.redis ? new ClusterRedis({ url: c.redis.url, prefix: c.redis.prefix, instance, logger }) : null;
    if (redis) await redis.connect();
    const cluster = new Cluster({ config: c, instance, logger, pool, queue, redis, version: options.version });
    cluster.migrating = migrating;
    await cluster.beat();
    cluster.heartbeat = setInterval(() => void cluster.beat(), c.heartbeatMs);
    cluster.heartbeat.unref();
    logger.info(
      { postgres: c.postgres ? redactUrl(c.postgres.url) : null, redis: c.redis ? redactUrl(c.redis.url) : null, onStoreDown: c.onStoreDown },
      'cluster: sharing state with other instances',
    );
    return cluster;
  }

  /** The shared ledger store, or null without PostgreSQL. */
  async ledger(): Promise<LedgerStore | null> {
    if (!this.pool || !this.queue || !this.config.postgres) return null;
    if (!this.ledgerStore) {
      const v = await this.pool.query<{ server_version: string }>('SHOW server_version').catch(() => ({ rows: [{ server_version: '?' }] }));
      this.ledgerStore = new PgLedgerStore(
        {
          pool: this.pool,
          url: this.config.postgres.url,
          instance: this.instance,
          queue: this.queue,
          onStoreDown: this.config.onStoreDown,
          logger: this.logger,
        },
        v.rows[0]?.server_version ?? '?',
      );
    }
    return this.ledgerStore;
  }

  /** Shared rate limits, or null without Redis. */
  rateLimits(): RateLimits | null {
    return this.redis ? new RedisRateLimits(this.redis) : null;
  }

  /** Shares cooldowns and sticky sessions through Redis (no-op without it). */
  async shareUpstream(cooldowns: CooldownStore, share: (sticky: RedisSticky | null) => void): Promise<void> {
    if (!this.redis) return;
    await new RedisCooldowns(this.redis, cooldowns, this.logger).start();
    share(new RedisSticky(this.redis));
  }

  /**
   * The user memory of `space`, shared through PostgreSQL (PgMemory), or null without PostgreSQL
   * (the local journal then serves). Throws like PgMemory.open.
   */
  async openMemory(space: EmbeddingSpace, settings: Pick<Config, 'timeDecay' | 'vectorStore'>): Promise<UserMemory | null> {
    if (!this.pool || !this.queue || !this.config.postgres) return null;
    const memory = await PgMemory.open({
      pool: this.pool,
      url: this.config.postgres.url,
      space,
      instance: this.instance,
      queue: this.queue,
      onStoreDown: this.config.onStoreDown,
      timeDecay: settings.timeDecay,
      compactionThreshold: settings.vectorStore.compactionThreshold,
      enableCompaction: settings.vectorStore.enableCompaction,
      mergeThreshold: settings.vectorStore.mergeThreshold,
      pollMs: this.config.pollMs,
      logger: this.logger,
    });
    this.memory = memory;
    return memory;
  }

  /** The cluster view of `status`: this instance, the stores' health, instances seen, replication of corrections. */
  async view(): Promise<ClusterView> {
    let instances: InstanceView[] | null = null;
    let pgOk = false;
    if (this.pool) {
      try {
        const since = Date.now() - 3 * this.config.heartbeatMs;
        const r = await this.pool.query('SELECT * FROM srd_instances WHERE last_seen >= $1 ORDER BY instance', [since]);
        pgOk = true;
        instances = r.rows.map((row) => ({
          instance: String(row.instance),
          host: String(row.host),
          pid: Number(row.pid),
          version: String(row.version),
          startedAt: new Date(Number(row.started_at)).toISOString(),
          lastSeen: new Date(Number(row.last_seen)).toISOString(),
          self: row.instance === this.instance,
        }));
      } catch (err) {
        if (!isConnectionError(err)) throw err;
      }
    }
    const ledger = this.ledgerStore?.health();
    return {
      instance: this.instance,
      postgres: this.config.postgres
        ? {
            url: redactUrl(this.config.postgres.url),
            ok: pgOk,
            downSince: ledger?.downSince ? new Date(ledger.downSince).toISOString() : null,
            queuedRows: this.queue?.sizeOf('usage') ?? 0,
          }
        : null,
      redis: this.redis && this.config.redis ? { url: redactUrl(this.config.redis.url), ...this.redis.health() } : null,
      instances,
      corrections: this.memory?.replication() ?? null,
    };
  }

  /** Stops the heartbeat (and removes this instance from the view), replays what it can, closes connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.migrating) clearInterval(this.migrating);
    await this.memory?.close();
    await this.ledgerStore?.close();
    if (this.pool) {
      await this.pool.query('DELETE FROM srd_instances WHERE instance = $1', [this.instance]).catch(() => undefined);
      await this.pool.end().catch(() => undefined);
    }
    this.queue?.close();
    await this.redis?.close();
  }

  /** Upserts this instance's heartbeat row; an unreachable database is the stores' to report. */
  private async beat(): Promise<void> {
    if (!this.pool || this.closed) return;
    const now = Date.now();
    await this.pool
      .query(
        `INSERT INTO srd_instances (instance, host, pid, version, started_at, last_seen) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (instance) DO UPDATE SET host = $2, pid = $3, version = $4, started_at = $5, last_seen = $6`,
        [this.instance, os.hostname(), process.pid, this.version, this.startedAt, now],
      )
      .catch(() => undefined);
  }
}

/** Migrates every second until the database answers (then stops); the timer is the caller's to clear. */
function retryMigration(pool: pg.Pool, logger: Logger): NodeJS.Timeout {
  let running = false;
  const timer: NodeJS.Timeout = setInterval(() => {
    if (running) return;
    running = true;
    migrate(pool).then(
      () => {
        clearInterval(timer);
        logger.info('cluster: PostgreSQL answers; schema checked');
      },
      () => {
        running = false;
      },
    );
  }, 1000);
  timer.unref();
  return timer;
}
