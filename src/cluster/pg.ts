import pg from 'pg';
import { SrdError } from '../errors.js';

/**
 * The cluster's PostgreSQL (issue 20): one pool per instance, and the schema, versioned and
 * migrated at start under an advisory lock so instances starting together migrate once.
 */

/** Advisory-lock keys (pg_advisory_lock(int, int)): the first half names smart-routerd, the second the job. */
export const LOCK_NAMESPACE = 0x5352_44; // "SRD"
export const LOCKS = { migrate: 1, compaction: 2, corrections: 3 } as const;

/**
 * Schema migrations, in order; `srd_schema.version` is the number applied. Append, never edit: a
 * database written by an older smart-routerd is brought forward at start.
 */
const MIGRATIONS: readonly string[] = [
  // 1: ledger and virtual keys (the SQLite ledger's columns), learned corrections, instances.
  `CREATE TABLE srd_usage (
     id text PRIMARY KEY,
     ts bigint NOT NULL,
     key_hash text,
     key_name text NOT NULL,
     session text,
     endpoint text NOT NULL,
     requested_model text NOT NULL,
     model text,
     provider text,
     tier text,
     intent text,
     decision_id text,
     source text NOT NULL,
     input_tokens bigint NOT NULL,
     output_tokens bigint NOT NULL,
     cache_read_tokens bigint NOT NULL,
     cache_write_tokens bigint NOT NULL,
     usage_reported boolean NOT NULL,
     cost_usd double precision NOT NULL,
     latency_ms double precision NOT NULL,
     ttfb_ms double precision,
     status integer NOT NULL,
     attempts integer NOT NULL,
     instance text
   );
   CREATE INDEX srd_usage_ts ON srd_usage (ts);
   CREATE INDEX srd_usage_key_ts ON srd_usage (key_hash, ts);
   CREATE TABLE srd_keys (
     hash text PRIMARY KEY,
     alias text,
     preview text NOT NULL,
     created_at bigint NOT NULL,
     revoked_at bigint,
     max_budget double precision,
     budget_duration text,
     budget_reset_at bigint,
     spend double precision NOT NULL DEFAULT 0,
     total_spend double precision NOT NULL DEFAULT 0,
     models jsonb NOT NULL DEFAULT '[]',
     rpm_limit integer,
     tpm_limit integer,
     metadata jsonb NOT NULL DEFAULT '{}'
   );
   CREATE TABLE srd_corrections (
     id bigserial PRIMARY KEY,
     uid uuid NOT NULL UNIQUE,
     space text NOT NULL,
     vector bytea NOT NULL,
     tier text NOT NULL,
     label text,
     text_hash text NOT NULL,
     origin text NOT NULL,
     weight double precision NOT NULL,
     ts double precision NOT NULL,
     instance text NOT NULL
   );
   CREATE INDEX srd_corrections_space_id ON srd_corrections (space, id);
   CREATE TABLE srd_memory_meta (
     space text PRIMARY KEY,
     generation bigint NOT NULL DEFAULT 0,
     folded_id bigint NOT NULL DEFAULT 0
   );
   CREATE TABLE srd_instances (
     instance text PRIMARY KEY,
     host text NOT NULL,
     pid integer NOT NULL,
     version text NOT NULL,
     started_at bigint NOT NULL,
     last_seen bigint NOT NULL,
     info jsonb NOT NULL DEFAULT '{}'
   );`,
];

/** The schema version this build writes. */
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Options of `openPg`. */
export interface PgOptions {
  url: string;
  poolSize: number;
  /** `statement_timeout` of every connection, ms. */
  statementTimeoutMs: number;
  /** Reported as `application_name` (pg_stat_activity). */
  instance: string;
}

/**
 * A pool on `url` (no connection is made yet). `statement_timeout` applies to every connection, so
 * a stuck database fails statements instead of hanging requests.
 */
export function createPool(options: PgOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: Math.min(5000, options.statementTimeoutMs),
    statement_timeout: options.statementTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: `smart-routerd ${options.instance}`.slice(0, 63),
  });
  // An idle client's connection dropping (database restart) is not fatal: the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A pool on `url` with the schema migrated (under pg_advisory_lock, so concurrent starts migrate
 * once). Throws SRD_ERR_STORE_DOWN naming the (redacted) URL when the database cannot be reached,
 * and SRD_ERR_LEDGER when its schema is newer than this build's.
 */
export async function openPg(options: PgOptions): Promise<pg.Pool> {
  const pool = createPool(options);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof SrdError) throw err;
    throw storeDown(options.url, err);
  }
  return pool;
}

/** SRD_ERR_STORE_DOWN for a failure to reach `url` (credentials redacted). */
export function storeDown(url: string, err: unknown): SrdError {
  return new SrdError('SRD_ERR_STORE_DOWN', `PostgreSQL ${redactUrl(url)} is unreachable: ${(err as Error).message || String(err)}`);
}

/** `url` with its user-info (user:password) blanked, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
}

/**
 * True for errors that mean "the database is not there" (connection refused/reset/closed,
 * timeouts, shutdown, or its tables not created yet: 42P01 while a start-up migration waits), not a
 * bad statement.
 */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|57P01|57P02|57P03|42P01|08000|08001|08003|08004|08006|08007)$/.test(e.code))
    return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable/i.test(
    e?.message ?? '',
  );
}

/**
 * Applies the migrations the database lacks, each in its own transaction, under pg_advisory_lock.
 * Throws the driver's error when the database cannot be reached, SRD_ERR_LEDGER for a newer schema.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, LOCKS.migrate]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS srd_schema (version integer NOT NULL)');
      const r = await client.query<{ version: number }>('SELECT version FROM srd_schema');
      let version = r.rows[0]?.version ?? 0;
      if (r.rows.length === 0) await client.query('INSERT INTO srd_schema VALUES (0)');
      if (version > PG_SCHEMA_VERSION) {
        throw new SrdError(
          'SRD_ERR_LEDGER',
          `the cluster database's schema ${version} is newer than this smart-routerd's (${PG_SCHEMA_VERSION}); upgrade smart-routerd`,
        );
      }
      for (; version < PG_SCHEMA_VERSION; version++) {
        await client.query('BEGIN');
        try {
          await client.query(MIGRATIONS[version]!);
          await client.query('UPDATE srd_schema SET version = $1', [version + 1]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, LOCKS.migrate]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/** Runs `fn` in one transaction on one pooled client (BEGIN … COMMIT, ROLLBACK on a throw). */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}
