import { performance } from 'node:perf_hooks';
import { type Logger, pino } from 'pino';
import { type EmbeddingSpace, spaceId } from '../embedding/index.js';
import { SrdError } from '../errors.js';
import { type CompactionEvent, channels, type LearnedEvent, publish } from '../events.js';
import type { Intent, Tier } from '../intents.js';
import { planCompaction } from './compaction.js';
import type { DecaySettings } from './decay.js';
import { type MemoryFiles, memoryFiles } from './files.js';
import { encodeRecord, recordBytes } from './journal.js';
import { JournalWriter } from './journal-writer.js';
import { type MemoryMatrix, PatchMatrix } from './matrix.js';
import { checkNewPatch, freezePatch, type NewPatch, type Patch, type PatchOrigin } from './patch.js';
import { recover } from './recovery.js';
import { writeSnapshot } from './snapshot.js';
import { exportRecordsOf, liveSummary } from './summary.js';

/**
 * The user memory: learning events made durable in a journal, folded into a VCTR snapshot by
 * compaction, served to the router as a dense matrix. The daemon's main thread is its only
 * writer (DESIGN.md §3); one process per state dir. Rule: DESIGN.md §4, §6.
 */

/** How to open a MemoryStore; fields map onto the config as noted. */
export interface MemoryOptions {
  /** State dir holding `user_memory.vctr` and `user_memory.journal`; created if missing. */
  dir: string;
  /** Embedding space of every vector; records of another space are never mixed in. */
  space: EmbeddingSpace;
  /** Config `timeDecay`. */
  timeDecay: DecaySettings;
  /** Config `vectorStore.compactionThreshold`: live patches at which compaction starts, integer ≥ 1. */
  compactionThreshold: number;
  /** Config `vectorStore.enableCompaction`: automatic compaction (compact() works either way). */
  enableCompaction: boolean;
  /** Config `patchSimilarityThreshold`: cosine at which same-tier patches merge, in [-1, 1]. */
  mergeThreshold: number;
  /** Where warnings (skipped journal bytes) and errors (snapshot moved aside) go. Default: silent. */
  logger?: Logger;
  /** Clock in ms since the epoch (tests inject one). Default Date.now. */
  now?: () => number;
}

/** What one compaction did. `before`/`after` count the patches it folded (those appended meanwhile are not counted). */
export interface CompactionReport {
  before: number;
  after: number;
  /** Dead patches dropped. */
  dropped: number;
  /** Patches folded into a near-duplicate. */
  merged: number;
  /** Patches evicted (lowest decayed weight) to get under the size target. */
  evicted: number;
  /** Wall time in ms (planning + snapshot + journal restart). */
  ms: number;
  /** Highest patch id folded into the new snapshot. */
  lastSeq: number;
  /** now() when it ran, ms since the epoch. */
  at: number;
}

/** Counters and facts for `router.stats` / `memory status`. Times are ms since the epoch. */
export interface MemoryStats {
  patches: number;
  byTier: Record<Tier, number>;
  /** Durable journal size in bytes. */
  journalBytes: number;
  /** Live patches still only in the journal (appended since the last compaction). */
  journalRecords: number;
  /** Journal write batches since open. */
  journalWrites: number;
  /** Journal fdatasync calls since open; with group commit ≪ appends. */
  journalFsyncs: number;
  /** Rows of the snapshot currently on disk. */
  snapshotRows: number;
  compactions: number;
  /**
   * Live (not decayed-dead) corrections that compactions since open evicted to respect the
   * capacity rule: at most floor(0.75 × vectorStore.compactionThreshold) patches remain after a
   * compaction (COMPACTION_TARGET_RATIO); each eviction is also logged with logger.warn.
   */
  evictedForCapacity: number;
  lastCompaction: CompactionReport | null;
  /** Oldest / newest patch timestamp, null when empty. */
  oldest: number | null;
  newest: number | null;
}

/** One line of `memory export` (JSONL); the text itself is never stored, only its hash. */
export interface MemoryExportRecord {
  id: number;
  tier: Tier;
  label: Intent | null;
  timestamp: number;
  /** Initial weight w0. */
  weight: number;
  /** Weight at now(): w0 · gamma^(ageDays / halfLifeDays). */
  decayedWeight: number;
  textHash: string;
  origin: PatchOrigin;
}

