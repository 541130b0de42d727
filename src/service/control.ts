import { SrdError } from '../errors.js';
import { createExec, type ServiceBackend } from './backend.js';
import { readIfExists } from './files.js';
import type { ServiceHost } from './host.js';
import { DEFAULT_READY_TIMEOUT_MS, selectBackend, waitReady } from './install.js';
import { readyzUrl } from './readiness.js';
import { failReport, newReport, type ServiceReport } from './report.js';

/** Options of controlService and serviceStatus. */
export interface ControlOptions {
  /** Address the readiness probe uses (the configured bind; default 127.0.0.1). */
  bind?: string;
  /** Readiness budget in ms after start/restart (default 30 000). */
  readyTimeoutMs?: number;
}

function installed(backend: ServiceBackend): string {
  const definition = readIfExists(backend.definitionPath);
  if (definition === null) {
    throw new SrdError(
      'SRD_ERR_SERVICE_NOT_INSTALLED',
      `smart-routerd is not installed as a service (${backend.definitionPath} does not exist): run smart-routerd install, or smart-routerd start to run it in the foreground`,
    );
  }
  return definition;
}

/**
 * The installed service's backend, its definition file, a command runner that records into
 * `report.commands`, and the manager's current view. Throws SRD_ERR_SERVICE_UNSUPPORTED /
 * _NOT_INSTALLED / _COMMAND (the callers turn them into `ok:false`).
 */
async function openInstalled(host: ServiceHost, stateDir: string, report: ServiceReport) {
  const backend = selectBackend(host, stateDir);
  report.manager = backend.manager;
  const definition = installed(backend);
  const exec = createExec(host, report.commands);
  await backend.detect(host, exec);
  const state = await backend.query(host, exec);
  return { backend, definition, exec, state };
}

/**
 * `smart-routerd service start|stop|restart`: the manager's own commands (systemctl --user
 * start/stop/restart; launchctl kickstart / bootout / kickstart -k), then for start and restart a
 * wait for /readyz on the installed port. Never throws SrdErrors: SRD_ERR_SERVICE_NOT_INSTALLED,
 * _UNSUPPORTED, _COMMAND and _NOT_READY become `ok:false`.
 */
export async function controlService(
  host: ServiceHost,
  stateDir: string,
  action: 'start' | 'stop' | 'restart',
  options: ControlOptions = {},
): Promise<ServiceReport> {
  const report = newReport(action, null);
  try {
    const { backend, definition, exec, state } = await openInstalled(host, stateDir, report);
    const commands = action === 'start' ? backend.startCommands(state) : action === 'stop' ? backend.stopCommands(state) : backend.restartCommands(state);
    for (const c of commands) await exec(c);
    report.changed = commands.length > 0;
    if (action === 'stop') {
      report.state = await backend.query(host, exec);
      report.summary = state.active ? 'smart-routerd service stopped.' : 'smart-routerd service was not running.';
      return report;
    }
    const port = backend.installedPort(definition);
    if (port !== null)
      await waitReady(host, backend, exec, report, readyzUrl(options.bind ?? '127.0.0.1', port), options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    report.state = await backend.query(host, exec);
    report.summary = `smart-routerd service ${action === 'start' ? (state.active ? 'was already running' : 'started') : 'restarted'}${report.ready ? ' and ready' : ''}.`;
    return report;
  } catch (err) {
    return failReport(report, err);
  }
}

/**
 * `smart-routerd service status`: the manager's view (state, enabled, pid, restarts) plus one
 * /readyz probe. `ok` is true only when the service runs and is ready. Never throws SrdErrors.
 */
export async function serviceStatus(host: ServiceHost, stateDir: string, options: ControlOptions = {}): Promise<ServiceReport> {
  const report = newReport('status', null);
  try {
    const { backend, definition, state } = await openInstalled(host, stateDir, report);
    report.state = state;
    const port = backend.installedPort(definition);
    if (port !== null) {
      report.url = readyzUrl(options.bind ?? '127.0.0.1', port);
      report.ready = (await host.probe.waitReady(report.url, 0)).ready;
    }
    report.ok = state.active && report.ready === true;
    const facts = [
      state.detail,
      state.enabled ? 'enabled' : 'not enabled',
      ...(state.pid ? [`pid ${state.pid}`] : []),
      ...(state.restarts !== undefined ? [`${state.restarts} restart${state.restarts === 1 ? '' : 's'}`] : []),
    ];
    report.summary = `smart-routerd service (${backend.definitionPath}): ${facts.join(', ')}`;
    if (!report.ok) {
      report.error = state.active ? `running but not ready (${report.url ?? 'no port in the service file'})` : `not running: ${state.detail}`;
      report.code = 'SRD_ERR_SERVICE_NOT_READY';
    }
    return report;
  } catch (err) {
    return failReport(report, err);
  }
}

/**
 * `smart-routerd logs [-f] [-n N]`: journalctl --user -u smart-routerd.service (Linux) or tail of
 * ~/Library/Logs/smart-routerd/smart-routerd.log (macOS), output straight to this terminal.
 * Returns the command's exit code. Throws SRD_ERR_SERVICE_UNSUPPORTED on other platforms.
 */
export async function showLogs(host: ServiceHost, stateDir: string, options: { lines: number; follow: boolean }): Promise<{ argv: string[]; code: number }> {
  const backend = selectBackend(host, stateDir);
  const { argv } = backend.logsCommand(options.lines, options.follow);
  const result = await host.run(argv[0]!, argv.slice(1), { inherit: true });
  return { argv, code: result.code };
}
