import { existsSync, renameSync } from 'node:fs';
import { KEY_COLUMNS, keyRecord, totalsRow, usageRow } from './columns.js';
import { openSqlite, type SqliteDb, type SqlParams } from './sqlite.js';
import type { KeyRecord, LedgerStore, UsageFilter, UsageGroup, UsageRow, UsageTotals } from './store.js';

/**
 * Schema migrations, in order; `PRAGMA user_version` is the number applied. Append, never edit: a
 * database written by an older smart-routerd is brought forward at open.
 */
const MIGRATIONS: readonly string[] = [
  // 1: the usage ledger and virtual keys (issue 14).
  `CREATE TABLE usage (
     id TEXT PRIMARY KEY,
     ts INTEGER NOT NULL,
     key_hash TEXT,
     key_name TEXT NOT NULL,
     session TEXT,
     endpoint TEXT NOT NULL,
     requested_model TEXT NOT NULL,
     model TEXT,
     provider TEXT,
     tier TEXT,
     intent TEXT,
     decision_id TEXT,
     source TEXT NOT NULL,
     input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     cache_read_tokens INTEGER NOT NULL,
     cache_write_tokens INTEGER NOT NULL,
     usage_reported INTEGER NOT NULL,
     cost_usd REAL NOT NULL,
     latency_ms REAL NOT NULL,
     ttfb_ms REAL,
     status INTEGER NOT NULL,
     attempts INTEGER NOT NULL
   );
   CREATE INDEX usage_ts ON usage (ts);
   CREATE INDEX usage_key_ts ON usage (key_hash, ts);
   CREATE TABLE keys (
     hash TEXT PRIMARY KEY,
     alias TEXT,
     preview TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER,
     max_budget REAL,
     budget_duration TEXT,
     budget_reset_at INTEGER,
     spend REAL NOT NULL DEFAULT 0,
     total_spend REAL NOT NULL DEFAULT 0,
     models TEXT NOT NULL DEFAULT '[]',
     rpm_limit INTEGER,
     tpm_limit INTEGER,
     metadata TEXT NOT NULL DEFAULT '{}'
   );`,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** SQLite's codes for a file that is not (or no longer) a database. */
const CORRUPT = /SQLITE_(NOTADB|CORRUPT)|file is not a database|database disk image is malformed/i;

/**
 * The ledger in an embedded SQLite database (issue 14; default `<stateDir>/usage.db`), WAL mode:
 * a row is committed before its request's answer ends, so a SIGKILL loses no acknowledged row.
 * A file that is not a database is moved aside to `usage.db.corrupt-<time>` and a new one created
 * (`movedAside` says where); a database from a newer smart-routerd is refused, not downgraded.
 */
export class SqliteLedgerStore implements LedgerStore {
  readonly backend: string;
  /** Where a corrupt database was moved at open, or null. */
  readonly movedAside: string | null;
  private readonly db: SqliteDb;

  constructor(file: string) {
    let moved: string | null = null;
    let db: SqliteDb;
    try {
      db = openSqlite(file);
      migrate(db);
    } catch (err) {
      if (!CORRUPT.test(String((err as Error).message)) && !CORRUPT.test(String((err as { code?: string }).code))) throw err;
      moved = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(file, moved);
      for (const side of ['-wal', '-shm']) if (existsSync(file + side)) renameSync(file + side, moved + side);
      db = openSqlite(file);
      migrate(db);
    }
    this.db = db;
    this.movedAside = moved;
    this.backend = `sqlite (${db.driver})`;
  }

  async append(row: UsageRow): Promise<void> {
    this.appendSync(row);
  }

  /** append() without the promise, for callers on SQLite alone (the cluster's local outbox). */
  appendSync(row: UsageRow): void {
    const charged = row.keyHash !== null && row.costUsd > 0;
    // One statement commits by itself; a row that charges a key commits with its spend, together.
    const write = () => {
      const inserted = this.db.run(
        `INSERT OR IGNORE INTO usage VALUES (@id, @ts, @keyHash, @keyName, @session, @endpoint, @requestedModel, @model, @provider, @tier,
           @intent, @decisionId, @source, @inputTokens, @outputTokens, @cacheReadTokens, @cacheWriteTokens, @usageReported,
           @costUsd, @latencyMs, @ttfbMs, @status, @attempts)`,
        { ...row, usageReported: row.usageReported ? 1 : 0 } as unknown as SqlParams,
      );
      if (charged && inserted.changes > 0) {
        this.db.run('UPDATE keys SET spend = spend + @cost, total_spend = total_spend + @cost WHERE hash = @hash', {
          cost: row.costUsd,
          hash: row.keyHash,
        });
      }
    };
    if (charged) this.db.transaction(write);
    else write();
  }

  async rows(filter: UsageFilter & { limit: number; offset?: number }): Promise<UsageRow[]> {
    const { where, params } = whereOf(filter);
    return this.db
      .all(`SELECT * FROM usage ${where} ORDER BY ts DESC, rowid DESC LIMIT @limit OFFSET @offset`, {
        ...params,
        limit: filter.limit,
        offset: filter.offset ?? 0,
      })
      .map(usageRow);
  }

  async totals(filter: UsageFilter, by: UsageGroup | null): Promise<UsageTotals[]> {
    const { where, params } = whereOf(filter);
    const column = by === null ? 'NULL' : by === 'key' ? 'key_name' : by;
    const rows = this.db.all(
      `SELECT ${column} AS grp, count(*) AS requests, sum(status >= 400) AS errors, sum(input_tokens) AS input,
         sum(output_tokens) AS output, sum(cache_read_tokens) AS cache_read, sum(cache_write_tokens) AS cache_write,
         sum(cost_usd) AS cost
       FROM usage ${where} ${by === null ? '' : 'GROUP BY grp ORDER BY cost DESC, requests DESC'}`,
      params,
    );
    return rows.map(totalsRow);
  }

  async series(filter: UsageFilter, bucketMs: number, by: UsageGroup): Promise<Array<UsageTotals & { t: number }>> {
    const { where, params } = whereOf(filter);
    const column = by === 'key' ? 'key_name' : by;
    const rows = this.db.all(
      // CAST: a bound JS number may arrive as REAL, and then ts / bucket would not floor.
      `SELECT CAST(ts / @bucket AS INTEGER) * @bucket AS t, ${column} AS grp, count(*) AS requests, sum(status >= 400) AS errors,
         sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cache_read_tokens) AS cache_read,
         sum(cache_write_tokens) AS cache_write, sum(cost_usd) AS cost
       FROM usage ${where} GROUP BY t, grp ORDER BY t, grp`,
      { ...params, bucket: Math.max(1, Math.floor(bucketMs)) },
    );
    return rows.map((r) => ({ t: Number(r.t), ...totalsRow(r) }));
  }

  async prune(before: number): Promise<number> {
    return this.db.run('DELETE FROM usage WHERE ts < @before', { before }).changes;
  }

  async insertKey(key: KeyRecord): Promise<void> {
    this.db.run(
      `INSERT INTO keys VALUES (@hash, @alias, @preview, @createdAt, @revokedAt, @maxBudget, @budgetDuration, @budgetResetAt,
         @spend, @totalSpend, @models, @rpmLimit, @tpmLimit, @metadata)`,
      { ...key, models: JSON.stringify(key.models), metadata: JSON.stringify(key.metadata) } as unknown as SqlParams,
    );
  }

  async key(hash: string): Promise<KeyRecord | null> {
    return this.keySync(hash);
  }

  private keySync(hash: string): KeyRecord | null {
    const row = this.db.get('SELECT * FROM keys WHERE hash = @hash', { hash });
    return row ? keyRecord(row) : null;
  }

  async keys(): Promise<KeyRecord[]> {
    return this.db.all('SELECT * FROM keys ORDER BY created_at, rowid').map(keyRecord);
  }

  async updateKey(hash: string, patch: Partial<Omit<KeyRecord, 'hash'>>): Promise<KeyRecord | null> {
    const sets: string[] = [];
    const params: SqlParams = { hash };
    for (const [field, value] of Object.entries(patch)) {
      const column = KEY_COLUMNS[field as keyof typeof KEY_COLUMNS];
      if (!column || value === undefined) continue;
      sets.push(`${column} = @${field}`);
      params[field] = field === 'models' || field === 'metadata' ? JSON.stringify(value) : (value as number | string | null);
    }
    if (sets.length > 0) this.db.run(`UPDATE keys SET ${sets.join(', ')} WHERE hash = @hash`, params);
    return this.keySync(hash);
  }

  async rollWindow(hash: string, from: number, to: number): Promise<KeyRecord | null> {
    this.db.run('UPDATE keys SET spend = 0, budget_reset_at = @to WHERE hash = @hash AND budget_reset_at = @from', { hash, from, to });
    return this.keySync(hash);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** Applies the migrations this database lacks, each in its own transaction. */
function migrate(db: SqliteDb): void {
  const version = Number(db.get('PRAGMA user_version')?.user_version ?? 0);
  if (version > SCHEMA_VERSION) {
    throw new Error(`usage database schema ${version} is newer than this smart-routerd's (${SCHEMA_VERSION}); upgrade smart-routerd`);
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}

/** The WHERE clause of a filter. */
function whereOf(f: UsageFilter): { where: string; params: SqlParams } {
  const clauses: string[] = [];
  const params: SqlParams = {};
  if (f.since !== undefined) {
    clauses.push('ts >= @since');
    params.since = f.since;
  }
  if (f.until !== undefined) {
    clauses.push('ts < @until');
    params.until = f.until;
  }
  if (f.keyHash !== undefined) {
    clauses.push('key_hash = @keyHash');
    params.keyHash = f.keyHash;
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