/**
 * The user memory the router and the daemon use (DESIGN.md §6): MemoryStore (journal and snapshot
 * in the state dir) or a team's shared store (cluster/pg-memory.ts, issue 20). Same contract:
 * `append` resolves once the correction is durable, and the patch is live from then on.
 */
export interface UserMemory {
  /** Live patches. */
  readonly size: number;
  append(input: NewPatch): Promise<Patch>;
  /** Live patches in id order (oldest first), frozen. */
  patches(): readonly Patch[];
  /** Dense view for the kernel (PatchSearch). */
  matrix(): MemoryMatrix;
  compact(): Promise<CompactionReport>;
  stats(): MemoryStats;
  exportRecords(): MemoryExportRecord[];
  clear(): Promise<void>;
  forget(id: number): Promise<boolean>;
  /** Resolves once no write or compaction is queued or running. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** After compaction at most this share of compactionThreshold remains, so compactions are ≥ 25% of the threshold apart. */
export const COMPACTION_TARGET_RATIO = 0.75;
/** Appends wait for a running compaction once live + queued patches reach this multiple of the threshold (hard bound). */
export const BACKPRESSURE_RATIO = 2;

function checkOptions(o: MemoryOptions): void {
  if (typeof o.dir !== 'string' || o.dir === '') throw new TypeError('memory dir must be a non-empty string');
  if (!Number.isInteger(o.space?.dims) || o.space.dims < 1) throw new TypeError(`memory space.dims must be an integer ≥ 1 (got ${o.space?.dims})`);
  if (!Number.isInteger(o.compactionThreshold) || o.compactionThreshold < 1) {
    throw new TypeError(`vectorStore.compactionThreshold must be an integer ≥ 1 (got ${o.compactionThreshold})`);
  }
  if (!(o.mergeThreshold >= -1 && o.mergeThreshold <= 1)) throw new TypeError(`patchSimilarityThreshold must be in [-1, 1] (got ${o.mergeThreshold})`);
  const { gamma, halfLifeDays, deathThreshold, minRetention } = o.timeDecay ?? ({} as DecaySettings);
  if (!(gamma > 0 && gamma <= 1)) throw new TypeError(`timeDecay.gamma must be in (0, 1] (got ${gamma})`);
  if (!(halfLifeDays > 0)) throw new TypeError(`timeDecay.halfLifeDays must be > 0 (got ${halfLifeDays})`);
  if (!(deathThreshold >= 0)) throw new TypeError(`timeDecay.deathThreshold must be ≥ 0 (got ${deathThreshold})`);
  if (!Number.isInteger(minRetention) || minRetention < 0) throw new TypeError(`timeDecay.minRetention must be an integer ≥ 0 (got ${minRetention})`);
}

function closedError(): SrdError {
  return new SrdError('SRD_ERR_MEMORY_CLOSED', 'the user memory store is closed');
}

/** The user memory of one state dir. Create with MemoryStore.open(). Rule: DESIGN.md §6. */
export class MemoryStore implements UserMemory {
  private readonly files: MemoryFiles;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly spaceKey: string;
  private readonly grid: PatchMatrix;
  private live: Patch[];
  private liveView: { version: number; list: readonly Patch[] } | null = null;
  private nextSeq: number;
  private foldedSeq: number;
  private snapshotRows: number;
  private queued = 0;
  private closed = false;
  private maintenance: Promise<unknown> = Promise.resolve();
  private compacting: Promise<unknown> | null = null;
  private barrier: Promise<unknown> | null = null;
  private triggerAt: number;
  private compactions = 0;
  private evictedForCapacity = 0;
  private lastReport: CompactionReport | null = null;

  private constructor(
    private readonly options: MemoryOptions,
    state: Awaited<ReturnType<typeof recover>>,
    private readonly journal: JournalWriter,
    log: Logger,
  ) {
    this.files = memoryFiles(options.dir);
    this.now = options.now ?? Date.now;
    this.log = log;
    this.spaceKey = spaceId(options.space);
    this.live = state.patches;
    this.nextSeq = state.nextSeq;
    this.foldedSeq = state.foldedSeq;
    this.snapshotRows = state.snapshotRows;
    this.triggerAt = options.compactionThreshold;
    this.grid = new PatchMatrix(options.space.dims);
    this.grid.reset(this.live);
  }

