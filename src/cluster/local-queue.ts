import { openSqlite, type SqliteDb } from '../ledger/index.js';

/** What waits in the queue: a ledger row, or a correction (cluster.onStoreDown "local-queue"). */
export type QueuedKind = 'usage' | 'correction';

/** One queued item, oldest first by `seq`. */
export interface QueuedItem {
  seq: number;
  kind: QueuedKind;
  /** JSON of the row or correction as it will be written to PostgreSQL. */
  payload: string;
}

/**
 * The durable local queue of a cluster member (`<stateDir>/cluster-queue.db`, SQLite WAL): what
 * was acknowledged while PostgreSQL was unreachable waits here until it is replayed. A push is
 * committed before it resolves, so a SIGKILL loses nothing pushed; replays are idempotent on the
 * PostgreSQL side (usage by request id, corrections by uid), so an item replayed twice (a crash
 * between the database's commit and `remove`) is written once.
 */
export class LocalQueue {
  private readonly db: SqliteDb;
  private count: number;

  /** Opens (creating) the queue file. Throws the driver's error when it cannot be opened. */
  constructor(readonly file: string) {
    this.db = openSqlite(file);
    this.db.exec('CREATE TABLE IF NOT EXISTS queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT NOT NULL)');
    this.count = Number(this.db.get('SELECT count(*) AS n FROM queue')?.n ?? 0);
  }

  /** Items waiting. */
  get size(): number {
    return this.count;
  }

  /** Items of one kind waiting. */
  sizeOf(kind: QueuedKind): number {
    return Number(this.db.get('SELECT count(*) AS n FROM queue WHERE kind = @kind', { kind })?.n ?? 0);
  }

  /** Appends one item, committed on return. */
  push(kind: QueuedKind, payload: unknown): void {
    this.db.run('INSERT INTO queue (kind, payload) VALUES (@kind, @payload)', { kind, payload: JSON.stringify(payload) });
    this.count++;
  }

  /** The oldest `limit` items of `kind` (all kinds when omitted). */
  peek(limit: number, kind?: QueuedKind): QueuedItem[] {
    const rows = kind
      ? this.db.all('SELECT seq, kind, payload FROM queue WHERE kind = @kind ORDER BY seq LIMIT @limit', { kind, limit })
      : this.db.all('SELECT seq, kind, payload FROM queue ORDER BY seq LIMIT @limit', { limit });
    return rows.map((r) => ({ seq: Number(r.seq), kind: r.kind as QueuedKind, payload: String(r.payload) }));
  }

  /** Deletes replayed items. */
  remove(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    this.db.transaction(() => {
      for (const seq of seqs) this.count -= this.db.run('DELETE FROM queue WHERE seq = @seq', { seq }).changes;
    });
  }

  close(): void {
    this.db.close();
  }
}
