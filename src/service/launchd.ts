import { existsSync } from 'node:fs';
import plist from 'plist';
import { SrdError } from '../errors.js';
import { type Command, exitStatusText, type ServiceBackend, type ServiceState } from './backend.js';
import { nextEnvFile } from './env-file.js';
import type { PlannedFile } from './files.js';
import { gatewayLookalikeReason } from './openclaw-lookalike.js';
import { LAUNCHD_LABEL, type ServicePaths } from './paths.js';
import { daemonArgv, fillTemplate, readTemplate, type ServiceSpec, servicePath } from './spec.js';
import { assertPrintable } from './systemd-quote.js';

/** The plist template inside the package. */
export const PLIST_TEMPLATE = 'launchd/ai.smart-routerd.plist';

/** The env wrapper inside the package, copied to `<stateDir>/service-env-wrapper.sh`. */
export const WRAPPER_TEMPLATE = 'launchd/service-env-wrapper.sh';

/** Keys every rendered plist must have (checked after rendering and by the tests). */
export const REQUIRED_PLIST_KEYS = [
  'Label',
  'Comment',
  'ProgramArguments',
  'EnvironmentVariables',
  'RunAtLoad',
  'KeepAlive',
  'ThrottleInterval',
  'ExitTimeOut',
  'Umask',
  'StandardOutPath',
  'StandardErrorPath',
] as const;

