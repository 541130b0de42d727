import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReadinessProbe, RunResult, ServiceHost, ServiceSpec } from '../../src/service/index.js';
import { ROOT } from '../helpers/daemon.js';

/** A temp HOME that removes itself. */
export function tempHome(prefix = 'srd-svc-'): { home: string; cleanup(): void } {
  const home = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** The state dir the CLI would use for `home` (config/load.ts defaultStateDir). */
export function stateDirOf(home: string): string {
  return path.join(home, '.openclaw', 'smart-router');
}

/** A spec for this checkout, as the CLI builds it. */
export function specFor(home: string, overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    port: 18999,
    nodePath: process.execPath,
    packageRoot: ROOT,
    version: '0.0.0-test',
    environment: { SMART_ROUTERD_STATE_DIR: stateDirOf(home), SMART_ROUTERD_LOG_FORMAT: 'json' },
    ...overrides,
  };
}

/** Scripted readiness: `ready` for waitReady, `busy` for listening. Records probed URLs. */
export function fakeProbe(options: { ready?: boolean; busy?: boolean } = {}): ReadinessProbe & { urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    async waitReady(url) {
      urls.push(url);
      return options.ready === false ? { ready: false, detail: 'ECONNREFUSED' } : { ready: true, detail: '200' };
    },
    async listening() {
      return options.busy ?? false;
    },
  };
}

/**
 * A simulated systemd user manager behind `systemctl --user`: it tracks loaded/enabled/active,
 * loads the unit only if the file exists at daemon-reload, and answers `show` like systemd 252.
 * `reachable: false` answers like a box without a user bus.
 */
export class FakeSystemd {
  loaded = false;
  enabled = false;
  active = false;
  exitStatus = 0;
  reachable = true;
  linger = 'no';
  constructor(private readonly unitFile: string) {}

  run(cmd: string, args: readonly string[]): RunResult {
    const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
    if (cmd === 'loginctl') return ok(`Linger=${this.linger}\n`);
    if (cmd !== 'systemctl' || args[0] !== '--user') return { code: 127, stdout: '', stderr: `${cmd}: not faked` };
    if (!this.reachable) return { code: 1, stdout: '', stderr: 'Failed to connect to bus: No medium found\n' };
    const [, verb, ...rest] = args;
    switch (verb) {
      case 'show':
        if (rest[0] === '--property=Version') return ok('Version=252.38-1~deb12u1\n');
        return ok(
          `${[
            `LoadState=${this.loaded ? 'loaded' : 'not-found'}`,
            `ActiveState=${this.active ? 'active' : this.exitStatus ? 'failed' : 'inactive'}`,
            `SubState=${this.active ? 'running' : this.exitStatus ? 'failed' : 'dead'}`,
            `UnitFileState=${this.enabled ? 'enabled' : this.loaded ? 'disabled' : ''}`,
            `MainPID=${this.active ? 4242 : 0}`,
            'NRestarts=0',
            `Result=${this.exitStatus ? 'exit-code' : 'success'}`,
            `ExecMainStatus=${this.exitStatus}`,
          ].join('\n')}\n`,
        );
      case 'daemon-reload':
        this.loaded = existsSync(this.unitFile);
        return ok();
      case 'enable':
        if (!this.loaded) return { code: 1, stdout: '', stderr: 'Failed to enable unit: Unit file smart-routerd.service does not exist.\n' };
        this.enabled = true;
        if (rest[0] === '--now') this.active = true;
        return ok();
      case 'disable':
        if (!existsSync(this.unitFile)) return { code: 1, stdout: '', stderr: 'Failed to disable unit: Unit file smart-routerd.service does not exist.\n' };
        this.enabled = false;
        if (rest[0] === '--now') this.active = false;
        return ok();
      case 'start':
      case 'restart':
        if (!this.loaded) return { code: 5, stdout: '', stderr: 'Failed to start smart-routerd.service: Unit smart-routerd.service not found.\n' };
        this.active = true;
        return ok();
      case 'stop':
        this.active = false;
        return ok();
      case 'reset-failed':
        return this.loaded
          ? ok()
          : { code: 1, stdout: '', stderr: 'Failed to reset failed state of unit smart-routerd.service: Unit smart-routerd.service not loaded.\n' };
      default:
        return { code: 1, stdout: '', stderr: `unknown verb ${verb}` };
    }
  }
}

/** A simulated launchd `gui/<uid>` domain behind `launchctl`. */
export class FakeLaunchd {
  loaded = false;
  running = false;
  run(cmd: string, args: readonly string[]): RunResult {
    if (cmd !== 'launchctl') return { code: 127, stdout: '', stderr: `${cmd}: not faked` };
    const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
    switch (args[0]) {
      case 'print':
        return this.loaded
          ? ok(
              `gui/501/ai.smart-routerd = {\n\tactive count = 1\n\tstate = ${this.running ? 'running' : 'not running'}\n\truns = 1\n\tpid = ${this.running ? 777 : 0}\n\tlast exit code = 0\n}\n`,
            )
          : { code: 113, stdout: '', stderr: 'Could not find service "ai.smart-routerd" in domain for user gui: 501\n' };
      case 'enable':
        return ok();
      case 'bootstrap':
        if (this.loaded) return { code: 5, stdout: '', stderr: 'Bootstrap failed: 5: Input/output error\n' };
        this.loaded = true;
        this.running = true;
        return ok();
      case 'bootout':
        if (!this.loaded) return { code: 3, stdout: '', stderr: 'Boot-out failed: 3: No such process\n' };
        this.loaded = false;
        this.running = false;
        return ok();
      case 'kickstart':
        if (!this.loaded) return { code: 113, stdout: '', stderr: 'Could not find service\n' };
        this.running = true;
        return ok();
      default:
        return { code: 1, stdout: '', stderr: `unknown ${args[0]}` };
    }
  }
}

/** A ServiceHost on `home` with `run` recording every call as a shell-ish line. */
export function fakeHost(
  home: string,
  platform: NodeJS.Platform,
  run: (cmd: string, args: readonly string[]) => RunResult,
  probe = fakeProbe(),
): { host: ServiceHost; calls: string[] } {
  const calls: string[] = [];
  const host: ServiceHost = {
    platform,
    env: { HOME: home },
    home,
    uid: 501,
    user: 'alice',
    run: (cmd, args) => {
      calls.push([cmd, ...args].join(' '));
      return run(cmd, args);
    },
    probe,
    sleep: async () => {},
  };
  return { host, calls };
}
