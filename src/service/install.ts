import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { SrdError } from '../errors.js';
import { createExec, type ServiceBackend, type ServiceState, unsupported } from './backend.js';
import { redactEnvFile } from './env-file.js';
import { type FileChange, type FileStatus, isManaged, modeString, type PlannedFile, planWrite, readIfExists, removeFile, writePlanned } from './files.js';
import type { ServiceHost } from './host.js';
import { launchdBackend } from './launchd.js';
import { packageRoot, servicePaths } from './paths.js';
import { readyzUrl } from './readiness.js';
import { failReport, newReport, type ServiceReport } from './report.js';
import { fragilePathWarnings, type ServiceSpec } from './spec.js';
import { systemdBackend } from './systemd-backend.js';

/** Readiness budget after install/start/restart, in ms (the daemon binds first, then loads DNA). */
export const DEFAULT_READY_TIMEOUT_MS = 30_000;

/**
 * The backend for this host: systemd on Linux, launchd on macOS. Throws SRD_ERR_SERVICE_UNSUPPORTED
 * for any other platform. `root` is the package whose templates are rendered.
 */
export function selectBackend(host: ServiceHost, stateDir: string, root: string = packageRoot()): ServiceBackend {
  const paths = servicePaths({ home: host.home, env: host.env, stateDir });
  if (host.platform === 'linux') return systemdBackend(paths, root);
  if (host.platform === 'darwin') return launchdBackend(paths, root, host.uid);
  throw unsupported(`${host.platform} has neither a systemd user manager nor launchd.`);
}

/** Options of installService. */
export interface InstallOptions {
  /** Replace unit/plist/wrapper files that differ and lack smart-routerd's marker. */
  force?: boolean;
  /** Plan only: no command, no write; report files (non-secret contents, env file redacted) and commands. */
  dryRun?: boolean;
  /** Address the readiness probe and the port check use (the configured bind; default 127.0.0.1). */
  bind?: string;
  /** Readiness budget in ms (default 30 000). */
  readyTimeoutMs?: number;
}

const NOT_INSTALLED: ServiceState = { installed: false, loaded: false, active: false, enabled: false, detail: 'not installed' };

function change(file: PlannedFile, status: FileStatus, dryRun: boolean): FileChange {
  const out: FileChange = { path: file.path, role: file.role, mode: modeString(file.mode), status };
  if (dryRun) out.content = file.secret ? redactEnvFile(file.content) : file.content;
  return out;
}

function describe(backend: ServiceBackend): string {
  return backend.manager === 'systemd' ? 'systemd user unit smart-routerd.service' : 'LaunchAgent ai.smart-routerd';
}

/**
 * `smart-routerd install`: renders the unit/plist and the env file, writes what differs, then
 * daemon-reload + enable --now (systemd) or enable + bootstrap (launchd), restarting a running
 * service whose files changed, and waits for /readyz. Idempotent: a second run writes nothing,
 * runs only read-only queries and says so. Never throws SrdErrors: they become `ok:false` with
 * `code` (SRD_ERR_SERVICE_UNSUPPORTED, _FILE_CONFLICT, _RENDER, _PORT_IN_USE, _COMMAND, _NOT_READY).
 */
