import type pg from 'pg';
import type { Logger } from 'pino';
import {
  KEY_COLUMNS,
  type KeyRecord,
  keyRecord,
  type LedgerStore,
  totalsRow,
  type UsageFilter,
  type UsageGroup,
  type UsageRow,
  type UsageTotals,
  usageRow,
} from '../ledger/index.js';
import type { LocalQueue } from './local-queue.js';
import { isConnectionError, storeDown } from './pg.js';

/** Options of PgLedgerStore. */
export interface PgLedgerStoreOptions {
  pool: pg.Pool;
  /** The database URL, for messages (redacted there). */
  url: string;
  /** This instance's name, stored with each row. */
  instance: string;
  /** Where rows wait while the database is unreachable. */
  queue: LocalQueue;
  /** cluster.onStoreDown: with `local-queue`, keys are read from the last copy seen while the database is down. */
  onStoreDown: 'fail' | 'local-queue';
  logger: Logger;
}

/** How often queued rows are replayed while some wait, ms. */
const REPLAY_MS = 1000;

const USAGE_COLUMNS = [
  'id',
  'ts',
  'key_hash',
  'key_name',
  'session',
  'endpoint',
  'requested_model',
  'model',
  'provider',
  'tier',
  'intent',
  'decision_id',
  'source',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'usage_reported',
  'cost_usd',
  'latency_ms',
  'ttfb_ms',
  'status',
  'attempts',
  'instance',
] as const;

/**
 * The usage ledger and virtual keys in PostgreSQL, shared by a team's instances (issue 20;
 * LiteLLM keeps keys and spend in PostgreSQL the same way). A row and its key's charge are one
 * statement (`INSERT … ON CONFLICT DO NOTHING` feeding `UPDATE … SET spend = spend + cost`), so
 * concurrent instances never lose a charge and a replayed row is never charged twice. While the
 * database is unreachable, rows go to the local queue (LocalQueue) and are replayed once it is
 * back: nothing acknowledged is lost. Reads fail with SRD_ERR_STORE_DOWN then, except a key's
 * last copy under `onStoreDown: "local-queue"`.
 */
export class PgLedgerStore implements LedgerStore {
  readonly backend: string;
  private readonly pool: pg.Pool;
  private readonly options: PgLedgerStoreOptions;
  /** The last copy of each key read from the database (local-queue mode answers from it while the database is down). */
  private readonly cachedKeys = new Map<string, KeyRecord>();
  private replayTimer: NodeJS.Timeout | null = null;
  private replaying: Promise<void> | null = null;
  private closed = false;
  private downSince: number | null = null;

  constructor(options: PgLedgerStoreOptions, serverVersion: string) {
    this.options = options;
    this.pool = options.pool;
    this.backend = `postgresql ${serverVersion}`;
    if (options.queue.peek(1, 'usage').length > 0) this.scheduleReplay();
  }

  /** Rows waiting in the local queue, and since when the database has been unreachable (epoch ms, null: reachable). */
  health(): { queuedRows: number; downSince: number | null } {
    return { queuedRows: this.options.queue.sizeOf('usage'), downSince: this.downSince };
  }

  async append(row: UsageRow): Promise<void> {
    try {
      await this.insert(row);
      this.up();
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      this.down(err);
      this.options.queue.push('usage', row);
      this.scheduleReplay();
    }
  }

  async rows(filter: UsageFilter & { limit: number; offset?: number }): Promise<UsageRow[]> {
    const { where, params } = whereOf(filter);
    const r = await this.query(`SELECT * FROM srd_usage ${where} ORDER BY ts DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [
      ...params,
      filter.limit,
      filter.offset ?? 0,
    ]);
    return r.rows.map(usageRow);
  }

  async totals(filter: UsageFilter, by: UsageGroup | null): Promise<UsageTotals[]> {
    const { where, params } = whereOf(filter);
    const column = by === null ? 'NULL' : by === 'key' ? 'key_name' : by;
    const r = await this.query(
      `SELECT ${column} AS grp, ${SUMS} FROM srd_usage ${where} ${by === null ? '' : 'GROUP BY grp ORDER BY cost DESC, requests DESC'}`,
      params,
    );
    return r.rows.map(totalsRow);
  }

  async series(filter: UsageFilter, bucketMs: number, by: UsageGroup): Promise<Array<UsageTotals & { t: number }>> {
    const { where, params } = whereOf(filter);
    const column = by === 'key' ? 'key_name' : by;
    const b = `$${params.length + 1}::bigint`;
    const r = await this.query(`SELECT (ts / ${b}) * ${b} AS t, ${column} AS grp, ${SUMS} FROM srd_usage ${where} GROUP BY t, grp ORDER BY t, grp`, [
      ...params,
      Math.max(1, Math.floor(bucketMs)),
    ]);
    return r.rows.map((row) => ({ t: Number(row.t), ...totalsRow(row) }));
  }

  async prune(before: number): Promise<number> {
    const r = await this.query('DELETE FROM srd_usage WHERE ts < $1', [before]);
    return r.rowCount ?? 0;
  }

  async insertKey(key: KeyRecord): Promise<void> {
    await this.query(
      `INSERT INTO srd_keys (hash, alias, preview, created_at, revoked_at, max_budget, budget_duration, budget_reset_at, spend,
         total_spend, models, rpm_limit, tpm_limit, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        key.hash,
        key.alias,
        key.preview,
        key.createdAt,
        key.revokedAt,
        key.maxBudget,
        key.budgetDuration,
        key.budgetResetAt,
        key.spend,
        key.totalSpend,
        JSON.stringify(key.models),
        key.rpmLimit,
        key.tpmLimit,
        JSON.stringify(key.metadata),
      ],
    );
    this.cachedKeys.set(key.hash, key);
  }

