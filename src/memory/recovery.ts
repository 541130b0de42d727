import { mkdir, readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { type EmbeddingSpace, spaceId } from '../embedding/index.js';
import { isSrdError } from '../errors.js';
import { moveAside } from '../vctr/index.js';
import { ioError, MEMORY_DIR_MODE, memoryFiles, removeStaleTemps, saveAside, writeDurable } from './files.js';
import { type BadRegion, type JournalRecord, scanJournal } from './journal.js';
import type { Patch } from './patch.js';
import { readSnapshot, type Snapshot, type SnapshotSalvage, writeSnapshot } from './snapshot.js';

/**
 * Start-up: snapshot + journal replay, and the repairs that keep a damaged state dir usable
 * without ever deleting data. Rule: DESIGN.md §6 ("a torn or corrupt tail record is skipped
 * with a warning, never fatal, and never deletes good records"), §5 ("it moves it aside").
 */

/** What open() starts from. */
export interface RecoveredState {
  /** Live patches in id order: the snapshot's rows, then journal records with id > foldedSeq. */
  patches: Patch[];
  /** The snapshot's lastSeq (0 without a usable snapshot). */
  foldedSeq: number;
  /** Rows loaded from the snapshot. */
  snapshotRows: number;
  /** The next id to hand out: above every id seen in either file. */
  nextSeq: number;
}

type Log = Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;

const SNAPSHOT_CORRUPT_CODES = new Set(['SRD_ERR_MEMORY_SPACE_MISMATCH']);

async function loadSnapshot(path: string, space: EmbeddingSpace, log: Log): Promise<{ patches: Patch[]; lastSeq: number }> {
  try {
    const snapshot = await readSnapshot(path, space);
    if (snapshot?.salvage) await rewriteSalvaged(path, space, snapshot, snapshot.salvage, log);
    return snapshot ?? { patches: [], lastSeq: 0 };
  } catch (err) {
    const unusable = isSrdError(err) && (err.code.startsWith('SRD_ERR_VCTR_') || SNAPSHOT_CORRUPT_CODES.has(err.code));
    if (!unusable) throw err;
    const movedTo = await moveAside(path, err.message).catch((moveErr: unknown) => {
      throw ioError(path, `move the unusable snapshot aside (${err.message})`, moveErr);
    });
    log.error(
      { code: err.code, path, movedTo, reason: err.details?.reason ?? err.message },
      `user memory snapshot ${path} is unusable (${err.message}); moved aside to ${movedTo} (not deleted); ` +
        'starting from the journal alone: patches compacted into that snapshot are not loaded',
    );
    return { patches: [], lastSeq: 0 };
  }
}

/**
 * A snapshot that failed its whole-file CRC but kept rows whose own checksum holds: the damaged
 * bytes are saved to `<path>.corrupt-<time>` (a new name, never overwriting an earlier copy),
 * then a clean snapshot of the kept rows (same lastSeq) replaces the file atomically, and one
 * warning gives the counts. Copy-then-replace rather than rename-then-write, so a crash in between
 * leaves the damaged file in place to be salvaged again, never no snapshot at all. If either write
 * fails the kept rows are still used and the damaged file is left where it is (logged).
 */
async function rewriteSalvaged(path: string, space: EmbeddingSpace, snapshot: Snapshot, salvage: SnapshotSalvage, log: Log): Promise<void> {
  const counts = { kept: salvage.kept, damaged: salvage.damaged, rows: salvage.kept + salvage.damaged };
  let savedTo: string;
  try {
    savedTo = await saveAside(path, 'corrupt', await readFile(path));
    await writeSnapshot(path, space, snapshot.patches, snapshot.lastSeq, Date.now());
  } catch (err) {
    log.error(
      { code: 'SRD_ERR_MEMORY_IO', path, err, ...counts },
      `user memory snapshot ${path} failed its CRC-32 check; ${salvage.kept} intact row(s) are used, but the file could not be saved aside or rewritten ` +
        '(it is salvaged again at the next start)',
    );
    return;
  }
  log.warn(
    { code: salvage.error.code, path, savedTo, reason: salvage.error.details?.reason, ...counts },
    `user memory snapshot ${path} failed its CRC-32 check: kept ${salvage.kept} of ${counts.rows} rows whose own checksum holds, ` +
      `dropped ${salvage.damaged} damaged row(s); the damaged file was saved to ${savedTo} (not deleted) and a clean snapshot written`,
  );
}

async function readJournal(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw ioError(path, 'read the journal', err);
  }
}

function frames(image: Buffer, regions: readonly { offset: number; bytes: number }[]): Buffer {
  return Buffer.concat(regions.map((r) => image.subarray(r.offset, r.offset + r.bytes)));
}

/**
 * Loads the user memory of `dir` for `space`:
 * 1. removes temp files of writes that crashed before their rename (never authoritative);
 * 2. reads the snapshot; an unusable one (SRD_ERR_VCTR_* or another embedding space) is moved
 *    aside with moveAside and reported with logger.error, and start-up continues from the journal;
 *    one that failed only its whole-file CRC keeps the rows whose own checksum holds (see
 *    readSnapshot), is saved aside as `<snapshot>.corrupt-<time>` and rewritten clean, with a
 *    logger.warn giving the kept and damaged row counts;
 * 3. scans the journal (see scanJournal): records with id ≤ the snapshot's lastSeq are already
 *    folded; records of another embedding space are never mixed in; damaged bytes, undecodable
 *    frames and out-of-order ids are skipped with logger.warn;
 * 4. when anything was skipped or folded, saves the skipped bytes to
 *    `user_memory.journal.corrupt-<time>` (other-space records, still valid frames, to
 *    `user_memory.journal.foreign-<time>`) and atomically rewrites the journal with the kept
 *    records, so new appends never land behind garbage. If saving aside fails, the journal is
 *    left as it is (the scan skips the same bytes next time).
 * Throws SRD_ERR_MEMORY_IO only for file-system failures (unreadable files, unmovable snapshot).
 */
