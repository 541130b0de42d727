import { existsSync } from 'node:fs';
import { type Command, type Exec, exitStatusText, type ServiceBackend, type ServiceState, unsupported } from './backend.js';
import { nextEnvFile } from './env-file.js';
import type { PlannedFile } from './files.js';
import type { ServiceHost } from './host.js';
import { type ServicePaths, UNIT_NAME } from './paths.js';
import { readTemplate, type ServiceSpec } from './spec.js';
import { renderUnit, UNIT_TEMPLATE, unitPort } from './systemd.js';

const SYSTEMCTL = 'systemctl';
const user = (...args: string[]): string[] => [SYSTEMCTL, '--user', ...args];
const SHOW_STATE = '--property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,Result,ExecMainStatus';

/**
 * The systemd user-manager backend (`systemctl --user`, Linux). `root` is the package whose
 * template is rendered; the lingering check uses `host.user`.
 */
export function systemdBackend(paths: ServicePaths, root: string): ServiceBackend {
  return {
    manager: 'systemd',
    paths,
    definitionPath: paths.unitFile,
    directories: [],
    render: (spec, existingEnv) => unitFiles(spec, existingEnv, paths, root),
    detect: detectUserManager,
    query: async (_host, exec) => unitState(await exec({ argv: user('show', UNIT_NAME, SHOW_STATE), tolerate: true }), paths.unitFile),
    installCommands,
    removeCommands,
    afterRemoveCommands: () => [{ argv: user('daemon-reload') }, { argv: user('reset-failed', UNIT_NAME), tolerate: true }],
    // reset-failed first: after StartLimitBurst restarts systemd refuses even manual starts until it.
    startCommands: () => [{ argv: user('reset-failed', UNIT_NAME), tolerate: true }, { argv: user('start', UNIT_NAME) }],
    stopCommands: () => [{ argv: user('stop', UNIT_NAME) }],
    restartCommands: () => [{ argv: user('reset-failed', UNIT_NAME), tolerate: true }, { argv: user('restart', UNIT_NAME) }],
    logsCommand: (lines, follow) => ({
      argv: ['journalctl', '--user', '-u', UNIT_NAME, '-n', String(lines), '--no-pager', '-o', 'cat', ...(follow ? ['-f'] : [])],
    }),
    installedPort: unitPort,
    hints: lingeringHints,
  };
}

/** The unit (0644) and the env file holding the token (0600, its directory 0700). Throws SRD_ERR_SERVICE_RENDER (renderUnit). */
function unitFiles(spec: ServiceSpec, existingEnv: string | null, paths: ServicePaths, root: string): PlannedFile[] {
  return [
    { path: paths.unitFile, role: 'definition', mode: 0o644, content: renderUnit(readTemplate(root, UNIT_TEMPLATE), spec, paths) },
    { path: paths.envFile, role: 'env', mode: 0o600, dirMode: 0o700, secret: true, content: nextEnvFile(existingEnv, spec.token) },
  ];
}

/** Resolves when `systemctl --user` reaches a user manager; else throws SRD_ERR_SERVICE_UNSUPPORTED saying why (and what to try). */
async function detectUserManager(host: ServiceHost, exec: Exec): Promise<void> {
  const r = await exec({ argv: user('show', '--property=Version'), tolerate: true });
  if (r.code === 0 && /^Version=/m.test(r.stdout)) return;
  throw unsupported(noUserManagerReason(r, host));
}

/** systemctl is missing, or (with its first stderr line) cannot reach the manager; then the XDG_RUNTIME_DIR hint when that is unset. */
function noUserManagerReason(r: { code: number; stderr: string }, host: ServiceHost): string {
  const why =
    r.code === 127
      ? 'systemctl is not installed'
      : `\`systemctl --user\` cannot reach a systemd user manager (${r.stderr.trim().split('\n')[0] || `exit code ${r.code}`})`;
  const runtime = host.env.XDG_RUNTIME_DIR
    ? ''
    : ` If this is a login without a session bus, try: export XDG_RUNTIME_DIR=/run/user/${host.uid}, then run install again.`;
  return `${why}.${r.code === 127 ? '' : runtime}`;
}

/** The service's state from `systemctl --user show` output; `installed` = the unit file exists. */
function unitState(show: { stdout: string }, unitFile: string): ServiceState {
  const p = parseShow(show.stdout);
  const active = ['active', 'activating', 'reloading'].includes(p.ActiveState ?? '');
  const pid = Number(p.MainPID ?? 0);
  return {
    installed: existsSync(unitFile),
    loaded: p.LoadState === 'loaded',
    active,
    enabled: p.UnitFileState === 'enabled',
    ...(pid > 0 ? { pid } : {}),
    ...(p.NRestarts !== undefined && p.NRestarts !== '' ? { restarts: Number(p.NRestarts) } : {}),
    detail: stateDetail(p),
  };
}

/** Parses `systemctl show` output (`Key=value` lines). */
export function parseShow(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return out;
}

/** `failed (<Result>, exit status <n>)`, `<ActiveState> (<SubState>)`, or `unknown`. */
function stateDetail(p: Record<string, string>): string {
  if (p.ActiveState === 'failed') return `failed (${p.Result ?? '?'}, exit status ${exitStatusText(p.ExecMainStatus ?? '?')})`;
  return p.ActiveState ? `${p.ActiveState} (${p.SubState ?? '?'})` : 'unknown';
}

/** After the files were written: reload (changed or not loaded), enable --now, and restart a running service whose unit changed. */
function installCommands(state: ServiceState, changed: boolean): Command[] {
  const out: Command[] = [];
  if (changed || !state.loaded) out.push({ argv: user('daemon-reload') });
  if (changed || !state.enabled || !state.active) out.push({ argv: user('enable', '--now', UNIT_NAME) });
  // enable --now leaves a running old process alone; the new unit only applies after a restart.
  if (changed && state.active) out.push({ argv: user('restart', UNIT_NAME) });
  return out;
}

/** Before the files are removed: disable --now an installed unit, else stop a running one. */
function removeCommands(state: ServiceState): Command[] {
  if (state.installed) return [{ argv: user('disable', '--now', UNIT_NAME), tolerate: true }];
  return state.active ? [{ argv: user('stop', UNIT_NAME), tolerate: true }] : [];
}

/** Without lingering the user manager (and the router) stops at logout (protocol reference §5 "Lingering"): one hint saying so. */
async function lingeringHints(host: ServiceHost, exec: Exec): Promise<string[]> {
  const r = await exec({ argv: ['loginctl', 'show-user', host.user, '--property=Linger'], tolerate: true });
  if (r.code === 0 && /^Linger=no$/m.test(r.stdout)) {
    return [
      `lingering is off for ${host.user}: the service stops when you log out and starts at your next login; to keep it running, run: sudo loginctl enable-linger ${host.user}`,
    ];
  }
  return [];
}
