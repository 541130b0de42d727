import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** systemd user unit name (docs/operations.md). Deliberately not `openclaw-gateway*` (protocol reference §5). */
export const UNIT_NAME = 'smart-routerd.service';

/** launchd label; not `ai.openclaw.*`, which OpenClaw treats as its own gateway namespace (protocol reference §5). */
export const LAUNCHD_LABEL = 'ai.smart-routerd';

/**
 * Substring that marks a file as written by `smart-routerd install`: a comment in the unit and the
 * wrapper, the `Comment` key of the plist, a comment in the env file. Files without it are foreign
 * and are replaced only with `--force`.
 */
export const MANAGED_MARKER = 'smart-routerd:managed';

/** File name of the service env file (secrets, mode 0600) inside the state dir. */
export const ENV_FILE = 'service.env';

/** File name of the launchd env wrapper (mode 0700) inside the state dir. */
export const WRAPPER_FILE = 'service-env-wrapper.sh';

/** Where every service file lives for one user. All absolute. */
export interface ServicePaths {
  /** `$XDG_CONFIG_HOME/systemd/user/smart-routerd.service` (default `~/.config/...`). */
  unitFile: string;
  /** `~/Library/LaunchAgents/ai.smart-routerd.plist`. */
  plistFile: string;
  /** `~/Library/Logs/smart-routerd/` (macOS; Linux logs go to the journal). */
  logDir: string;
  /** `~/Library/Logs/smart-routerd/smart-routerd.log`: StandardOutPath and StandardErrorPath. */
  logFile: string;
  /** The daemon's state dir (config, token, memory, DNA); install only adds the two files below. */
  stateDir: string;
  /** `<stateDir>/service.env`, mode 0600. */
  envFile: string;
  /** `<stateDir>/service-env-wrapper.sh`, mode 0700 (macOS). */
  wrapperFile: string;
}

/**
 * Derives every service path from HOME, the environment and the state dir, never from the real
 * process, so tests point it at a temp HOME. A relative XDG_CONFIG_HOME is ignored, as the XDG
 * Base Directory spec requires.
 */
export function servicePaths(options: { home: string; env: NodeJS.ProcessEnv; stateDir: string }): ServicePaths {
  const { home, env, stateDir } = options;
  const xdg = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  const logDir = path.join(home, 'Library', 'Logs', 'smart-routerd');
  return {
    unitFile: path.join(xdg, 'systemd', 'user', UNIT_NAME),
    plistFile: path.join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`),
    logDir,
    logFile: path.join(logDir, 'smart-routerd.log'),
    stateDir,
    envFile: path.join(stateDir, ENV_FILE),
    wrapperFile: path.join(stateDir, WRAPPER_FILE),
  };
}

/** The installed package's root (…/smart-routerd), from this module's place in dist/service/. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The CLI entry a service runs: `<packageRoot>/dist/cli/main.js`. */
export function cliEntry(root: string): string {
  return path.join(root, 'dist', 'cli', 'main.js');
}
