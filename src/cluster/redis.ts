import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LocalRateLimits, MINUTE, type RateExcess, type RateLimits } from '../ledger/index.js';
import type { CooldownEntry, CooldownStore } from '../upstream/index.js';
import { redactUrl } from './pg.js';

/** Options of ClusterRedis. */
export interface ClusterRedisOptions {
  url: string;
  /** Key prefix (cluster.redis.prefix). */
  prefix: string;
  instance: string;
  logger: Logger;
}

/** A Redis command that takes longer fails, ms: a stuck Redis degrades to local state instead of stalling requests. */
const COMMAND_TIMEOUT_MS = 500;

/**
 * The cluster's Redis (issue 20; LiteLLM keeps rate limits and cooldowns there the same way):
 * rpm/tpm windows per virtual key, provider cooldowns, sticky sessions, with TTLs. Every use
 * degrades: while Redis is unreachable each instance falls back to its own local limits,
 * cooldowns and sessions, and says so once in the log (and once when it is back). Commands do not
 * queue while disconnected (enableOfflineQueue off) and time out after 500 ms.
 */
export class ClusterRedis {
  readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly o: ClusterRedisOptions;
  private healthy = false;
  private downSince: number | null = null;
  private readonly handlers = new Map<string, (message: string) => void>();

  constructor(options: ClusterRedisOptions) {
    this.o = options;
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    };
    this.client = new Redis(options.url, { ...common, connectionName: `smart-routerd:${options.instance}` });
    // Subscriptions are replayed by ioredis on reconnect (autoResubscribe).
    this.subscriber = new Redis(options.url, { ...common, connectionName: `smart-routerd:${options.instance}:sub` });
    this.client.on('ready', () => this.up());
    this.client.on('error', (err: Error) => this.down(err));
    this.client.on('close', () => this.down(new Error('connection closed')));
    this.client.on('end', () => this.down(new Error('connection ended')));
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) => this.handlers.get(channel)?.(message));
  }

  /** Connects both connections; resolves false (logged) when Redis cannot be reached now: it keeps retrying. */
  async connect(): Promise<boolean> {
    try {
      await Promise.all([this.client.connect(), this.subscriber.connect()]);
      return true;
    } catch (err) {
      this.down(err as Error);
      return false;
    }
  }

  /** Whether commands can be sent now. */
  get available(): boolean {
    return this.healthy && this.client.status === 'ready';
  }

  /** The cluster view's Redis line. */
  health(): { ok: boolean; downSince: string | null } {
    return { ok: this.available, downSince: this.downSince === null ? null : new Date(this.downSince).toISOString() };
  }

  /** A key under the cluster's prefix. */
  key(...parts: string[]): string {
    return this.o.prefix + parts.join(':');
  }

  /** Calls `handler` for each message published on `channel` (under the prefix). */
  async subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    const full = this.key(channel);
    this.handlers.set(full, handler);
    await this.subscriber.subscribe(full).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.healthy = false;
    this.client.disconnect();
    this.subscriber.disconnect();
  }

  private up(): void {
    this.healthy = true;
    if (this.downSince !== null)
      this.o.logger.info({ downMs: Date.now() - this.downSince }, 'cluster: Redis is reachable again; limits, cooldowns and sessions are shared again');
    this.downSince = null;
  }

  private down(err: Error): void {
    this.healthy = false;
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.o.logger.warn(
      { err: err.message, redis: redactUrl(this.o.url) },
      'cluster: Redis is unreachable; each instance uses its own rate limits, cooldowns and sticky sessions until it is back',
    );
  }
}

/**
 * Sliding-minute rpm/tpm of one key, atomically (one Lua script): drop entries older than the
 * window, refuse when rpm or tpm is reached (answering the oldest entry's time), else count the
 * request. KEYS: rpm zset, tpm zset. ARGV: now, window ms, rpm limit (-1: none), tpm limit (-1:
 * none), member. tpm members are "<tokens>:<uuid>".
 */
const ADMIT_SCRIPT = `
local now = tonumber(ARGV[1]); local window = tonumber(ARGV[2])
local rpm = tonumber(ARGV[3]); local tpm = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if rpm >= 0 then
  local n = redis.call('ZCARD', KEYS[1])
  if n >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {'rpm_limit', n, oldest[2]}
  end
end
if tpm >= 0 then
  local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  local sum = 0
  for i = 1, #entries, 2 do sum = sum + tonumber(string.match(entries[i], '^(%d+):')) end
  if sum >= tpm then return {'tpm_limit', sum, entries[2]} end
end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], window)
return {'ok'}
`;

