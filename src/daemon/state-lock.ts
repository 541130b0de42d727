import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureStateDir } from '../config/index.js';
import { SrdError } from '../errors.js';

/** File holding the pid of the daemon that owns a state dir. */
export const LOCK_FILE = 'daemon.pid';

/**
 * Claims the state dir for this process: two daemons appending to one user-memory journal would
 * corrupt it. A lock left by a dead process is taken over. Returns a release function. The state
 * dir is created (0700) and checked first (ensureStateDir: no symlink, not writable by group or
 * others), so nothing is written into a dir another user controls.
 * Throws SRD_ERR_STATE_LOCKED naming the live owner's pid, SRD_ERR_STATE_DIR_INSECURE.
 */
export function lockStateDir(stateDir: string): () => void {
  ensureStateDir(stateDir);
  const file = path.join(stateDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new SrdError(
          'SRD_ERR_STATE_LOCKED',
          `${stateDir} is in use by another smart-routerd (pid ${owner}); stop it, or give this one its own --state-dir`,
          {
            details: { pid: owner, file },
          },
        );
      }
      unlinkSync(file);
    }
  }
  throw new SrdError('SRD_ERR_STATE_LOCKED', `${file}: could not claim the state dir lock`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
