import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { type ConfigFlags, isLoopback, loadConfig, resolvePaths } from '../../config/index.js';
import { VERSION } from '../../daemon/index.js';
import { isSrdError, SrdError } from '../../errors.js';
import {
  assertServiceToken,
  controlService,
  envFileHasToken,
  formatReport,
  installService,
  packageRoot,
  type ServiceAction,
  type ServiceReport,
  type ServiceSpec,
  servicePaths,
  serviceStatus,
  showLogs,
  systemHost,
  uninstallService,
} from '../../service/index.js';

type Globals = Pick<ConfigFlags, 'config' | 'stateDir'>;

/**
 * The service commands (docs/operations.md): `install`, `uninstall`, `service start|stop|restart|status`
 * and `logs`. They manage smart-routerd as a systemd user unit (Linux) or a LaunchAgent (macOS);
 * `smart-routerd start` stays the foreground daemon the service runs.
 */
export function registerService(program: Command): void {
  program
    .command('install')
    .description(
      'install smart-routerd as a user service that starts at login and restarts when it dies: a systemd user unit (Linux) or a LaunchAgent (macOS); waits for /readyz',
    )
    .option('--port <port>', 'port the service listens on (default: gateway.port from the config, 18789)')
    .option(
      '--token <token>',
      'gateway auth token for the service, kept in <state-dir>/service.env (mode 0600), never in the unit; default: the daemon uses <state-dir>/gateway.token',
    )
    .option('--node <path>', 'absolute node binary the service runs (default: the node running this command)')
    .option('--force', 'replace a unit/plist at the install path that was not written by smart-routerd')
    .option('--dry-run', 'print the files and commands without changing anything')
    .option('--timeout <ms>', 'how long to wait for /readyz after starting', '30000')
    .option('--json', 'print the result as JSON: {"action":"install","ok":true|false,"error"?,...}')
    .addHelpText(
      'after',
      '\nRunning it again changes nothing and says so. Re-run it after moving node or upgrading smart-routerd.\nRemove with `smart-routerd uninstall`; see docs/operations.md.',
    )
    .action(
      async (opts: { port?: string; token?: string; node?: string; force?: boolean; dryRun?: boolean; timeout: string; json?: boolean }, cmd: Command) => {
        await emit('install', opts.json, () => install(opts, cmd.optsWithGlobals<Globals>()));
      },
    );

  program
    .command('uninstall')
    .description('stop and remove the user service (unit or LaunchAgent, its env file and wrapper); the state dir is kept unless --purge')
    .option('--purge', 'also delete the state dir (config, gateway token, learned memory, built DNA) and, on macOS, the log dir')
    .option('--yes', 'do not ask before --purge deletes anything (required when not on a terminal)')
    .option('--dry-run', 'print what would be removed without changing anything')
    .option('--json', 'print the result as JSON: {"action":"uninstall","ok":…}')
    .action(async (opts: { purge?: boolean; yes?: boolean; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      await emit('uninstall', opts.json, async () => {
        const { stateDir } = resolvePaths(cmd.optsWithGlobals<Globals>());
        if (opts.purge && !opts.yes && !opts.dryRun) await confirmPurge(stateDir, Boolean(opts.json));
        return uninstallService(systemHost(), stateDir, { purge: opts.purge ?? false, dryRun: opts.dryRun ?? false });
      });
    });

  const service = program
    .command('service')
    .description('control the installed user service: start | stop | restart | status (`smart-routerd start` instead runs the daemon in the foreground)');
  for (const [action, description] of [
    ['start', 'start the installed service and wait for /readyz (systemctl --user start / launchctl bootstrap or kickstart)'],
    ['stop', 'stop the service (systemctl --user stop / launchctl bootout); it starts again at the next login or `service start`'],
    ['restart', 'restart the service and wait for /readyz (systemctl --user restart / launchctl kickstart -k)'],
  ] as const) {
    service
      .command(action)
      .description(description)
      .option('--timeout <ms>', 'how long to wait for /readyz', '30000')
      .option('--json', `print the result as JSON: {"action":"${action}","ok":…}`)
      .action(async (opts: { timeout: string; json?: boolean }, cmd: Command) => {
        await emit(action, opts.json, () => {
          const { stateDir, bind } = where(cmd.optsWithGlobals<Globals>());
          return controlService(systemHost(), stateDir, action, { bind, readyTimeoutMs: ms(opts.timeout) });
        });
      });
  }
  service
    .command('status')
    .description("the manager's view of the service (state, enabled, pid, restarts) and one /readyz probe; exits 0 only when running and ready, 3 otherwise")
    .option('--json', 'print the result as JSON: {"action":"status","ok":…,"state":{…},"ready":…}')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await emit('status', opts.json, () => {
        const { stateDir, bind } = where(cmd.optsWithGlobals<Globals>());
        return serviceStatus(systemHost(), stateDir, { bind });
      });
    });

  program
    .command('logs')
    .description(
      "print the service's log: journalctl --user -u smart-routerd.service (Linux), ~/Library/Logs/smart-routerd/smart-routerd.log (macOS); JSON lines, pipe to pino-pretty to read",
    )
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .option('-n, --lines <n>', 'how many past lines to print', '100')
    .action(async (opts: { follow?: boolean; lines: string }, cmd: Command) => {
      const lines = Number(opts.lines);
      if (!Number.isInteger(lines) || lines < 0)
        throw new SrdError('SRD_ERR_CONFIG_INVALID', `--lines: expected a non-negative integer (got ${JSON.stringify(opts.lines)})`);
      const { stateDir } = resolvePaths(cmd.optsWithGlobals<Globals>());
      const { argv, code } = await showLogs(systemHost(), stateDir, { lines, follow: Boolean(opts.follow) });
      if (code === 127) process.stderr.write(`smart-routerd: ${argv[0]} not found; is the service installed here? (smart-routerd service status)\n`);
      process.exitCode = code;
    });
}