/** rpm/tpm windows in Redis, shared by every instance; LocalRateLimits while Redis is unreachable. */
export class RedisRateLimits implements RateLimits {
  private readonly local = new LocalRateLimits();

  constructor(private readonly redis: ClusterRedis) {}

  async admit(hash: string, now: number, rpmLimit: number | null, tpmLimit: number | null): Promise<RateExcess | null> {
    if (rpmLimit === null && tpmLimit === null) return null;
    if (!this.redis.available) return this.local.admit(hash, now, rpmLimit, tpmLimit);
    try {
      const r = (await this.redis.client.eval(
        ADMIT_SCRIPT,
        2,
        this.redis.key('rpm', hash),
        this.redis.key('tpm', hash),
        now,
        MINUTE,
        rpmLimit ?? -1,
        tpmLimit ?? -1,
        `${now}:${randomUUID()}`,
      )) as [string, number?, string?];
      if (r[0] === 'ok') return null;
      return { limit: r[0] as RateExcess['limit'], used: Number(r[1]), resetAt: Number(r[2]) + MINUTE };
    } catch {
      return this.local.admit(hash, now, rpmLimit, tpmLimit);
    }
  }

  async countTokens(hash: string, now: number, n: number): Promise<void> {
    if (n <= 0) return;
    if (!this.redis.available) return this.local.countTokens(hash, now, n);
    const key = this.redis.key('tpm', hash);
    try {
      await this.redis.client
        .multi()
        .zadd(key, now, `${Math.round(n)}:${randomUUID()}`)
        .pexpire(key, MINUTE)
        .exec();
    } catch {
      await this.local.countTokens(hash, now, n);
    }
  }
}

/** The pub/sub channel of cooldown changes (message: the cooldown key). */
const COOLDOWN_CHANNEL = 'cooldowns';

/**
 * Provider cooldowns and breaker state shared through Redis: a cooldown this instance records is
 * written (`<prefix>cooldown:<key>`, expiring with the failure window) and published; every
 * instance adopts what others publish, and reads existing ones at start. Routing keeps reading the
 * local CooldownStore (no Redis round trip per request).
 */
export class RedisCooldowns {
  constructor(
    private readonly redis: ClusterRedis,
    private readonly store: CooldownStore,
    private readonly logger: Logger,
  ) {}

  /** Subscribes, loads the cooldowns in force, and shares this store's from now on. */
  async start(): Promise<void> {
    this.store.onRecord((key, entry) => void this.publish(key, entry));
    await this.redis.subscribe(COOLDOWN_CHANNEL, (key) => void this.fetch(key));
    if (!this.redis.available) return;
    try {
      const keys = await this.redis.client.keys(this.redis.key('cooldown', '*'));
      for (const k of keys) await this.fetch(k.slice(this.redis.key('cooldown', '').length));
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'cluster: could not read the shared cooldowns');
    }
  }

  private async publish(key: string, entry: CooldownEntry): Promise<void> {
    if (!this.redis.available) return;
    const ttl = Math.max(1000, Math.max(entry.until, ...entry.failures.map((f) => f + this.store.failureWindowMs)) - Date.now());
    try {
      await this.redis.client
        .multi()
        .set(this.redis.key('cooldown', key), JSON.stringify(entry), 'PX', ttl)
        .publish(this.redis.key(COOLDOWN_CHANNEL), key)
        .exec();
    } catch {
      // Redis went away: this instance's cooldown stands locally.
    }
  }

  private async fetch(key: string): Promise<void> {
    try {
      const raw = await this.redis.client.get(this.redis.key('cooldown', key));
      if (raw) this.store.adopt(key, JSON.parse(raw) as CooldownEntry);
    } catch {
      // Unreachable or malformed: the local state stands.
    }
  }
}

/** A session's pin as proxy/sticky.ts keeps it (epoch ms `expiresAt`). */
export interface StickyEntry {
  model: string;
  tier: 'flagship' | 'lightweight';
  expiresAt: number;
}

/** Sticky sessions in Redis (`<prefix>sticky:<session>`, expiring with the session's TTL): the proxy's StickyRemote. */
export class RedisSticky {
  constructor(private readonly redis: ClusterRedis) {}

  async get(session: string): Promise<StickyEntry | null> {
    if (!this.redis.available) return null;
    try {
      const raw = await this.redis.client.get(this.redis.key('sticky', session));
      return raw ? (JSON.parse(raw) as StickyEntry) : null;
    } catch {
      return null;
    }
  }

  set(session: string, entry: StickyEntry): void {
    if (!this.redis.available) return;
    const ttl = Math.max(1, entry.expiresAt - Date.now());
    this.redis.client.set(this.redis.key('sticky', session), JSON.stringify(entry), 'PX', ttl).catch(() => undefined);
  }
}
