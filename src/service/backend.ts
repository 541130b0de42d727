import { SrdError } from '../errors.js';
import type { PlannedFile } from './files.js';
import type { ServiceHost } from './host.js';
import type { ServicePaths } from './paths.js';
import type { ServiceSpec } from './spec.js';

/** One command a backend wants run. */
export interface Command {
  argv: string[];
  /** A failure is expected and harmless (stopping what is not running); it is recorded, not thrown. */
  tolerate?: boolean;
  /** Extra attempts, 500 ms apart, for commands with known races (launchctl bootstrap after bootout). */
  retries?: number;
}

/** A command as it ran (code set) or, under --dry-run, as it would run (no code). */
export interface CommandRecord {
  argv: string[];
  code?: number;
  /** First line(s) of stderr when the command failed. */
  stderr?: string;
}

/** What the service manager says about smart-routerd's service. */
export interface ServiceState {
  /** The unit/plist file exists. */
  installed: boolean;
  /** The manager has it loaded (systemd LoadState=loaded, launchd job present in gui/<uid>). */
  loaded: boolean;
  /** A process is running or starting. */
  active: boolean;
  /** systemd: UnitFileState=enabled; launchd: loaded (RunAtLoad starts it at login). */
  enabled: boolean;
  pid?: number;
  /** How many times the manager restarted it (systemd NRestarts, launchd runs - 1). */
  restarts?: number;
  /** One line for humans, e.g. `active (running)`, `failed (exit-code, status 78)`, `running`. */
  detail: string;
}

/**
 * One service manager (systemd user manager, launchd). Backends only describe: files, commands,
 * parsing; running them, writing files and waiting for readiness is install.ts/control.ts.
 */
export interface ServiceBackend {
  readonly manager: 'systemd' | 'launchd';
  readonly paths: ServicePaths;
  /** The unit or plist file. */
  readonly definitionPath: string;
  /** Directories install creates besides the files' parents (launchd's log dir), mode 0700. */
  readonly directories: string[];
  /** Files for `spec`; `existingEnv` is the current env file so its other lines survive. */
  render(spec: ServiceSpec, existingEnv: string | null): PlannedFile[];
  /** Throws SRD_ERR_SERVICE_UNSUPPORTED (with what to do instead) when the manager is unreachable. */
  detect(host: ServiceHost, exec: Exec): Promise<void>;
  query(host: ServiceHost, exec: Exec): Promise<ServiceState>;
  /** After files were written: make the manager load, enable and (re)start the service. */
  installCommands(state: ServiceState, changed: boolean): Command[];
  /** Before the files are removed. */
  removeCommands(state: ServiceState): Command[];
  /** After the files were removed. */
  afterRemoveCommands(state: ServiceState): Command[];
  startCommands(state: ServiceState): Command[];
  stopCommands(state: ServiceState): Command[];
  restartCommands(state: ServiceState): Command[];
  logsCommand(lines: number, follow: boolean): Command;
  /** The `--port` the installed definition passes to the daemon, or null. */
  installedPort(definition: string): number | null;
  /** Advice after install (systemd: enable lingering). */
  hints(host: ServiceHost, exec: Exec): Promise<string[]>;
}

/** Runs one command through the host's runner and records it. */
export type Exec = (command: Command) => Promise<{ code: number; stdout: string; stderr: string }>;

/**
 * An Exec that runs through `host.run`, appends every call to `log`, retries `retries` times and
 * throws SRD_ERR_SERVICE_COMMAND (argv, exit code, stderr) for a failure that is not tolerated.
 */
export function createExec(host: ServiceHost, log: CommandRecord[]): Exec {
  return async (command) => {
    const [cmd, ...args] = command.argv;
    let result = await host.run(cmd!, args);
    for (let attempt = 0; result.code !== 0 && attempt < (command.retries ?? 0); attempt++) {
      await host.sleep(500);
      result = await host.run(cmd!, args);
    }
    const stderr = result.stderr.trim().split('\n').slice(0, 3).join(' / ');
    log.push(result.code === 0 || !stderr ? { argv: command.argv, code: result.code } : { argv: command.argv, code: result.code, stderr });
    if (result.code !== 0 && !command.tolerate) {
      throw new SrdError('SRD_ERR_SERVICE_COMMAND', `\`${command.argv.join(' ')}\` failed with exit code ${result.code}${stderr ? `: ${stderr}` : ''}`, {
        details: { argv: command.argv, code: result.code, stderr },
      });
    }
    return result;
  };
}

/** `78 = invalid configuration` for the daemon's EX_CONFIG exit status (cli/main.ts), else the number. */
export function exitStatusText(status: string | number): string {
  return String(status).trim() === '78' ? '78 = invalid configuration' : String(status).trim();
}

/** Shell-style rendering of argv for messages and dry-run output (quotes words with spaces). */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** SRD_ERR_SERVICE_UNSUPPORTED with the foreground alternative (OpenClaw: "No supported service manager detected"). */
export function unsupported(why: string): SrdError {
  return new SrdError(
    'SRD_ERR_SERVICE_UNSUPPORTED',
    `No supported service manager detected: ${why} Run the daemon in the foreground instead: smart-routerd start ` +
      '(under tmux/screen, or from your own supervisor such as a container entrypoint or runit).',
  );
}
