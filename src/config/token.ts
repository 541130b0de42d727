import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SrdError } from '../errors.js';
import { ensureStateDir, shellQuote } from './state-dir.js';

/** The gateway token in force and where it came from. */
export interface ResolvedToken {
  token: string;
  /** `config` (file, env or flag) or `generated`/`stored` for the state-dir token file. */
  source: 'config' | 'generated' | 'stored';
  /** The token file, when the token lives in one. */
  file?: string;
}

/** File name of the generated token inside the state dir. */
export const TOKEN_FILE = 'gateway.token';

/** Shortest token accepted off loopback, in characters (issue 15). */
export const STRONG_TOKEN_MIN_LENGTH = 16;
/** Fewest distinct characters a token accepted off loopback has (issue 15: `aaaaaaaaaaaaaaaa` is no secret). */
export const STRONG_TOKEN_MIN_DISTINCT = 8;
/** The strong-token rule in words, for messages and docs. */
export const STRONG_TOKEN_RULE = `at least ${STRONG_TOKEN_MIN_LENGTH} characters, no whitespace, at least ${STRONG_TOKEN_MIN_DISTINCT} distinct characters`;

// O_NOFOLLOW: open() fails with ELOOP on a symlink, so the check and the use are one system call.
// O_NONBLOCK: a FIFO planted at the path cannot hang start-up (it is refused by fstat instead).
// Both are 0 where the platform lacks them (Windows); the lstat below covers symlinks there.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`. */
export function isLoopback(bind: string): boolean {
  if (bind === 'localhost') return true;
  const v = net.isIP(bind);
  if (v === 4) return bind.startsWith('127.');
  if (v === 6) return bind === '::1' || bind.toLowerCase().startsWith('::ffff:127.');
  return false;
}

/**
 * Why `token` is too weak to guard a non-loopback bind, or null when it is strong: at least 16
 * characters (code points), no whitespace, at least 8 distinct characters (STRONG_TOKEN_RULE).
 * The reason never quotes the token. Rule: issue 15.
 */
export function tokenWeakness(token: string): string | null {
  const chars = [...token];
  if (/\s/u.test(token)) return chars.every((c) => /\s/u.test(c)) ? 'it is only whitespace' : 'it contains whitespace';
  if (chars.length < STRONG_TOKEN_MIN_LENGTH) return `it has ${chars.length} characters`;
  const distinct = new Set(chars).size;
  if (distinct < STRONG_TOKEN_MIN_DISTINCT) return `it has only ${distinct} distinct character${distinct === 1 ? '' : 's'}`;
  return null;
}

/**
 * Picks the token clients must present. A configured token wins; off loopback it must be strong
 * (tokenWeakness), on loopback any non-empty one is accepted. Otherwise, on a loopback bind, the
 * token stored in `<stateDir>/gateway.token` is used, generated (32 random bytes, base64url, mode
 * 0600) on first start or when the stored one is shorter than 16 characters. The state dir is
 * created (0700) and checked first (ensureStateDir). The token file is opened with O_NOFOLLOW and
 * checked on the open descriptor: a symlink is never read through and its target's mode is never
 * changed; a file readable by others is narrowed to 0600 through the same descriptor.
 * Throws SrdError:
 * - SRD_ERR_BIND_REFUSED: a non-loopback bind without a configured token (an open port on the
 *   network must never accept unauthenticated clients);
 * - SRD_ERR_TOKEN_WEAK: a non-loopback bind with a weak configured token;
 * - SRD_ERR_TOKEN_FILE: the token file is a symlink, a directory or another non-regular file, or
 *   cannot be read, narrowed or written (EACCES, EIO, …);
 * - SRD_ERR_STATE_DIR_INSECURE: see ensureStateDir.
 */
