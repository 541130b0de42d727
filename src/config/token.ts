import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SrdError } from '../errors.js';

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

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`. */
export function isLoopback(bind: string): boolean {
  if (bind === 'localhost') return true;
  const v = net.isIP(bind);
  if (v === 4) return bind.startsWith('127.');
  if (v === 6) return bind === '::1' || bind.toLowerCase().startsWith('::ffff:127.');
  return false;
}

/**
 * Picks the token clients must present. A configured token wins. Otherwise, on a loopback bind,
 * the token stored in `<stateDir>/gateway.token` is used, generated (32 random bytes, base64url,
 * mode 0600) on first start. A non-loopback bind without a configured token throws
 * SRD_ERR_BIND_REFUSED: an open port on the network must never accept unauthenticated clients.
 */
export function resolveToken(options: { configured: string | undefined; bind: string; stateDir: string }): ResolvedToken {
  if (options.configured) return { token: options.configured, source: 'config' };
  if (!isLoopback(options.bind)) {
    throw new SrdError(
      'SRD_ERR_BIND_REFUSED',
      `refusing to bind ${options.bind} without an auth token: set gateway.auth.token in config.json, ` + 'SMART_ROUTERD_TOKEN, or --token, or bind 127.0.0.1',
      { details: { bind: options.bind } },
    );
  }
  const file = path.join(options.stateDir, TOKEN_FILE);
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 16) {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return { token: stored, source: 'stored', file };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, source: 'generated', file };
}
