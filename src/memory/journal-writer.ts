import { type FileHandle, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SrdError } from '../errors.js';
import { channels, type JournalSyncEvent, publish } from '../events.js';
import { ioError, MEMORY_FILE_MODE, syncDir, writeDurable } from './files.js';

/**
 * The journal's single writer: appends frames with group commit and replaces the file
 * atomically when compaction or clear() starts a new journal. Rule: DESIGN.md §6 (fsync'd before
 * the event is acknowledged).
 *
 * Group commit: appends made while a batch is being written and fsync'd wait, then go out
 * together as ONE write and ONE fdatasync. 2,000 concurrent appends cost a handful of fsyncs
 * rather than 2,000, which is what lets 16 clients learn at once (the same trick as a database
 * WAL's commit_delay, without the delay: the next batch is simply whatever queued meanwhile).
 */

interface Pending {
  frame: Buffer;
  /** Called synchronously, in append order, once the frame is durable and before the promise settles. */
  onDurable: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Counters for stats() and tests. */
export interface JournalWriterStats {
  /** Durable size of the journal file in bytes. */
  bytes: number;
  /** write() batches issued since open. */
  writes: number;
  /** fdatasync calls on the journal since open (one per batch). */
  fsyncs: number;
}

/** Appends frames to `user_memory.journal`; one instance per file, one process per state dir. */
export class JournalWriter {
  private handle: FileHandle | null;
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  private lock: Promise<void> | null = null;
  private broken: SrdError | null = null;
  private committed: number;
  private writes = 0;
  private fsyncs = 0;

  private constructor(
    readonly path: string,
    handle: FileHandle,
    size: number,
  ) {
    this.handle = handle;
    this.committed = size;
  }

  /**
   * Opens (creating it if needed) the journal for appending. The file is created with mode 0600
   * whatever the umask, and a journal an older version left readable by others is narrowed to
   * 0600 through the open descriptor. The caller has already replayed and, if needed, repaired
   * it. Throws SRD_ERR_MEMORY_IO.
   */
  static async open(path: string): Promise<JournalWriter> {
    const existed = await stat(path).then(
      () => true,
      () => false,
    );
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, 'a+', MEMORY_FILE_MODE);
      const { size, mode } = await handle.stat();
      if ((mode & 0o077) !== 0) await handle.chmod(MEMORY_FILE_MODE);
      if (!existed) await syncDir(dirname(path));
      return new JournalWriter(path, handle, size);
    } catch (err) {
      await handle?.close().catch(() => undefined);
      throw ioError(path, 'open the journal for appending', err);
    }
  }

  /** Durable byte size: everything before it has been fsync'd. Read synchronously for consistency with onDurable. */
  get committedBytes(): number {
    return this.committed;
  }

  /** Counters since open. */
  stats(): JournalWriterStats {
    return { bytes: this.committed, writes: this.writes, fsyncs: this.fsyncs };
  }

  /**
   * Queues one frame. Resolves after the batch containing it has been written and fdatasync'd
   * (and `onDurable` has run). Rejects with SRD_ERR_MEMORY_IO when the write or fsync fails (the
   * batch is then truncated away, best effort) or when the writer broke earlier.
   */
  append(frame: Buffer, onDurable: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ frame, onDurable, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Runs `fn` with the file to itself: the batch in flight finishes first, no new batch starts
   * until `fn` settles (appends keep queueing). Exclusive sections run one at a time.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.lock !== null) await this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    try {
      if (this.flushing !== null) await this.flushing;
      return await fn();
    } finally {
      this.lock = null;
      release();
      this.schedule();
    }
  }

  /** Inside exclusive(): writes every queued frame now (one batch). Used by clear(). */
  async flushInside(): Promise<void> {
    if (this.pending.length > 0) await this.writeBatch(this.pending.splice(0));
  }

  /** Inside exclusive(): reads bytes [start, committedBytes) of the journal. Throws SRD_ERR_MEMORY_IO. */
  async readTail(start: number): Promise<Buffer> {
    const length = this.committed - start;
    const out = Buffer.alloc(Math.max(0, length));
    try {
      const handle = await this.ensureHandle();
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, start + done);
        if (bytesRead === 0) throw new Error(`journal ended at ${start + done} bytes, expected ${this.committed}`);
        done += bytesRead;
      }
    } catch (err) {
      throw err instanceof SrdError ? err : ioError(this.path, 'read the journal tail', err);
    }
    return out;
  }

  /**
   * Inside exclusive(): atomically replaces the journal with `bytes` (temp + fsync + rename +
   * directory fsync) and reopens it for appending. Throws SRD_ERR_MEMORY_IO; on failure before
   * the rename the old journal stays in use.
   */
  async replaceWith(bytes: Buffer): Promise<void> {
    await writeDurable(this.path, bytes);
    const old = this.handle;
    this.handle = null;
    this.committed = bytes.length;
    await old?.close().catch(() => undefined);
    await this.ensureHandle().catch(() => undefined);
  }

  /** Resolves once nothing is queued or in flight. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.flushing !== null || this.lock !== null || this.scheduled) {
      if (this.lock !== null) await this.lock;
      else if (this.flushing !== null) await this.flushing;
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Drains, then closes the file. Later appends reject. */
  async close(): Promise<void> {
    await this.drain();
    this.broken ??= new SrdError('SRD_ERR_MEMORY_CLOSED', `${this.path}: the journal is closed`);
    await this.handle?.close().catch(() => undefined);
    this.handle = null;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing !== null || this.lock !== null || this.pending.length === 0) return;
    this.scheduled = true;
    // setImmediate rather than a microtask: appends arriving in the same I/O phase (many
    // sockets at once) join the first batch instead of waiting for the second.
    setImmediate(() => {
      this.scheduled = false;
      if (this.flushing !== null || this.lock !== null) return;
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = null;
        this.schedule();
      });
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0 && this.lock === null) await this.writeBatch(this.pending.splice(0));
  }

  private async ensureHandle(): Promise<FileHandle> {
    if (this.broken !== null) throw this.broken;
    if (this.handle === null) {
      try {
        this.handle = await open(this.path, 'a+', MEMORY_FILE_MODE);
      } catch (err) {
        throw ioError(this.path, 'reopen the journal', err);
      }
    }
    return this.handle;
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const bytes = batch.length === 1 ? (batch[0] as Pending).frame : Buffer.concat(batch.map((p) => p.frame));
    let handle: FileHandle;
    try {
      handle = await this.ensureHandle();
      let done = 0;
      this.writes++;
      while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done, null)).bytesWritten;
      this.fsyncs++;
      const syncStarted = performance.now();
      await handle.datasync();
      publish<JournalSyncEvent>(channels.journalSync, { ms: performance.now() - syncStarted, records: batch.length });
    } catch (err) {
      const error = err instanceof SrdError ? err : ioError(this.path, 'append and fsync a record', err);
      await this.rollback();
      for (const p of batch) p.reject(error);
      return;
    }
    this.committed += bytes.length;
    for (const p of batch) p.onDurable();
    for (const p of batch) p.resolve();
  }

  /** Cuts a failed batch off the end so later records do not follow garbage; breaks the writer if that fails too. */
  private async rollback(): Promise<void> {
    if (this.handle === null || this.broken !== null) return;
    try {
      await this.handle.truncate(this.committed);
      await this.handle.datasync();
    } catch (err) {
      this.broken = ioError(this.path, 'truncate a failed append (journal writer stopped; restart the daemon)', err);
    }
  }
}
