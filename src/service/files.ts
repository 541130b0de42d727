import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { SrdError } from '../errors.js';
import { MANAGED_MARKER } from './paths.js';

/** What a file is for: the unit/plist, the secrets env file, the launchd wrapper. */
export type FileRole = 'definition' | 'env' | 'wrapper';

/** What install/uninstall did (or, with --dry-run, would do) to one file. */
export type FileStatus = 'created' | 'updated' | 'replaced' | 'unchanged' | 'removed' | 'absent';

/** A file install wants on disk. */
export interface PlannedFile {
  path: string;
  role: FileRole;
  /** Permission bits, e.g. 0o644 for the unit, 0o600 for the env file. */
  mode: number;
  content: string;
  /** Mode for missing parent directories (0o700 for the state and log dirs). */
  dirMode?: number;
  /** Never show the content (it holds the token); reports show it redacted or not at all. */
  secret?: boolean;
}

/** One file in a report. `content` is present only for non-secret files in --dry-run output. */
export interface FileChange {
  path: string;
  role: FileRole;
  mode: string;
  status: FileStatus;
  content?: string;
}

/** A file's content, or null when it does not exist. Other read errors propagate. */
export function readIfExists(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** True when `content` carries smart-routerd's marker (a comment, or the plist's Comment key). */
export function isManaged(content: string): boolean {
  return content.includes(MANAGED_MARKER);
}

/** `0o644` → `"0644"`. */
export function modeString(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/**
 * Decides what writing `file` means: `created` (missing), `unchanged` (same bytes and mode),
 * `updated` (ours, different), `replaced` (foreign, different, `force`). Throws
 * SRD_ERR_SERVICE_FILE_CONFLICT for a different file without the marker when `force` is false,
 * except for the env file, whose other lines install keeps anyway.
 */
export function planWrite(file: PlannedFile, force: boolean): FileStatus {
  const existing = readIfExists(file.path);
  if (existing === null) return 'created';
  if (existing === file.content) return (statSync(file.path).mode & 0o777) === file.mode ? 'unchanged' : 'updated';
  if (file.role === 'env' || isManaged(existing)) return 'updated';
  if (force) return 'replaced';
  throw new SrdError(
    'SRD_ERR_SERVICE_FILE_CONFLICT',
    `${file.path} exists and was not written by smart-routerd (it lacks the "${MANAGED_MARKER}" marker); ` +
      'look at it, then re-run with --force to replace it',
    { details: { path: file.path } },
  );
}

/** Writes `file` atomically (write-file-atomic: temp file, fsync, rename) with its exact mode, creating parent directories. */
export async function writePlanned(file: PlannedFile): Promise<void> {
  mkdirSync(path.dirname(file.path), { recursive: true, ...(file.dirMode === undefined ? {} : { mode: file.dirMode }) });
  // The temp file is created with `mode` and chmod'ed before the rename: a 0600 file is never
  // readable by others, not even for a moment.
  await writeFileAtomic(file.path, file.content, { mode: file.mode });
}

/** Removes a file; returns `removed`, or `absent` when there was nothing to remove. */
export function removeFile(file: string): FileStatus {
  try {
    statSync(file);
  } catch {
    return 'absent';
  }
  rmSync(file, { force: true });
  return 'removed';
}