export async function installService(host: ServiceHost, spec: ServiceSpec, stateDir: string, options: InstallOptions = {}): Promise<ServiceReport> {
  const dryRun = options.dryRun ?? false;
  const report = newReport('install', null, dryRun);
  try {
    const backend = selectBackend(host, stateDir, spec.packageRoot);
    report.manager = backend.manager;
    const planned = backend.render(spec, readIfExists(backend.paths.envFile));
    const statuses = planned.map((f) => planWrite(f, options.force ?? false));
    const changed = statuses.some((s) => s !== 'unchanged');
    report.files = planned.map((f, i) => change(f, statuses[i]!, dryRun));
    report.warnings.push(...fragilePathWarnings(spec));
    const bind = options.bind ?? '127.0.0.1';
    if (dryRun) {
      report.directories = [...backend.directories];
      report.commands = backend.installCommands(NOT_INSTALLED, changed).map((c) => ({ argv: c.argv }));
      report.summary = `dry run (${describe(backend)}): nothing was changed; install would do this:`;
      return report;
    }
    const exec = createExec(host, report.commands);
    await backend.detect(host, exec);
    const before = await backend.query(host, exec);
    if (!before.active && (await host.probe.listening(bind, spec.port))) {
      throw new SrdError(
        'SRD_ERR_SERVICE_PORT_IN_USE',
        `${bind}:${spec.port} is already in use${spec.port === 18789 ? ', perhaps by the OpenClaw gateway (18789 is its default port too)' : ''}, ` +
          'or by a smart-routerd started by hand; stop that process or pass --port <free port>',
        { details: { port: spec.port } },
      );
    }
    for (const dir of backend.directories) mkdirSync(dir, { recursive: true, mode: 0o700 });
    report.directories = [...backend.directories];
    for (const [i, file] of planned.entries()) if (statuses[i] !== 'unchanged') await writePlanned(file);
    const commands = backend.installCommands(before, changed);
    for (const c of commands) await exec(c);
    report.changed = changed || commands.length > 0;
    await waitReady(host, backend, exec, report, readyzUrl(bind, spec.port), options.readyTimeoutMs);
    report.hints.push(...(await backend.hints(host, exec)));
    report.summary = report.changed
      ? `smart-routerd is installed as a ${describe(backend)} and ready.`
      : `smart-routerd is already installed and running; nothing changed.`;
    return report;
  } catch (err) {
    return failReport(report, err);
  }
}

/**
 * Polls /readyz; on failure asks the manager why and throws SRD_ERR_SERVICE_NOT_READY naming the
 * URL, the last answer and the manager's state (e.g. `failed (exit-code, exit status 78 = invalid
 * configuration)`).
 */
export async function waitReady(
  host: ServiceHost,
  backend: ServiceBackend,
  exec: ReturnType<typeof createExec>,
  report: ServiceReport,
  url: string,
  timeoutMs = DEFAULT_READY_TIMEOUT_MS,
): Promise<void> {
  report.url = url;
  const result = await host.probe.waitReady(url, timeoutMs);
  report.ready = result.ready;
  if (result.ready) return;
  const state = await backend.query(host, exec);
  report.state = state;
  throw new SrdError(
    'SRD_ERR_SERVICE_NOT_READY',
    `the service did not become ready: ${url} answered ${result.detail} for ${Math.round(timeoutMs / 1000)} s; ${backend.manager} says ${state.detail}; see: smart-routerd logs`,
    { details: { url, last: result.detail, state: state.detail } },
  );
}

/** Options of uninstallService. */
export interface UninstallOptions {
  /** Also delete the state dir (config, token, learned memory, DNA) and, on macOS, the log dir. Confirmed by the caller. */
  purge?: boolean;
  dryRun?: boolean;
}

/**
 * `smart-routerd uninstall`: stops and disables the service, removes the unit/plist, the env file
 * and the wrapper, and reloads the manager. The state dir stays unless `purge`. A definition file
 * without smart-routerd's marker is left alone (SRD_ERR_SERVICE_FILE_CONFLICT). Without a
 * reachable systemd the files are still removed, with a warning. Never throws SrdErrors.
 */
