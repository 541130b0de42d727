import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { type EmbeddingSpace, spaceId } from '../embedding/index.js';
import { SrdError } from '../errors.js';
import type { Intent, Tier } from '../intents.js';
import {
  COMPACTION_TARGET_RATIO,
  type CompactionReport,
  checkNewPatch,
  type DecaySettings,
  exportRecordsOf,
  freezePatch,
  liveSummary,
  type MemoryExportRecord,
  type MemoryMatrix,
  type MemoryStats,
  type NewPatch,
  type Patch,
  PatchMatrix,
  type PatchOrigin,
  planCompaction,
  type UserMemory,
} from '../memory/index.js';
import type { LocalQueue } from './local-queue.js';
import { inTransaction, isConnectionError, LOCK_NAMESPACE, LOCKS, storeDown } from './pg.js';

/** The NOTIFY channel of new or removed corrections; the payload is the space id. */
export const CORRECTIONS_CHANNEL = 'srd_corrections';

/** Options of PgMemory.open. */
export interface PgMemoryOptions {
  pool: pg.Pool;
  /** The database URL (LISTEN needs its own connection; messages redact it). */
  url: string;
  space: EmbeddingSpace;
  instance: string;
  queue: LocalQueue;
  onStoreDown: 'fail' | 'local-queue';
  timeDecay: DecaySettings;
  compactionThreshold: number;
  enableCompaction: boolean;
  mergeThreshold: number;
  /** Others' corrections are also polled this often, ms (LISTEN/NOTIFY is the fast path). */
  pollMs: number;
  logger: Logger;
  now?: () => number;
}

/** Replication lag samples kept for the cluster view. */
const LAG_SAMPLES = 1000;
/** Rows written per INSERT at most (group commit). */
const MAX_BATCH = 256;
/** Retry of the LISTEN connection, ms. */
const RELISTEN_MS = 1000;
/** Replay of queued corrections while some wait, ms. */
const REPLAY_MS = 1000;

/** What a waiting append becomes once committed. */
interface PendingAppend {
  uid: string;
  fields: ReturnType<typeof checkNewPatch>;
  ts: number;
  resolve: (p: Patch) => void;
  reject: (err: unknown) => void;
}

/** A correction as written to PostgreSQL and to the local queue. */
interface CorrectionRow {
  uid: string;
  vector: string;
  tier: Tier;
  label: Intent | null;
  textHash: string;
  origin: PatchOrigin;
  weight: number;
  ts: number;
}

/**
 * The learned corrections of a team (issue 20): every instance appends to one PostgreSQL table
 * (`srd_corrections`) and folds every instance's rows into its own hot patch matrix, so routing
 * never waits on the database. Order: appends take a transaction-scoped advisory lock before their
 * INSERT, so ids become visible in id order and one cursor (the last id applied) is exact. An
 * append resolves after the database commit (then the patch is live here too); others learn of it
 * by NOTIFY (and a poll every `pollMs` as a safety net). Compaction runs on one instance at a
 * time (pg_try_advisory_lock); it, clear and forget bump the space's `generation`, and every
 * instance then reloads the table. PostgreSQL down: appends reject with SRD_ERR_STORE_DOWN, or
 * with `onStoreDown: "local-queue"` are committed to the local queue, live here at once (negative
 * ids until replayed), and replayed by uid (idempotent) when the database is back.
 */
export class PgMemory implements UserMemory {
  private readonly o: PgMemoryOptions;
  private readonly spaceKey: string;
  private readonly now: () => number;
  private readonly grid: PatchMatrix;
  private live: Patch[] = [];
  private liveView: { version: number; list: readonly Patch[] } | null = null;
  /** Corrections acknowledged from the local queue, by uid, until their replay arrives. */
  private readonly provisional = new Map<string, Patch>();
  private nextProvisionalId = -1;
  private cursor = 0;
  private generation = -1;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private compacting: Promise<CompactionReport | null> | null = null;
  private triggerAt: number;
  private compactions = 0;
  private evictedForCapacity = 0;
  private lastReport: CompactionReport | null = null;
  private readonly lags: number[] = [];
  /** uid → patch of the rows read from the table (an append answers with its own row). */
  private readonly uids = new Map<string, Patch>();
  private listener: pg.Client | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private relistenTimer: NodeJS.Timeout | null = null;
  private replayTimer: NodeJS.Timeout | null = null;
  private downSince: number | null = null;
  private lastSyncAt: number | null = null;
  private closed = false;

