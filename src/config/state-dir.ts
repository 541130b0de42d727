import { lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { SrdError } from '../errors.js';

/**
 * The state dir holds the gateway token, the user-memory journal and snapshot and the daemon's
 * lock: whoever can write it can swap any of them. Rule: issue 15 (hardening of files and secrets),
 * DESIGN.md §8 (secrets are the user's alone).
 */

/** Mode a state dir is created with (owner only). */
export const STATE_DIR_MODE = 0o700;

function insecure(dir: string, reason: string, fix: string, cause?: unknown): SrdError {
  return new SrdError('SRD_ERR_STATE_DIR_INSECURE', `${dir}: ${reason}; ${fix}`, { cause, details: { path: dir, reason } });
}

function lstatOrNull(dir: string): Stats | null {
  try {
    return lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw insecure(dir, `cannot inspect the state dir (${(err as Error).message})`, 'make its parent directory accessible, or pick another --state-dir', err);
  }
}

/** `path` as one shell word (single-quoted when it holds anything but safe characters), for the fixes printed. */
export function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/**
 * Creates the state dir (mode 0700, parents included) when it is missing, then checks that it can
 * be trusted: a real directory (not a symlink, checked with lstat, so a link another user could
 * repoint is never followed) that neither the group nor others may write (mode & 0o022 === 0).
 * Only the last path component is checked; the mode test follows the POSIX permission bits.
 * Throws SrdError SRD_ERR_STATE_DIR_INSECURE naming the dir and the fix (`chmod 700 <dir>`, the
 * real path for a symlink); the CLI exits 78 on it.
 */
export function ensureStateDir(dir: string): void {
  let st = lstatOrNull(dir);
  if (st === null) {
    try {
      mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
    } catch (err) {
      throw insecure(dir, `cannot create the state dir (${(err as Error).message})`, 'create it yourself with mkdir -m 700, or pick another --state-dir', err);
    }
    st = lstatOrNull(dir);
    if (st === null) throw insecure(dir, 'the state dir vanished right after it was created', 'check what else manages this path');
  }
  if (st.isSymbolicLink()) {
    let target = '?';
    try {
      target = readlinkSync(dir);
    } catch {
      // the message still names the link
    }
    throw insecure(
      dir,
      `the state dir is a symlink (to ${target}), and smart-routerd keeps its token and learned data only in a real directory`,
      'point --state-dir (or SMART_ROUTERD_STATE_DIR) at the real directory, or replace the link with a directory (mkdir -m 700)',
    );
  }
  if (!st.isDirectory()) throw insecure(dir, 'the state dir is not a directory', 'remove or rename that file, or pick another --state-dir');
  const writable = st.mode & 0o022;
  if (writable !== 0) {
    const who = writable === 0o022 ? 'group and others' : writable === 0o020 ? 'its group' : 'others';
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    throw insecure(
      dir,
      `the state dir is writable by ${who} (mode ${mode}), so they could replace its token, journal or snapshot`,
      `fix it with: chmod 700 ${shellQuote(dir)}`,
    );
  }
}