function xml(value: string, what: string): string {
  assertPrintable(value, what);
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * ProgramArguments of the LaunchAgent: `/bin/sh <wrapper> <env file> <node> <pkg>/dist/cli/main.js
 * start --port <port>`. The wrapper exports the 0600 env file and execs node (same PID), so the
 * token never appears in the plist, as in OpenClaw's LaunchAgent (protocol reference §8).
 */
export function launchdArgv(spec: ServiceSpec, paths: ServicePaths): string[] {
  return ['/bin/sh', paths.wrapperFile, paths.envFile, ...daemonArgv(spec)];
}

/**
 * Renders the LaunchAgent plist from `template` (launchd/ai.smart-routerd.plist), then parses it
 * back with `plist` to prove it is a valid property list with every REQUIRED_PLIST_KEYS key.
 * Throws SRD_ERR_SERVICE_RENDER on a value XML cannot hold, an invalid result, or a result that
 * would look like an OpenClaw gateway.
 */
export function renderPlist(template: string, spec: ServiceSpec, paths: ServicePaths): string {
  const env: Record<string, string> = {
    PATH: servicePath(spec.nodePath, 'darwin'),
    ...Object.fromEntries(Object.entries(spec.environment).sort(([a], [b]) => a.localeCompare(b))),
  };
  const text = fillTemplate(
    template,
    {
      VERSION: xml(spec.version, 'version'),
      PROGRAM_ARGUMENTS: launchdArgv(spec, paths)
        .map((a) => `    <string>${xml(a, 'program argument')}</string>`)
        .join('\n'),
      ENVIRONMENT_VARIABLES: Object.entries(env)
        .map(([k, v]) => `    <key>${xml(k, 'variable name')}</key>\n    <string>${xml(v, `variable ${k}`)}</string>`)
        .join('\n'),
      LOG_FILE: xml(paths.logFile, 'log file path'),
    },
    PLIST_TEMPLATE,
  );
  const parsed = parsePlist(text);
  const missing = REQUIRED_PLIST_KEYS.filter((k) => !(k in parsed));
  if (missing.length > 0) throw new SrdError('SRD_ERR_SERVICE_RENDER', `${PLIST_TEMPLATE}: rendered plist lacks ${missing.join(', ')}`);
  const reason = gatewayLookalikeReason({
    programArguments: parsed.ProgramArguments as string[],
    environment: parsed.EnvironmentVariables as Record<string, string>,
  });
  if (reason)
    throw new SrdError(
      'SRD_ERR_SERVICE_RENDER',
      `the LaunchAgent would look like an extra OpenClaw gateway to \`openclaw gateway status --deep\` (${reason}); install from a path without that`,
    );
  return text;
}

/** Parses a plist into its top-level dict. Throws SRD_ERR_SERVICE_RENDER when it is not one. */
export function parsePlist(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = plist.parse(text);
  } catch (err) {
    throw new SrdError('SRD_ERR_SERVICE_RENDER', `not a valid property list: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SrdError('SRD_ERR_SERVICE_RENDER', 'property list is not a dict');
  return parsed as Record<string, unknown>;
}

/** Parses `launchctl print gui/<uid>/<label>` output: `state = running`, `pid = 123`, `runs = 2`. */
export function parseLaunchctlPrint(stdout: string): { state?: string; pid?: number; runs?: number; lastExit?: string } {
  const field = (name: string) => new RegExp(`^\\s*${name} = (.+)$`, 'm').exec(stdout)?.[1]?.trim();
  const pid = Number(field('pid'));
  const runs = Number(field('runs'));
  const state = field('state');
  const lastExit = field('last exit code');
  return { ...(state ? { state } : {}), ...(pid > 0 ? { pid } : {}), ...(runs > 0 ? { runs } : {}), ...(lastExit ? { lastExit } : {}) };
}

/** The launchd backend: a LaunchAgent in the `gui/<uid>` domain (macOS). */
export function launchdBackend(paths: ServicePaths, root: string, uid: number): ServiceBackend {
  const domain = `gui/${uid}`;
  const target = `${domain}/${LAUNCHD_LABEL}`;
  // A bootstrap right after a bootout can fail with "5: Input/output error" while launchd tears
  // the old job down; OpenClaw retries too.
  const load: Command[] = [{ argv: ['launchctl', 'enable', target] }, { argv: ['launchctl', 'bootstrap', domain, paths.plistFile], retries: 3 }];
  return {
    manager: 'launchd',
    paths,
    definitionPath: paths.plistFile,
    directories: [paths.logDir],

    render(spec, existingEnv): PlannedFile[] {
      return [
        { path: paths.wrapperFile, role: 'wrapper', mode: 0o700, dirMode: 0o700, content: readTemplate(root, WRAPPER_TEMPLATE) },
        { path: paths.envFile, role: 'env', mode: 0o600, dirMode: 0o700, secret: true, content: nextEnvFile(existingEnv, spec.token) },
        { path: paths.plistFile, role: 'definition', mode: 0o644, content: renderPlist(readTemplate(root, PLIST_TEMPLATE), spec, paths) },
      ];
    },

    async detect() {
      // launchctl ships with every macOS; a missing gui/<uid> domain (ssh without a login
      // session) surfaces as a bootstrap error that names the domain.
    },

    async query(_host, exec): Promise<ServiceState> {
      const r = await exec({ argv: ['launchctl', 'print', target], tolerate: true });
      const p = r.code === 0 ? parseLaunchctlPrint(r.stdout) : {};
      const loaded = r.code === 0;
      return {
        installed: existsSync(paths.plistFile),
        loaded,
        active: p.state === 'running',
        enabled: loaded,
        ...(p.pid ? { pid: p.pid } : {}),
        ...(p.runs ? { restarts: p.runs - 1 } : {}),
        detail: loaded ? `${p.state ?? 'loaded'}${p.lastExit && p.state !== 'running' ? ` (last exit code ${exitStatusText(p.lastExit)})` : ''}` : 'not loaded',
      };
    },

    installCommands(state, changed): Command[] {
      if (state.loaded && !changed) return state.active ? [] : [{ argv: ['launchctl', 'kickstart', target] }];
      // kickstart does not re-read the plist: a changed job must be booted out and in again.
      return [...(state.loaded ? [{ argv: ['launchctl', 'bootout', target], tolerate: true }] : []), ...load];
    },

    removeCommands: (state) => (state.loaded ? [{ argv: ['launchctl', 'bootout', target], tolerate: true }] : []),
    afterRemoveCommands: () => [],
    startCommands: (state) => (state.loaded ? [{ argv: ['launchctl', 'kickstart', target] }] : load),
    // KeepAlive would respawn a killed job; bootout unloads it (OpenClaw's stop does the same).
    stopCommands: (state) => (state.loaded ? [{ argv: ['launchctl', 'bootout', target] }] : []),
    restartCommands: (state) => (state.loaded ? [{ argv: ['launchctl', 'kickstart', '-k', target] }] : load),

    logsCommand(lines, follow): Command {
      return { argv: ['tail', '-n', String(lines), ...(follow ? ['-F'] : []), paths.logFile] };
    },

    installedPort(definition) {
      try {
        const args = parsePlist(definition).ProgramArguments;
        if (!Array.isArray(args)) return null;
        const port = Number(args[args.indexOf('--port') + 1]);
        return args.includes('--port') && Number.isInteger(port) && port > 0 ? port : null;
      } catch {
        return null;
      }
    },

    async hints() {
      return [];
    },
  };
}