  /**
   * Opens the memory of `options.dir`: snapshot + journal replay (see recover() in recovery.ts
   * for the repairs: an unusable snapshot is moved aside and logged with logger.error, damaged
   * journal bytes and other-space records are skipped with logger.warn and saved aside; none of
   * that is fatal). Starts a background compaction when the live set is already at the threshold.
   * Throws TypeError for invalid options and SRD_ERR_MEMORY_IO when the files cannot be read or
   * created. Rule: DESIGN.md §6.
   */
  static async open(options: MemoryOptions): Promise<MemoryStore> {
    checkOptions(options);
    const log = options.logger ?? pino({ level: 'silent' });
    const state = await recover(options.dir, options.space, log);
    const journal = await JournalWriter.open(memoryFiles(options.dir).journal);
    const store = new MemoryStore(options, state, journal, log);
    store.maybeCompact();
    return store;
  }

  /** Live patches. */
  get size(): number {
    return this.live.length;
  }

  /** Bytes one append adds to the journal: constant for the store's space (O(1) per event, DESIGN.md §4). */
  get bytesPerRecord(): number {
    return recordBytes(this.options.space.dims, this.spaceKey);
  }

  /**
   * Records one learning event: assigns the next id and timestamp = now(), appends one journal
   * record and resolves once it is fsync'd (group commit: concurrent appends share one write and
   * one fdatasync). The patch is live (patches(), matrix()) from that moment. May start a
   * background compaction; waits for a running one only when live + queued patches reach
   * 2 × compactionThreshold (back-pressure). Rejects with SRD_ERR_PATCH_EMPTY when the text has
   * nothing to learn from (isLearnableText: empty, whitespace or control characters only), with
   * TypeError for an otherwise invalid patch (vector length ≠ space.dims, non-finite values,
   * unknown tier/label/origin, weight ≤ 0),
   * SRD_ERR_MEMORY_CLOSED after close(), SRD_ERR_MEMORY_IO when the write or fsync fails (the
   * event is then not recorded). Rule: DESIGN.md §6.
   */
  async append(input: NewPatch): Promise<Patch> {
    const fields = checkNewPatch(input, this.options.space.dims);
    if (this.closed) throw closedError();
    const cap = BACKPRESSURE_RATIO * this.options.compactionThreshold;
    // Re-check both after every wait: an id must never be handed out while clear() runs, or
    // clear's snapshot (lastSeq = last id) would mark this event folded and replay would skip it.
    for (;;) {
      if (this.barrier !== null) await this.barrier;
      else if (this.compacting !== null && this.options.enableCompaction && this.live.length + this.queued >= cap) await this.compacting;
      else break;
    }
    if (this.closed) throw closedError();
    const timestamp = this.now();
    if (!Number.isFinite(timestamp)) throw new TypeError(`the memory clock returned ${timestamp}, expected ms since the epoch`);
    const patch = freezePatch({ id: this.nextSeq++, ...fields, timestamp });
    const frame = encodeRecord(patch, this.spaceKey);
    this.queued++;
    try {
      await this.journal.append(frame, () => {
        this.live.push(patch);
        this.grid.push(patch);
      });
    } finally {
      this.queued--;
    }
    publish<LearnedEvent>(channels.learned, { tier: patch.tier, origin: patch.origin });
    this.maybeCompact();
    return patch;
  }

  /** Live patches in id order (oldest first). The array and its patches are frozen; O(1) when unchanged. */
  patches(): readonly Patch[] {
    if (this.liveView === null || this.liveView.version !== this.grid.version) {
      this.liveView = { version: this.grid.version, list: Object.freeze(this.live.slice()) };
    }
    return this.liveView.list;
  }

  /**
   * Dense view for the kernel (see MemoryMatrix): vectors row-major, tiers, labels, ids, and
   * weight(row) decayed at now(). Cached per version: after an append only O(rows) bookkeeping is
   * redone, never O(rows × dims); otherwise O(1) (weights are computed per row on demand).
   */
  matrix(): MemoryMatrix {
    return this.grid.view(this.now(), this.options.timeDecay);
  }

  /**
   * Compacts now, whatever the size and enableCompaction (queued behind a running compaction or
   * clear): plans the new live set (rules in compaction.ts: merge same-tier near-duplicates at
   * cosine ≥ mergeThreshold, drop patches under deathThreshold keeping the minRetention newest
   * per tier, evict the lightest down to 75% of compactionThreshold; evictions of live patches
   * are logged with logger.warn and counted in stats().evictedForCapacity), writes the snapshot
   * atomically with lastSeq = the last folded id, then atomically restarts the journal with only
   * the records appended meanwhile. A crash at any point loses no acknowledged event: until the
   * snapshot's rename the old files hold everything; after it, replay skips records ≤ lastSeq.
   * Rejects with SRD_ERR_MEMORY_IO (nothing changes in memory; disk stays consistent) or
   * SRD_ERR_MEMORY_CLOSED. Rule: DESIGN.md §4, §6.
   */
  compact(): Promise<CompactionReport> {
    if (this.closed) return Promise.reject(closedError());
    return this.trackCompaction(this.serial(() => this.compactNow()));
  }