  async key(hash: string): Promise<KeyRecord | null> {
    try {
      const r = await this.pool.query('SELECT * FROM srd_keys WHERE hash = $1', [hash]);
      this.up();
      const k = r.rows[0] ? keyRecord(r.rows[0]) : null;
      if (k) this.cachedKeys.set(hash, k);
      return k;
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      this.down(err);
      if (this.options.onStoreDown === 'local-queue' && this.cachedKeys.has(hash)) return this.cachedKeys.get(hash)!;
      throw storeDown(this.options.url, err);
    }
  }

  async keys(): Promise<KeyRecord[]> {
    const r = await this.query('SELECT * FROM srd_keys ORDER BY created_at, hash');
    return r.rows.map(keyRecord);
  }

  async updateKey(hash: string, patch: Partial<Omit<KeyRecord, 'hash'>>): Promise<KeyRecord | null> {
    const sets: string[] = [];
    const params: unknown[] = [hash];
    for (const [field, value] of Object.entries(patch)) {
      const column = KEY_COLUMNS[field as keyof typeof KEY_COLUMNS];
      if (!column || value === undefined) continue;
      params.push(field === 'models' || field === 'metadata' ? JSON.stringify(value) : value);
      sets.push(`${column} = $${params.length}`);
    }
    if (sets.length > 0) await this.query(`UPDATE srd_keys SET ${sets.join(', ')} WHERE hash = $1`, params);
    return this.key(hash);
  }

  async rollWindow(hash: string, from: number, to: number): Promise<KeyRecord | null> {
    await this.query('UPDATE srd_keys SET spend = 0, budget_reset_at = $3 WHERE hash = $1 AND budget_reset_at = $2', [hash, from, to]);
    return this.key(hash);
  }

  /** Stops the replay timer after one last replay attempt; the pool is the cluster's to end. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.replayTimer) clearTimeout(this.replayTimer);
    await this.replaying;
    if (this.options.queue.size > 0) await this.replay().catch(() => undefined);
    this.closed = true;
  }

  private async insert(row: UsageRow): Promise<void> {
    const values = [
      row.id,
      row.ts,
      row.keyHash,
      row.keyName,
      row.session,
      row.endpoint,
      row.requestedModel,
      row.model,
      row.provider,
      row.tier,
      row.intent,
      row.decisionId,
      row.source,
      row.inputTokens,
      row.outputTokens,
      row.cacheReadTokens,
      row.cacheWriteTokens,
      row.usageReported,
      row.costUsd,
      row.latencyMs,
      row.ttfbMs,
      row.status,
      row.attempts,
      this.options.instance,
    ];
    // One statement, so the row and its charge commit together; DO NOTHING makes a replay harmless.
    await this.pool.query(
      `WITH ins AS (
         INSERT INTO srd_usage (${USAGE_COLUMNS.join(', ')}) VALUES (${USAGE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT (id) DO NOTHING RETURNING key_hash, cost_usd)
       UPDATE srd_keys k SET spend = k.spend + ins.cost_usd, total_spend = k.total_spend + ins.cost_usd
       FROM ins WHERE k.hash = ins.key_hash AND ins.cost_usd > 0`,
      values,
    );
  }

  /** A read or write that is not append: a connection failure becomes SRD_ERR_STORE_DOWN. */
  private async query(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
    try {
      const r = await this.pool.query(sql, params);
      this.up();
      return r;
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      this.down(err);
      throw storeDown(this.options.url, err);
    }
  }

  private down(err: unknown): void {
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.options.logger.error(
      { err: (err as Error).message },
      `cluster: PostgreSQL is unreachable; ledger rows go to the local queue ${this.options.queue.file} until it is back`,
    );
  }

  private up(): void {
    if (this.downSince === null) return;
    this.options.logger.info({ downMs: Date.now() - this.downSince }, 'cluster: PostgreSQL is reachable again');
    this.downSince = null;
    this.scheduleReplay();
  }

  private scheduleReplay(): void {
    if (this.replayTimer || this.closed) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      this.replaying = this.replay()
        .catch(() => undefined)
        .finally(() => {
          this.replaying = null;
          if (this.options.queue.peek(1, 'usage').length > 0) this.scheduleReplay();
        });
    }, REPLAY_MS);
    this.replayTimer.unref();
  }

  /** Writes queued rows to the database, oldest first, removing each batch once committed. */
  private async replay(): Promise<void> {
    for (;;) {
      const batch = this.options.queue.peek(100, 'usage');
      if (batch.length === 0) return;
      for (const item of batch) await this.insert(JSON.parse(item.payload) as UsageRow);
      this.options.queue.remove(batch.map((i) => i.seq));
      if (this.downSince !== null) this.up();
      this.options.logger.info({ rows: batch.length, left: this.options.queue.peek(1, 'usage').length }, 'cluster: replayed queued ledger rows');
    }
  }
}

const SUMS = `count(*) AS requests, count(*) FILTER (WHERE status >= 400) AS errors, sum(input_tokens) AS input,
  sum(output_tokens) AS output, sum(cache_read_tokens) AS cache_read, sum(cache_write_tokens) AS cache_write, sum(cost_usd) AS cost`;

function whereOf(f: UsageFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (f.since !== undefined) {
    params.push(f.since);
    clauses.push(`ts >= $${params.length}`);
  }
  if (f.until !== undefined) {
    params.push(f.until);
    clauses.push(`ts < $${params.length}`);
  }
  if (f.keyHash !== undefined) {
    params.push(f.keyHash);
    clauses.push(`key_hash = $${params.length}`);
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
