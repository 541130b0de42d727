import { spawn } from 'node:child_process';
import os from 'node:os';
import { httpProbe, type ReadinessProbe } from './readiness.js';

/** What one command returned. `code` 127 means the program was not found (shell convention). */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one program without a shell. With `inherit`, its output goes straight to this terminal
 * (`logs -f`) and the result's stdout/stderr are empty. Every systemctl/launchctl/loginctl/
 * journalctl call goes through this, so tests substitute a fake and assert the exact sequence.
 */
export type Runner = (cmd: string, args: readonly string[], options?: { inherit?: boolean }) => RunResult | Promise<RunResult>;

/**
 * Everything the service code reads from the machine: platform, environment, home, user, the
 * command runner, the readiness probe and a sleep. `systemHost()` fills it from this process;
 * tests pass a temp HOME, a fake runner and a fake probe.
 */
export interface ServiceHost {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** Home directory (HOME, else the passwd entry). */
  home: string;
  /** Numeric uid for launchd's `gui/<uid>` domain. */
  uid: number;
  /** Login name for `loginctl show-user`. */
  user: string;
  run: Runner;
  probe: ReadinessProbe;
  /** Waits `ms` milliseconds (launchctl retry back-off); tests make it instant. */
  sleep(ms: number): Promise<void>;
}

/** Default budget of one command, in ms; a hung systemctl is reported, not waited on forever. */
const COMMAND_TIMEOUT_MS = 60_000;

/**
 * The real runner: `spawn` without a shell, output collected as UTF-8. A missing program yields
 * code 127, a command killed after 60 s yields code 124 (the `timeout(1)` convention).
 */
export const spawnRunner: Runner = (cmd, args, options = {}) =>
  new Promise<RunResult>((resolve) => {
    const child = spawn(cmd, args, { stdio: options.inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = options.inherit
      ? null
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, COMMAND_TIMEOUT_MS);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      resolve({ code: err.code === 'ENOENT' ? 127 : 126, stdout, stderr: `${cmd}: ${err.message}` });
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) resolve({ code: 124, stdout, stderr: `${stderr}${cmd}: timed out after ${COMMAND_TIMEOUT_MS / 1000} s` });
      else resolve({ code: code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1), stdout, stderr });
    });
  });

/** A ServiceHost for this process: real platform, env, home, uid, user, runner and HTTP probe. */
export function systemHost(overrides: Partial<ServiceHost> = {}): ServiceHost {
  const env = overrides.env ?? process.env;
  let user = env.USER ?? env.LOGNAME;
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = String(process.getuid?.() ?? '');
    }
  }
  return {
    platform: process.platform,
    env,
    home: env.HOME ?? os.homedir(),
    uid: process.getuid?.() ?? 0,
    user,
    run: spawnRunner,
    probe: httpProbe,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...overrides,
  };
}