  /** Counters and facts (see MemoryStats). O(rows). */
  stats(): MemoryStats {
    const { byTier, oldest, newest } = liveSummary(this.live);
    let journalRecords = 0;
    for (const p of this.live) if (p.id > this.foldedSeq) journalRecords++;
    const j = this.journal.stats();
    return {
      patches: this.live.length,
      byTier,
      journalBytes: j.bytes,
      journalRecords,
      journalWrites: j.writes,
      journalFsyncs: j.fsyncs,
      snapshotRows: this.snapshotRows,
      compactions: this.compactions,
      evictedForCapacity: this.evictedForCapacity,
      lastCompaction: this.lastReport,
      oldest,
      newest,
    };
  }

  /** Every live patch as a `memory export` record, id order, decayed weights at now(). */
  exportRecords(): MemoryExportRecord[] {
    return exportRecordsOf(this.live, this.now(), this.options.timeDecay);
  }

  /**
   * Forgets every patch appended before the call, durably: an empty snapshot (lastSeq = the last
   * id) replaces the old one atomically, then the journal restarts empty; a restart at any
   * point finds no patch. Appends made while it runs (or still held by back-pressure when it
   * was called) wait and land after it. Ids are never reused. Rejects with SRD_ERR_MEMORY_IO or SRD_ERR_MEMORY_CLOSED.
   */
  async clear(): Promise<void> {
    if (this.closed) throw closedError();
    const run = this.serial(() =>
      this.journal.exclusive(async () => {
        await this.journal.flushInside();
        const lastSeq = this.nextSeq - 1;
        await writeSnapshot(this.files.snapshot, this.options.space, [], lastSeq, this.now());
        await this.journal.replaceWith(Buffer.alloc(0));
        this.replaceLive([], lastSeq);
        this.log.info({ dir: this.options.dir, lastSeq }, 'user memory cleared');
      }),
    );
    const barrier = run.catch(() => undefined);
    this.barrier = barrier;
    try {
      await run;
    } finally {
      if (this.barrier === barrier) this.barrier = null;
    }
  }

  /**
   * Forgets one patch by id, durably (the dashboard's Delete, `memory.forget`): the snapshot is
   * rewritten atomically with every other live patch (lastSeq = the last id handed out), then the
   * journal restarts empty, exactly as clear() does for all of them; a restart at any point finds
   * the patch either still there (before the snapshot's rename) or gone, never half. The patch
   * leaves the search matrix at once. O(live patches) per call: an interactive action, not a hot
   * path. Appends made meanwhile wait and land after it. Resolves false for an id that is not live.
   * Rejects with SRD_ERR_MEMORY_IO or SRD_ERR_MEMORY_CLOSED.
   */
  async forget(id: number): Promise<boolean> {
    if (this.closed) throw closedError();
    if (!this.live.some((p) => p.id === id)) return false;
    const run = this.serial(() =>
      this.journal.exclusive(async () => {
        await this.journal.flushInside();
        const remaining = this.live.filter((p) => p.id !== id);
        if (remaining.length === this.live.length) return false;
        const lastSeq = this.nextSeq - 1;
        await writeSnapshot(this.files.snapshot, this.options.space, remaining, lastSeq, this.now());
        await this.journal.replaceWith(Buffer.alloc(0));
        this.replaceLive(remaining, lastSeq);
        this.log.info({ dir: this.options.dir, id }, 'user memory: forgot one correction');
        return true;
      }),
    );
    const barrier = run.catch(() => undefined);
    this.barrier = barrier;
    try {
      return await run;
    } finally {
      if (this.barrier === barrier) this.barrier = null;
    }
  }