  private constructor(options: PgMemoryOptions) {
    this.o = options;
    this.spaceKey = spaceId(options.space);
    this.now = options.now ?? Date.now;
    this.grid = new PatchMatrix(options.space.dims);
    this.triggerAt = options.compactionThreshold;
  }

  /**
   * Loads the space's corrections, starts listening and polling, and replays corrections left in
   * the local queue. Never fails for an unreachable database: it opens on the queued corrections
   * alone (appends are refused or queued per `onStoreDown` meanwhile) and catches up by polling.
   */
  static async open(options: PgMemoryOptions): Promise<PgMemory> {
    const m = new PgMemory(options);
    for (const item of options.queue.peek(1_000_000, 'correction')) m.applyProvisional(JSON.parse(item.payload) as CorrectionRow);
    try {
      await m.sync();
    } catch (err) {
      // Unreachable (or not migrated yet): route on what is here and catch up on the next poll.
      m.down(err);
    }
    m.pollTimer = setInterval(() => m.requestSync(), options.pollMs);
    m.pollTimer.unref();
    void m.listen();
    if (options.queue.sizeOf('correction') > 0) m.scheduleReplay();
    return m;
  }

  get size(): number {
    return this.live.length;
  }

  /**
   * Records one correction cluster-wide; resolves after the PostgreSQL commit (group commit:
   * appends waiting together share one transaction), when the patch is live here. Rejects like
   * MemoryStore.append for invalid input, with SRD_ERR_STORE_DOWN when the database cannot be
   * reached (mode `fail`), SRD_ERR_MEMORY_CLOSED after close().
   */
  append(input: NewPatch): Promise<Patch> {
    const fields = checkNewPatch(input, this.o.space.dims);
    if (this.closed) return Promise.reject(new SrdError('SRD_ERR_MEMORY_CLOSED', 'the user memory store is closed'));
    return new Promise<Patch>((resolve, reject) => {
      this.pending.push({ uid: randomUUID(), fields, ts: this.now(), resolve, reject });
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  patches(): readonly Patch[] {
    if (this.liveView === null || this.liveView.version !== this.grid.version) {
      this.liveView = { version: this.grid.version, list: Object.freeze(this.live.slice()) };
    }
    return this.liveView.list;
  }

  matrix(): MemoryMatrix {
    return this.grid.view(this.now(), this.o.timeDecay);
  }

  /**
   * Compacts the shared table now (compaction.ts rules), on this instance, unless another holds
   * the cluster's compaction lock (then resolves a report with before = after = live size). Rejects
   * with SRD_ERR_STORE_DOWN when the database cannot be reached.
   */
  async compact(): Promise<CompactionReport> {
    const report = await this.compactOnce();
    return report ?? { before: this.live.length, after: this.live.length, dropped: 0, merged: 0, evicted: 0, ms: 0, lastSeq: this.cursor, at: this.now() };
  }

  stats(): MemoryStats {
    const { byTier, oldest, newest } = liveSummary(this.live);
    return {
      patches: this.live.length,
      byTier,
      journalBytes: 0,
      journalRecords: this.provisional.size,
      journalWrites: 0,
      journalFsyncs: 0,
      snapshotRows: 0,
      compactions: this.compactions,
      evictedForCapacity: this.evictedForCapacity,
      lastCompaction: this.lastReport,
      oldest,
      newest,
    };
  }

  /**
   * The cluster view of learning: corrections applied (cursor), waiting in the local queue, when
   * the table was last read, whether the database is reachable, and the replication lag of other
   * instances' corrections (from when the other instance accepted the correction — its batching and commit included — to applied here, ms: p50, p99, max over the last 1,000).
   */
  replication(): {
    cursor: number;
    queued: number;
    lastSyncAt: string | null;
    storeDownSince: string | null;
    lagMs: { samples: number; p50: number | null; p99: number | null; max: number | null };
  } {
    const sorted = [...this.lags].sort((a, b) => a - b);
    const q = (f: number) => (sorted.length === 0 ? null : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))]! * 10) / 10);
    return {
      cursor: this.cursor,
      queued: this.provisional.size,
      lastSyncAt: this.lastSyncAt === null ? null : new Date(this.lastSyncAt).toISOString(),
      storeDownSince: this.downSince === null ? null : new Date(this.downSince).toISOString(),
      lagMs: { samples: sorted.length, p50: q(0.5), p99: q(0.99), max: sorted.length === 0 ? null : sorted[sorted.length - 1]! },
    };
  }

  exportRecords(): MemoryExportRecord[] {
    return exportRecordsOf(this.live, this.now(), this.o.timeDecay);
  }

  /** Forgets every correction of this space, cluster-wide. Rejects with SRD_ERR_STORE_DOWN when the database is unreachable. */
  async clear(): Promise<void> {
    await this.destructive('DELETE FROM srd_corrections WHERE space = $1', [this.spaceKey]);
    this.o.logger.info({ space: this.spaceKey }, 'cluster: user memory cleared on every instance');
  }

  /** Forgets one correction by id, cluster-wide; resolves whether it existed. */
  async forget(id: number): Promise<boolean> {
    const removed = await this.destructive('DELETE FROM srd_corrections WHERE space = $1 AND id = $2', [this.spaceKey, id]);
    return removed > 0;
  }

  async settled(): Promise<void> {
    for (;;) {
      const waits = [this.flushing, this.syncing, this.compacting].filter((p) => p !== null);
      if (waits.length === 0 && this.pending.length === 0) return;
      await Promise.allSettled(waits);
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.settled().catch(() => undefined);
    this.closed = true;
    for (const t of [this.pollTimer, this.relistenTimer, this.replayTimer]) if (t) clearTimeout(t);
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
  }

  /** Writes the waiting appends in one transaction, in batches, until none wait. */
  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        const rows = batch.map((a) => toRow(a.uid, a.fields, a.ts));
        try {
          await this.insert(rows);
          this.up();
        } catch (err) {
          if (isConnectionError(err) && this.o.onStoreDown === 'local-queue') {
            this.down(err);
            for (const [i, a] of batch.entries()) {
              try {
                this.o.queue.push('correction', rows[i]);
                a.resolve(this.applyProvisional(rows[i]!));
              } catch (qerr) {
                a.reject(qerr);
              }
            }
            this.scheduleReplay();
            continue;
          }
          if (isConnectionError(err)) this.down(err);
          const failure = isConnectionError(err) ? storeDown(this.o.url, err) : err;
          for (const a of batch) a.reject(failure);
          continue;
        }
        // Committed: read everything up to and including these rows, in id order, then answer.
        try {
          await this.sync();
        } catch {
          // The rows are committed; the poll will bring them. Answer from what was written.
        }
        for (const [i, a] of batch.entries()) a.resolve(this.findByUid(a.uid) ?? this.applyProvisional(rows[i]!));
      }
    } finally {
      this.flushing = null;
    }
  }

  /**
   * One statement, so one round trip and one transaction: the ordering lock (taken by the row
   * source before any row is inserted, so before any id is drawn), the rows, a NOTIFY for the other
   * instances (delivered at commit).
   */
  private async insert(rows: readonly CorrectionRow[]): Promise<void> {
    const params: unknown[] = [LOCK_NAMESPACE, LOCKS.corrections, CORRECTIONS_CHANNEL, this.spaceKey];
    const tuples = rows.map((r) => {
      params.push(r.uid, this.spaceKey, Buffer.from(r.vector, 'base64'), r.tier, r.label, r.textHash, r.origin, r.weight, r.ts, this.o.instance);
      const n = params.length - 9;
      const casts = ['uuid', 'text', 'bytea', 'text', 'text', 'text', 'text', 'float8', 'float8', 'text'];
      return `(${casts.map((c, i) => `$${n + i}::${c}`).join(', ')})`;
    });
    await this.o.pool.query(
      `WITH ins AS (
         INSERT INTO srd_corrections (uid, space, vector, tier, label, text_hash, origin, weight, ts, instance)
         SELECT v.* FROM (VALUES ${tuples.join(', ')}) AS v(uid, space, vector, tier, label, text_hash, origin, weight, ts, instance),
           (SELECT pg_advisory_xact_lock($1, $2)) AS ordering
         ON CONFLICT (uid) DO NOTHING
         RETURNING id)
       SELECT pg_notify($3, $4), (SELECT count(*) FROM ins) AS inserted`,
      params,
    );
  }

  /** Asks for a sync (NOTIFY, poll); runs one more after the current when one is running. */
  private requestSync(): void {
    if (this.closed) return;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.sync().catch((err: unknown) => {
      if (isConnectionError(err)) this.down(err);
      else this.o.logger.warn({ err: (err as Error).message }, 'cluster: reading corrections failed');
    });
  }

  /** Brings the matrix up to the table: a reload when the generation moved, else the rows past the cursor. */
  private sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing.then(() => (this.syncing ? this.syncing : this.sync()));
    }
    this.syncing = (async () => {
      try {
        do {
          this.syncAgain = false;
          await this.syncOnce();
        } while (this.syncAgain && !this.closed);
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const meta = await this.o.pool.query<{ generation: string }>('SELECT generation FROM srd_memory_meta WHERE space = $1', [this.spaceKey]);
    const generation = Number(meta.rows[0]?.generation ?? 0);
    const reload = generation !== this.generation;
    const r = await this.o.pool.query(
      `SELECT id, uid, vector, tier, label, text_hash, origin, weight, ts, instance FROM srd_corrections
       WHERE space = $1 AND id > $2 ORDER BY id`,
      [this.spaceKey, reload ? 0 : this.cursor],
    );
    this.up();
    const t = Date.now();
    this.lastSyncAt = t;
    if (reload) this.uids.clear();
    const fresh = r.rows.map((row) => {
      const p = rowPatch(row);
      this.uids.set(String(row.uid), p);
      return p;
    });
    let replaced = false;
    for (const row of r.rows) if (this.provisional.delete(String(row.uid))) replaced = true;
    if (reload || replaced) {
      const keep = reload ? fresh : [...this.live.filter((p) => p.id > 0), ...fresh];
      this.live = [...keep, ...this.provisional.values()];
      this.grid.reset(this.live);
      this.generation = generation;
    } else {
      for (const p of fresh) {
        this.live.push(p);
        this.grid.push(p);
      }
    }
    for (const row of r.rows) {
      if (row.instance !== this.o.instance && !reload) this.lag(t - Number(row.ts));
      this.cursor = Math.max(this.cursor, Number(row.id));
    }
    if (reload && r.rows.length === 0) this.cursor = Math.max(0, ...this.live.map((p) => p.id));
    this.maybeCompact();
  }

  private lag(ms: number): void {
    this.lags.push(Math.max(0, ms));
    if (this.lags.length > LAG_SAMPLES) this.lags.shift();
  }

  private findByUid(uid: string): Patch | undefined {
    return this.uids.get(uid);
  }

  /** A queued correction, live here with a negative id until its replay is read back. */
  private applyProvisional(row: CorrectionRow): Patch {
    const existing = this.provisional.get(row.uid);
    if (existing) return existing;
    const p = freezePatch({
      id: this.nextProvisionalId--,
      vector: decodeVector(Buffer.from(row.vector, 'base64')),
      tier: row.tier,
      label: row.label,
      timestamp: row.ts,
      weight: row.weight,
      textHash: row.textHash,
      origin: row.origin,
    });
    this.provisional.set(row.uid, p);
    this.live.push(p);
    this.grid.push(p);
    return p;
  }

  /** A DELETE that bumps the generation (every instance reloads); resolves the rows deleted. */
  private async destructive(sql: string, params: unknown[]): Promise<number> {
    if (this.closed) throw new SrdError('SRD_ERR_MEMORY_CLOSED', 'the user memory store is closed');
    let removed = 0;
    try {
      await inTransaction(this.o.pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCKS.corrections]);
        removed = (await client.query(sql, params)).rowCount ?? 0;
        await this.bumpGeneration(client, null);
      });
    } catch (err) {
      throw isConnectionError(err) ? storeDown(this.o.url, err) : err;
    }
    await this.sync();
    return removed;
  }

  private async bumpGeneration(client: pg.PoolClient, foldedId: number | null): Promise<void> {
    await client.query(
      `INSERT INTO srd_memory_meta (space, generation, folded_id) VALUES ($1, 1, COALESCE($2, 0))
       ON CONFLICT (space) DO UPDATE SET generation = srd_memory_meta.generation + 1, folded_id = COALESCE($2, srd_memory_meta.folded_id)`,
      [this.spaceKey, foldedId],
    );
    await client.query('SELECT pg_notify($1, $2)', [CORRECTIONS_CHANNEL, this.spaceKey]);
  }

  private maybeCompact(): void {
    if (!this.o.enableCompaction || this.closed || this.compacting !== null || this.live.length < this.triggerAt) return;
    const threshold = this.o.compactionThreshold;
    this.compactOnce().then(
      (report) => {
        this.triggerAt = report
          ? Math.max(threshold, report.after + Math.ceil(threshold * (1 - COMPACTION_TARGET_RATIO)))
          : this.live.length + Math.ceil(threshold / 10);
      },
      (err: unknown) => {
        this.triggerAt = this.live.length + Math.max(1, Math.ceil(threshold / 10));
        this.o.logger.error({ err: (err as Error).message }, `cluster: user memory compaction failed; will retry at ${this.triggerAt} patches`);
      },
    );
  }

  /** One cluster-wide compaction under the compaction lock; null when another instance holds it. */
  private compactOnce(): Promise<CompactionReport | null> {
    if (this.compacting) return this.compacting;
    const run = (async (): Promise<CompactionReport | null> => {
      const t0 = performance.now();
      const client = await this.o.pool.connect();
      try {
        const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_NAMESPACE, LOCKS.compaction]);
        if (!got.rows[0]?.ok) return null;
        try {
          await client.query('BEGIN');
          let report: CompactionReport;
          try {
            await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCKS.corrections]);
            const meta = await client.query('SELECT folded_id FROM srd_memory_meta WHERE space = $1', [this.spaceKey]);
            const foldedSeq = Number(meta.rows[0]?.folded_id ?? 0);
            const r = await client.query(
              'SELECT id, uid, vector, tier, label, text_hash, origin, weight, ts, instance FROM srd_corrections WHERE space = $1 ORDER BY id',
              [this.spaceKey],
            );
            const input = r.rows.map((row) => rowPatch(row));
            const now = this.now();
            const target = Math.floor(COMPACTION_TARGET_RATIO * this.o.compactionThreshold);
            const plan = await planCompaction(input, { decay: this.o.timeDecay, mergeThreshold: this.o.mergeThreshold, target, foldedSeq, now });
            if (plan === null) throw new SrdError('SRD_ERR_MEMORY_CLOSED', 'compaction cancelled');
            const original = new Map(input.map((p) => [p.id, p]));
            for (const p of plan.patches) {
              if (original.get(p.id) === p) continue;
              await client.query('UPDATE srd_corrections SET vector = $2, tier = $3, label = $4, weight = $5, ts = $6 WHERE id = $1', [
                p.id,
                encodeVector(p.vector),
                p.tier,
                p.label,
                p.weight,
                p.timestamp,
              ]);
            }
            const kept = plan.patches.map((p) => p.id);
            const lastSeq = input.length > 0 ? input[input.length - 1]!.id : foldedSeq;
            await client.query('DELETE FROM srd_corrections WHERE space = $1 AND id <= $2 AND NOT (id = ANY($3::bigint[]))', [this.spaceKey, lastSeq, kept]);
            await this.bumpGeneration(client, lastSeq);
            await client.query('COMMIT');
            report = {
              before: input.length,
              after: plan.patches.length,
              dropped: plan.dropped,
              merged: plan.merged,
              evicted: plan.evicted,
              ms: performance.now() - t0,
              lastSeq,
              at: now,
            };
          } catch (err) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
          this.compactions++;
          this.lastReport = report;
          this.evictedForCapacity += report.evicted;
          this.o.logger.info({ space: this.spaceKey, ...report }, `cluster: user memory compacted: ${report.before} → ${report.after} patches`);
          return report;
        } finally {
          await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, LOCKS.compaction]).catch(() => undefined);
        }
      } finally {
        client.release();
      }
    })();
    this.compacting = run;
    const done = () => {
      if (this.compacting === run) this.compacting = null;
    };
    run.then(done, done);
    return run.then(async (report) => {
      if (report) await this.sync().catch(() => undefined);
      return report;
    });
  }

  /** LISTEN on a connection of its own; reconnects after a second when it drops. */
  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.o.url, application_name: `smart-routerd ${this.o.instance} listen`.slice(0, 63) });
    const retry = () => {
      if (this.closed || this.relistenTimer) return;
      if (this.listener === client) this.listener = null;
      client.end().catch(() => undefined);
      this.relistenTimer = setTimeout(() => {
        this.relistenTimer = null;
        void this.listen();
      }, RELISTEN_MS);
      this.relistenTimer.unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (n) => {
      if (n.payload === this.spaceKey) this.requestSync();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CORRECTIONS_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.listener = client;
      // Anything committed while we were not listening.
      this.requestSync();
    } catch {
      retry();
    }
  }

  private scheduleReplay(): void {
    if (this.replayTimer || this.closed) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      this.replay().then(
        () => undefined,
        (err: unknown) => {
          if (!isConnectionError(err)) this.o.logger.warn({ err: (err as Error).message }, 'cluster: replaying queued corrections failed');
          this.scheduleReplay();
        },
      );
    }, REPLAY_MS);
    this.replayTimer.unref();
  }

  /** Writes queued corrections to the table (by uid: a second replay writes nothing), oldest first. */
  private async replay(): Promise<void> {
    for (;;) {
      const batch = this.o.queue.peek(MAX_BATCH, 'correction');
      if (batch.length === 0) return;
      await this.insert(batch.map((i) => JSON.parse(i.payload) as CorrectionRow));
      this.o.queue.remove(batch.map((i) => i.seq));
      this.o.logger.info({ corrections: batch.length, left: this.o.queue.sizeOf('correction') }, 'cluster: replayed queued corrections');
      await this.sync();
    }
  }

  private down(err: unknown): void {
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.o.logger.error(
      { err: (err as Error).message },
      this.o.onStoreDown === 'local-queue'
        ? `cluster: PostgreSQL is unreachable; corrections are acknowledged from the local queue ${this.o.queue.file} and replayed later`
        : 'cluster: PostgreSQL is unreachable; learning is refused until it is back (cluster.onStoreDown: fail); routing goes on',
    );
  }

  private up(): void {
    if (this.downSince === null) return;
    this.o.logger.info({ downMs: Date.now() - this.downSince }, 'cluster: PostgreSQL is reachable again (corrections)');
    this.downSince = null;
    if (this.o.queue.sizeOf('correction') > 0) this.scheduleReplay();
  }
}

function encodeVector(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function decodeVector(b: Buffer): Float32Array {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

function toRow(uid: string, f: ReturnType<typeof checkNewPatch>, ts: number): CorrectionRow {
  return { uid, vector: encodeVector(f.vector).toString('base64'), tier: f.tier, label: f.label, textHash: f.textHash, origin: f.origin, weight: f.weight, ts };
}

/** A table row as a frozen patch (id = the table's id). */
function rowPatch(row: Record<string, unknown>): Patch {
  return freezePatch({
    id: Number(row.id),
    vector: decodeVector(row.vector as Buffer),
    tier: row.tier as Tier,
    label: (row.label as Intent | null) ?? null,
    timestamp: Number(row.ts),
    weight: Number(row.weight),
    textHash: String(row.text_hash),
    origin: row.origin as PatchOrigin,
  });
}