export async function recover(dir: string, space: EmbeddingSpace, log: Log): Promise<RecoveredState> {
  const files = memoryFiles(dir);
  try {
    await mkdir(dir, { recursive: true, mode: MEMORY_DIR_MODE });
  } catch (err) {
    throw ioError(dir, 'create the state dir', err);
  }
  const stale = await removeStaleTemps(dir, [files.snapshot, files.journal]);
  if (stale.length > 0) log.info({ dir, removed: stale }, `user memory: removed ${stale.length} temp file(s) of writes interrupted before their rename`);

  const snapshot = await loadSnapshot(files.snapshot, space, log);
  const image = await readJournal(files.journal);
  const scan = scanJournal(image);
  const ours = spaceId(space);
  const kept: JournalRecord[] = [];
  const foreign: JournalRecord[] = [];
  const skipped: BadRegion[] = [...scan.bad, ...scan.skipped].sort((a, b) => a.offset - b.offset);
  let folded = 0;
  let maxSeq = snapshot.lastSeq;
  for (const r of scan.records) {
    maxSeq = Math.max(maxSeq, r.patch.id);
    if (r.spaceId !== ours) foreign.push(r);
    else if (r.patch.id <= snapshot.lastSeq) folded++;
    else if (kept.length > 0 && r.patch.id <= (kept[kept.length - 1] as JournalRecord).patch.id) {
      skipped.push({ offset: r.offset, bytes: r.bytes, reason: `record id ${r.patch.id} is not above the previous record's` });
    } else kept.push(r);
  }

  if (skipped.length > 0 || foreign.length > 0 || folded > 0) {
    await repairJournal(files.journal, image, { kept, foreign, skipped, folded }, ours, log);
  }
  const patches = [...snapshot.patches, ...kept.map((r) => r.patch)];
  for (const p of snapshot.patches) maxSeq = Math.max(maxSeq, p.id);
  log.info(
    { dir, patches: patches.length, snapshotRows: snapshot.patches.length, journalRecords: kept.length },
    `user memory loaded: ${patches.length} patches (${snapshot.patches.length} from the snapshot, ${kept.length} from the journal)`,
  );
  return { patches, foldedSeq: snapshot.lastSeq, snapshotRows: snapshot.patches.length, nextSeq: maxSeq + 1 };
}

interface Sorted {
  kept: JournalRecord[];
  foreign: JournalRecord[];
  skipped: BadRegion[];
  folded: number;
}

async function repairJournal(path: string, image: Buffer, s: Sorted, ours: string, log: Log): Promise<void> {
  let corruptTo: string | null = null;
  let foreignTo: string | null = null;
  try {
    if (s.skipped.length > 0) corruptTo = await saveAside(path, 'corrupt', frames(image, s.skipped));
    if (s.foreign.length > 0) foreignTo = await saveAside(path, 'foreign', frames(image, s.foreign));
  } catch (err) {
    log.error(
      { code: 'SRD_ERR_MEMORY_IO', path, err },
      `user memory journal ${path}: could not save skipped bytes aside, so the journal is left unrepaired (its bad bytes are skipped again at the next start)`,
    );
    warnSkipped(path, s, ours, null, null, log);
    return;
  }
  warnSkipped(path, s, ours, corruptTo, foreignTo, log);
  if (s.folded > 0)
    log.info(
      { path, records: s.folded },
      `user memory journal: dropped ${s.folded} record(s) already folded into the snapshot (a compaction was interrupted before it restarted the journal)`,
    );
  await writeDurable(path, frames(image, s.kept));
}

function warnSkipped(path: string, s: Sorted, ours: string, corruptTo: string | null, foreignTo: string | null, log: Log): void {
  const savedAs = (to: string | null) => (to === null ? 'left in place' : `saved to ${to}`);
  for (const r of s.skipped) {
    const before = s.kept.filter((k) => k.offset < r.offset).length;
    log.warn(
      { code: 'SRD_ERR_MEMORY_JOURNAL_CORRUPT', path, offset: r.offset, bytes: r.bytes, reason: r.reason, savedTo: corruptTo },
      `user memory journal ${path}: skipped ${r.bytes} bytes at offset ${r.offset} (${r.reason}); ` +
        `the ${before} record(s) before them and any after them are kept; the bytes were ${savedAs(corruptTo)}`,
    );
  }
  if (s.foreign.length > 0) {
    const spaces = [...new Set(s.foreign.map((r) => r.spaceId))].join(', ');
    log.warn(
      { code: 'SRD_ERR_MEMORY_SPACE_MISMATCH', path, records: s.foreign.length, spaces, configured: ours, savedTo: foreignTo },
      `user memory journal ${path}: ${s.foreign.length} record(s) from embedding space ${spaces} ` +
        `(configured: ${ours}) were not loaded, never mixed; they were ${savedAs(foreignTo)}`,
    );
  }
}