export async function uninstallService(host: ServiceHost, stateDir: string, options: UninstallOptions = {}): Promise<ServiceReport> {
  const dryRun = options.dryRun ?? false;
  const report = newReport('uninstall', null, dryRun);
  try {
    const backend = selectBackend(host, stateDir);
    report.manager = backend.manager;
    const definition = readIfExists(backend.definitionPath);
    if (definition !== null && !isManaged(definition)) {
      throw new SrdError(
        'SRD_ERR_SERVICE_FILE_CONFLICT',
        `${backend.definitionPath} was not written by smart-routerd (no marker); left in place: remove it yourself if it is yours to remove`,
        {
          details: { path: backend.definitionPath },
        },
      );
    }
    const paths = backend.paths;
    const targets = [backend.definitionPath, paths.envFile, ...(backend.manager === 'launchd' ? [paths.wrapperFile] : [])].filter((file) => {
      const content = readIfExists(file);
      if (content === null || file === backend.definitionPath || isManaged(content)) return true;
      report.warnings.push(`${file} was not written by smart-routerd; kept`);
      return false;
    });
    const purgeDirs = options.purge ? [stateDir, ...(backend.manager === 'launchd' ? [paths.logDir] : [])] : [];
    for (const dir of purgeDirs) assertPurgeable(dir, host.home);
    const installed = definition !== null;
    if (dryRun) {
      const guess: ServiceState = { ...NOT_INSTALLED, installed, loaded: installed, active: installed };
      report.files = targets.map((file) => ({ path: file, role: roleOf(backend, file), mode: modeOf(file), status: exists(file) ? 'removed' : 'absent' }));
      report.commands = installed ? [...backend.removeCommands(guess), ...backend.afterRemoveCommands(guess)].map((c) => ({ argv: c.argv })) : [];
      report.directories = purgeDirs.filter(exists);
      report.summary = `dry run (${describe(backend)}): nothing was changed; uninstall would do this:`;
      return report;
    }
    const exec = createExec(host, report.commands);
    let reachable = true;
    try {
      await backend.detect(host, exec);
    } catch (err) {
      reachable = false;
      report.warnings.push(`${(err as Error).message.split(':')[0]}: removing the files only`);
    }
    const state = reachable ? await backend.query(host, exec) : { ...NOT_INSTALLED, installed };
    if (reachable) for (const c of backend.removeCommands(state)) await exec(c);
    report.files = targets.map((file) => ({ path: file, role: roleOf(backend, file), mode: modeOf(file), status: removeFile(file) }));
    const removed = report.files.some((f) => f.status === 'removed');
    if (reachable && (removed || state.loaded)) for (const c of backend.afterRemoveCommands(state)) await exec(c);
    for (const dir of purgeDirs) {
      if (!exists(dir)) continue;
      rmSync(dir, { recursive: true, force: true });
      report.directories.push(dir);
    }
    report.changed = removed || state.loaded || report.directories.length > 0;
    const kept = options.purge ? `deleted ${stateDir}` : `kept the state dir ${stateDir} (config, token, learned memory; --purge deletes it)`;
    report.summary =
      removed || state.loaded
        ? `smart-routerd service removed; ${kept}.`
        : `smart-routerd service is not installed; ${options.purge ? kept : 'nothing to do'}.`;
    return report;
  } catch (err) {
    return failReport(report, err);
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function modeOf(file: string): string {
  try {
    return modeString(statSync(file).mode);
  } catch {
    return '-';
  }
}

function roleOf(backend: ServiceBackend, file: string): FileChange['role'] {
  return file === backend.definitionPath ? 'definition' : file === backend.paths.envFile ? 'env' : 'wrapper';
}

/**
 * Refuses (SRD_ERR_SERVICE_CONFIRM) to purge `/`, the home directory or any of its ancestors:
 * a state dir set to `~` by mistake must not cost the user their home.
 */
export function assertPurgeable(dir: string, home: string): void {
  const rel = path.relative(path.resolve(dir), path.resolve(home));
  if (path.resolve(dir) === path.parse(path.resolve(dir)).root || !rel.startsWith('..')) {
    throw new SrdError(
      'SRD_ERR_SERVICE_CONFIRM',
      `refusing to --purge ${dir}: it is / or your home directory or one of its parents; check --state-dir / SMART_ROUTERD_STATE_DIR`,
      {
        details: { dir },
      },
    );
  }
}