async function install(
  opts: { port?: string; token?: string; node?: string; force?: boolean; dryRun?: boolean; timeout: string },
  globals: Globals,
): Promise<ServiceReport> {
  if (opts.token !== undefined) assertServiceToken(opts.token);
  // The user's view (flags > SMART_ROUTERD_* env > file) decides the port and the state dir.
  const mine = loadConfig({ ...globals, port: opts.port, token: opts.token });
  const port = mine.config.gateway.port;
  if (port === 0) throw new SrdError('SRD_ERR_CONFIG_INVALID', '--port: expected an integer 1–65535 (got 0; a service needs a fixed port)');
  const stateDir = mine.paths.stateDir;
  const environment: Record<string, string> = { SMART_ROUTERD_STATE_DIR: stateDir, SMART_ROUTERD_LOG_FORMAT: 'json' };
  if (globals.config !== undefined || process.env.SMART_ROUTERD_CONFIG) environment.SMART_ROUTERD_CONFIG = mine.paths.configPath;
  for (const key of ['SMART_ROUTERD_BIND', 'SMART_ROUTERD_LOG_LEVEL'] as const) if (process.env[key]) environment[key] = process.env[key]!;
  const host = systemHost();
  // The service's view: only what the unit passes on. Loading it now turns an error the daemon
  // would exit 78 on into an install error.
  const existingEnv = readOrNull(servicePaths({ home: host.home, env: host.env, stateDir }).envFile);
  const theirs = loadConfig({ port }, { HOME: host.home, ...environment, ...(opts.token ? { SMART_ROUTERD_TOKEN: opts.token } : {}) });
  const bind = theirs.config.gateway.bind;
  if (!isLoopback(bind) && !theirs.config.gateway.auth.token && !envFileHasToken(existingEnv)) {
    throw new SrdError(
      'SRD_ERR_BIND_REFUSED',
      `the service would bind ${bind} without an auth token and refuse to start: pass --token, set gateway.auth.token in ${theirs.paths.configPath}, or bind 127.0.0.1`,
    );
  }
  const nodePath = path.resolve(opts.node ?? process.execPath);
  try {
    accessSync(nodePath, fsConstants.X_OK);
  } catch {
    throw new SrdError('SRD_ERR_SERVICE_RENDER', `--node: ${nodePath} is not an executable file`);
  }
  const spec: ServiceSpec = { port, nodePath, packageRoot: packageRoot(), version: VERSION, environment, token: opts.token };
  const report = await installService(host, spec, stateDir, {
    force: opts.force ?? false,
    dryRun: opts.dryRun ?? false,
    bind,
    readyTimeoutMs: ms(opts.timeout),
  });
  if (process.env.SMART_ROUTERD_TOKEN && opts.token === undefined) {
    report.warnings.push('SMART_ROUTERD_TOKEN is set in this shell, but the service does not inherit your shell: pass --token to give the service a token');
  }
  return report;
}

/** State dir and bind for the control commands; an invalid config must not stop `service stop`. */
function where(globals: Globals): { stateDir: string; bind: string } {
  const { stateDir } = resolvePaths(globals);
  try {
    return { stateDir, bind: loadConfig(globals).config.gateway.bind };
  } catch {
    return { stateDir, bind: '127.0.0.1' };
  }
}

async function confirmPurge(stateDir: string, json: boolean): Promise<void> {
  const what = `--purge deletes ${stateDir} (config, gateway token, learned memory, built DNA)`;
  if (json || !process.stdin.isTTY) throw new SrdError('SRD_ERR_SERVICE_CONFIRM', `${what}; pass --yes to confirm`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${what}. Continue? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new SrdError('SRD_ERR_SERVICE_CONFIRM', `${what}; not confirmed, nothing was changed`);
  } finally {
    rl.close();
  }
}

/**
 * Runs a service command and prints its report: JSON on stdout with --json, else text (stdout when
 * ok, stderr when not). Exit code 0 when ok; 78 for configuration errors (like `start`); 3 for
 * `service status` of a service that is not running and ready (LSB); 1 otherwise.
 */
async function emit(action: ServiceAction, json: boolean | undefined, run: () => Promise<ServiceReport>): Promise<void> {
  let report: ServiceReport;
  try {
    report = await run();
  } catch (err) {
    if (!isSrdError(err)) throw err;
    report = {
      action,
      ok: false,
      error: err.message,
      code: err.code,
      manager: null,
      dryRun: false,
      changed: false,
      summary: `${action} failed`,
      files: [],
      directories: [],
      commands: [],
      hints: [],
      warnings: [],
    };
  }
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else (report.ok ? process.stdout : process.stderr).write(formatReport(report));
  if (report.ok) return;
  const code = report.code ?? '';
  process.exitCode = code.startsWith('SRD_ERR_CONFIG') || code === 'SRD_ERR_BIND_REFUSED' ? 78 : action === 'status' ? 3 : 1;
}

function ms(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new SrdError('SRD_ERR_CONFIG_INVALID', `--timeout: expected milliseconds ≥ 0 (got ${JSON.stringify(value)})`);
  return n;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
