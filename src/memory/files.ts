import { type FileHandle, open, readdir, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SrdError } from '../errors.js';
import { asidePath, writeFileDurable } from '../vctr/index.js';

/**
 * Where user memory lives in the state dir, and the small durable-file helpers the journal and
 * snapshot share. Rule: DESIGN.md §6 (write to a temp file, fsync, rename).
 */

/** Paths of the user-memory files inside a state dir. */
export interface MemoryFiles {
  /** VCTR v2 snapshot, kind "memory": `<dir>/user_memory.vctr`. */
  snapshot: string;
  /** Append-only journal (layout in journal.ts): `<dir>/user_memory.journal`. */
  journal: string;
}

/**
 * Permission bits of every user-memory file (journal, snapshot, their temp files, the copies
 * saved aside): the owner's alone, whatever the umask (issue 15). Learned corrections reveal what
 * the user asks about.
 */
export const MEMORY_FILE_MODE = 0o600;

/** Mode of a state dir that recover() has to create (owner only, like ensureStateDir's). */
export const MEMORY_DIR_MODE = 0o700;

/** The `user_memory.*` paths for a state dir. */
export function memoryFiles(dir: string): MemoryFiles {
  return { snapshot: join(dir, 'user_memory.vctr'), journal: join(dir, 'user_memory.journal') };
}

/** Wraps a file-system error as SRD_ERR_MEMORY_IO, naming the file and what was being done. */
export function ioError(path: string, doing: string, err: unknown): SrdError {
  const errno = (err as NodeJS.ErrnoException)?.code;
  return new SrdError('SRD_ERR_MEMORY_IO', `${path}: could not ${doing}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
    details: { path, errno },
  });
}

/**
 * fsyncs a directory so a rename or a newly created file inside it survives a power cut.
 * Best effort: some platforms (Windows) cannot open directories; that is not an error here.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    return;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Prefix of the temp files writeDurable creates next to `path` (stale ones are removed at open). */
export function tempPrefix(path: string): string {
  return `.${basename(path)}.tmp-`;
}

/**
 * Atomically replaces `path` with `bytes`: writes a temp file (mode 0600 from its creation) in the
 * same directory, fsyncs it, renames it over `path`, fsyncs the directory. A crash leaves either
 * the old file or the new one. Throws SRD_ERR_MEMORY_IO (the temp file is removed on failure).
 */
export async function writeDurable(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileDurable(path, bytes, { mode: MEMORY_FILE_MODE });
  } catch (err) {
    throw ioError(path, 'write it durably', err);
  }
}

/**
 * Saves bytes that are being removed from a file to `<path>.<tag>-<ISO time without colons>`
 * (a `-1`, `-2`, … suffix when taken), durably, and returns the new path. Used so that skipped
 * journal bytes are kept for inspection, never deleted. Throws SRD_ERR_MEMORY_IO.
 */
export async function saveAside(path: string, tag: string, bytes: Uint8Array): Promise<string> {
  let target: string;
  try {
    target = await asidePath(path, tag);
  } catch (err) {
    throw ioError(path, 'find a name to save bytes aside', err);
  }
  await writeDurable(target, bytes);
  return target;
}

/**
 * Removes temp files a crashed writer left next to `paths` (writeDurable's and writeVctr's
 * `.<name>.tmp-*`): they are never the authoritative copy, because the rename that would have
 * made them so did not happen. Returns the names removed.
 */
export async function removeStaleTemps(dir: string, paths: readonly string[]): Promise<string[]> {
  const prefixes = paths.map(tempPrefix);
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    await unlink(join(dir, name)).then(
      () => removed.push(name),
      () => undefined,
    );
  }
  return removed;
}
