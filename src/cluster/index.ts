/**
 * The team gateway room (issue 20): several instances share the usage ledger, virtual keys and
 * learned corrections through PostgreSQL, and rate limits, cooldowns and sticky sessions through
 * Redis. Off unless `cluster.postgres.url` or `cluster.redis.url` is set.
 */

export { CLUSTER_QUEUE_FILE, Cluster, type ClusterView, type InstanceView } from './cluster.js';
export { LocalQueue, type QueuedItem, type QueuedKind } from './local-queue.js';
export { isConnectionError, openPg, PG_SCHEMA_VERSION, redactUrl, storeDown } from './pg.js';
export { PgLedgerStore } from './pg-ledger-store.js';
export { CORRECTIONS_CHANNEL, PgMemory, type PgMemoryOptions } from './pg-memory.js';
export { ClusterRedis, RedisCooldowns, RedisRateLimits, RedisSticky } from './redis.js';