export function resolveToken(options: { configured: string | undefined; bind: string; stateDir: string }): ResolvedToken {
  if (options.configured) {
    const weakness = isLoopback(options.bind) ? null : tokenWeakness(options.configured);
    if (weakness !== null) {
      throw new SrdError(
        'SRD_ERR_TOKEN_WEAK',
        `refusing to bind ${options.bind} with a weak auth token (${weakness}): off loopback a token needs ${STRONG_TOKEN_RULE}; ` +
          'generate one with `openssl rand -hex 24` and set it as gateway.auth.token, SMART_ROUTERD_TOKEN or --token, or bind 127.0.0.1',
        { details: { bind: options.bind, reason: weakness } },
      );
    }
    return { token: options.configured, source: 'config' };
  }
  if (!isLoopback(options.bind)) {
    throw new SrdError(
      'SRD_ERR_BIND_REFUSED',
      `refusing to bind ${options.bind} without an auth token: set gateway.auth.token in config.json, SMART_ROUTERD_TOKEN, or --token, or bind 127.0.0.1`,
      { details: { bind: options.bind } },
    );
  }
  ensureStateDir(options.stateDir);
  const file = path.join(options.stateDir, TOKEN_FILE);
  const stored = readTokenFile(file);
  if (stored !== null && stored.length >= STRONG_TOKEN_MIN_LENGTH) return { token: stored, source: 'stored', file };
  const token = randomBytes(32).toString('base64url');
  writeTokenFile(file, `${token}\n`);
  return { token, source: 'generated', file };
}

function tokenFileError(file: string, reason: string, fix: string, cause?: unknown): SrdError {
  return new SrdError('SRD_ERR_TOKEN_FILE', `${file}: ${reason}; ${fix}`, { cause, details: { path: file, reason } });
}

const OR_CONFIGURE = 'or set gateway.auth.token / SMART_ROUTERD_TOKEN';

function symlinkError(file: string): SrdError {
  const f = shellQuote(file);
  return tokenFileError(
    file,
    'the gateway token file is a symlink, and smart-routerd never reads a secret through a link (nor changes the mode of its target)',
    `replace the link with the file itself (cp --remove-destination "$(readlink -f ${f})" ${f} && chmod 600 ${f}), or delete it so a new token is generated, ${OR_CONFIGURE}`,
  );
}

function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, open '.*'$/, '')}` : String((err as Error)?.message ?? err);
}

/** The stored token (trimmed), or null when the file does not exist. Throws SRD_ERR_TOKEN_FILE. */
function readTokenFile(file: string): string | null {
  if (O_NOFOLLOW === 0 && isSymlink(file)) throw symlinkError(file);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if ((code === 'ELOOP' || code === 'EMLINK') && isSymlink(file)) throw symlinkError(file);
    throw tokenFileError(
      file,
      `cannot read the gateway token file (${errnoText(err)})`,
      `make it a file the user running smart-routerd can read (chown, chmod 600 ${shellQuote(file)}), or delete it so a new token is generated, ${OR_CONFIGURE}`,
      err,
    );
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) {
      throw tokenFileError(
        file,
        'the gateway token path is a directory, not a file',
        `remove it (rmdir ${shellQuote(file)}) so a new token is generated, ${OR_CONFIGURE}`,
      );
    }
    if (!st.isFile()) throw tokenFileError(file, 'the gateway token path is not a regular file', `remove it so a new token is generated, ${OR_CONFIGURE}`);
    if ((st.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    return readFileSync(fd, 'utf8').trim();
  } catch (err) {
    if (err instanceof SrdError) throw err;
    throw tokenFileError(
      file,
      `cannot read or restrict the gateway token file (${errnoText(err)})`,
      `make it a regular file owned and readable by the user running smart-routerd (chmod 600 ${shellQuote(file)}), ${OR_CONFIGURE}`,
      err,
    );
  } finally {
    closeSync(fd);
  }
}

/** Writes a new token file, mode 0600 whatever the umask, never through a symlink. Throws SRD_ERR_TOKEN_FILE. */
function writeTokenFile(file: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | O_NOFOLLOW, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ELOOP' || code === 'EMLINK') && isSymlink(file)) throw symlinkError(file);
    throw tokenFileError(file, `cannot write the gateway token file (${errnoText(err)})`, `check the state dir's owner and free space, ${OR_CONFIGURE}`, err);
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    throw tokenFileError(file, `cannot write the gateway token file (${errnoText(err)})`, `check the state dir's owner and free space, ${OR_CONFIGURE}`, err);
  } finally {
    closeSync(fd);
  }
}