  /** Resolves once no append is queued and no compaction or clear is running or queued. */
  async settled(): Promise<void> {
    for (;;) {
      await this.journal.drain();
      const m = this.maintenance;
      await m;
      if (this.compacting !== null) await this.compacting;
      if (this.queued === 0 && this.compacting === null && m === this.maintenance) return;
      // Appends still resuming after their fsync: let them run instead of spinning on microtasks.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /**
   * Stops the store: later calls reject with SRD_ERR_MEMORY_CLOSED; a running compaction is
   * abandoned at its next pause (before it writes anything) or allowed to finish writing;
   * queued appends are written and fsync'd; the journal is closed. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.maintenance;
    await this.journal.close();
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.maintenance.then(op);
    this.maintenance = next.catch(() => undefined);
    return next;
  }

  private trackCompaction<T>(p: Promise<T>): Promise<T> {
    // Cleared in the first handler of `p`, so handlers chained on `p` later see it null.
    const done = (): void => {
      if (this.compacting === settled) this.compacting = null;
    };
    const settled: Promise<unknown> = p.then(done, done);
    this.compacting = settled;
    return p;
  }

  private maybeCompact(): void {
    if (!this.options.enableCompaction || this.closed || this.compacting !== null || this.live.length < this.triggerAt) return;
    const threshold = this.options.compactionThreshold;
    this.trackCompaction(this.serial(() => this.compactNow())).then(
      (report) => {
        this.triggerAt = Math.max(threshold, report.after + Math.ceil(threshold * (1 - COMPACTION_TARGET_RATIO)));
        this.maybeCompact();
      },
      (err: unknown) => {
        if (this.closed && err instanceof SrdError && err.code === 'SRD_ERR_MEMORY_CLOSED') return;
        // Retry after another tenth of the threshold, not on every append (disk full stays full for a while).
        this.triggerAt = this.live.length + Math.max(1, Math.ceil(threshold / 10));
        this.log.error({ err, code: (err as SrdError).code, dir: this.options.dir }, `user memory compaction failed; will retry at ${this.triggerAt} patches`);
      },
    );
  }

  private replaceLive(patches: Patch[], foldedSeq: number): void {
    this.live = patches;
    this.foldedSeq = foldedSeq;
    this.snapshotRows = patches.filter((p) => p.id <= foldedSeq).length;
    this.grid.reset(patches);
  }

  private async compactNow(): Promise<CompactionReport> {
    if (this.closed) throw closedError();
    const t0 = performance.now();
    const now = this.now();
    // Taken together, synchronously: every patch in `input` is durable and lies before `offset`.
    const input = this.live.slice();
    const lastSeq = input.length > 0 ? Math.max(this.foldedSeq, (input[input.length - 1] as Patch).id) : this.foldedSeq;
    const offset = this.journal.committedBytes;
    const { timeDecay, mergeThreshold, compactionThreshold, space } = this.options;
    const target = Math.floor(COMPACTION_TARGET_RATIO * compactionThreshold);
    const plan = await planCompaction(input, { decay: timeDecay, mergeThreshold, target, foldedSeq: this.foldedSeq, now }, () => this.closed);
    if (plan === null) throw closedError();
    await writeSnapshot(this.files.snapshot, space, plan.patches, lastSeq, now);
    await this.journal.exclusive(async () => {
      const tail = await this.journal.readTail(offset);
      await this.journal.replaceWith(tail);
      this.replaceLive([...plan.patches, ...this.live.filter((p) => p.id > lastSeq)], lastSeq);
    });
    const report: CompactionReport = {
      before: input.length,
      after: plan.patches.length,
      dropped: plan.dropped,
      merged: plan.merged,
      evicted: plan.evicted,
      ms: performance.now() - t0,
      lastSeq,
      at: now,
    };
    this.compactions++;
    this.lastReport = report;
    publish<CompactionEvent>(channels.compaction, {
      before: report.before,
      after: report.after,
      dropped: report.dropped,
      merged: report.merged,
      evicted: report.evicted,
    });
    this.log.info({ dir: this.options.dir, ...report }, `user memory compacted: ${report.before} → ${report.after} patches`);
    if (report.evicted > 0) {
      this.evictedForCapacity += report.evicted;
      this.log.warn(
        { dir: this.options.dir, evicted: report.evicted, target, compactionThreshold, evictedForCapacity: this.evictedForCapacity },
        `user memory compaction evicted ${report.evicted} live correction(s) for capacity: at most ${target} ` +
          `(floor(${COMPACTION_TARGET_RATIO} × vectorStore.compactionThreshold ${compactionThreshold})) remain after a compaction, ` +
          'the lowest decayed weights go first; raise vectorStore.compactionThreshold to keep more',
      );
    }
    return report;
  }
}
