import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SrdError } from '../errors.js';
import { cliEntry } from './paths.js';

/**
 * What one install puts into the service definition. The CLI builds it from flags and the
 * configuration; tests build it by hand.
 */
export interface ServiceSpec {
  /** TCP port passed as `start --port <port>`, 1–65535. */
  port: number;
  /** Absolute node binary the service runs (default process.execPath). */
  nodePath: string;
  /** Absolute package root; the service runs `<packageRoot>/dist/cli/main.js`. */
  packageRoot: string;
  /** smart-routerd version written into the marker, so an upgrade re-renders and restarts. */
  version: string;
  /**
   * Non-secret variables the service gets (SMART_ROUTERD_STATE_DIR, _CONFIG, _BIND, _LOG_LEVEL,
   * ...). Never the token: that goes to the env file.
   */
  environment: Record<string, string>;
  /** Token for the env file (SMART_ROUTERD_TOKEN); undefined keeps what the env file has. */
  token?: string | undefined;
}

/** argv of the daemon: `<node> <pkg>/dist/cli/main.js start --port <port>` (never a `gateway` argument). */
export function daemonArgv(spec: ServiceSpec): string[] {
  return [spec.nodePath, cliEntry(spec.packageRoot), 'start', '--port', String(spec.port)];
}

/**
 * The minimal PATH a service gets: node's own directory first, then the usual system dirs
 * (launchd adds Homebrew's). OpenClaw's units do the same (protocol reference §8).
 */
export function servicePath(nodePath: string, platform: NodeJS.Platform): string {
  const dirs = [path.dirname(nodePath), ...(platform === 'darwin' ? ['/opt/homebrew/bin', '/usr/local/bin'] : ['/usr/local/bin']), '/usr/bin', '/bin'];
  return [...new Set(dirs)].join(':');
}

/**
 * Reads a template shipped in the package (`systemd/…`, `launchd/…`). Throws
 * SRD_ERR_SERVICE_RENDER naming the file when the package is incomplete.
 */
export function readTemplate(root: string, relative: string): string {
  const file = path.join(root, relative);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SrdError('SRD_ERR_SERVICE_RENDER', `cannot read the service template ${file}: ${(err as Error).message} (reinstall smart-routerd)`, {
      cause: err,
    });
  }
}

/**
 * Replaces every `{{NAME}}` in `template` with `values[NAME]`. Throws SRD_ERR_SERVICE_RENDER
 * when the template names a placeholder with no value, so template and code cannot drift apart
 * silently.
 */
export function fillTemplate(template: string, values: Record<string, string>, name: string): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new SrdError('SRD_ERR_SERVICE_RENDER', `${name}: unknown placeholder {{${key}}}`);
    return value;
  });
}

/** Paths a version manager or a temp cache may delete, making the service fail later. */
const FRAGILE_PATHS: Array<[RegExp, string]> = [
  [/\/(\.nvm|\.fnm|\.volta|\.asdf|\.nodenv)\/|\/\.local\/share\/(mise|fnm)\/|\/n\/versions\//, 'a Node version manager'],
  [/\/Cellar\/node(@\d+)?\//, "Homebrew's versioned Cellar (brew upgrade removes it)"],
  [/\/_npx\//, "npx's temporary cache"],
];

/** Warnings for node/package paths that are likely to disappear (re-run install after changing them). */
export function fragilePathWarnings(spec: ServiceSpec): string[] {
  const out: string[] = [];
  for (const [what, p] of [
    ['node', spec.nodePath],
    ['the smart-routerd package', spec.packageRoot],
  ] as const) {
    const hit = FRAGILE_PATHS.find(([re]) => re.test(p));
    if (hit)
      out.push(
        `${what} lives under ${hit[1]} (${p}); the service stops working when that copy is removed: re-run smart-routerd install after switching, or pass --node <stable path>`,
      );
  }
  return out;
}
