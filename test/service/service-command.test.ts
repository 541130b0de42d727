import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/daemon.js';
import { stateDirOf, tempHome } from './fake-host.js';

/**
 * Runs the built CLI with a temp HOME and a PATH that holds only `node`: no systemctl, launchctl
 * or loginctl can be reached, so nothing on this machine is touched whatever the test does.
 */
function cli(home: string, args: string[], input?: string) {
  const bin = path.join(home, 'bin');
  if (!existsSync(bin)) {
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'node'));
  }
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { HOME: home, PATH: bin, USER: 'alice' },
    ...(input === undefined ? {} : { input }),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('smart-routerd install/uninstall/service (CLI)', () => {
  let t: ReturnType<typeof tempHome>;
  beforeEach(() => {
    t = tempHome();
  });
  afterEach(() => t.cleanup());

  it('install --json without a service manager answers {"action":"install","ok":false,"error":…} and exits 1', (ctx) => {
    ctx.skip(process.platform !== 'linux', 'the no-systemctl case is Linux-specific (macOS always has launchd)');
    const r = cli(t.home, ['install', '--json', '--port', '18998']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      action: 'install',
      ok: false,
      code: 'SRD_ERR_SERVICE_UNSUPPORTED',
      error:
        'No supported service manager detected: systemctl is not installed. Run the daemon in the foreground instead: smart-routerd start ' +
        '(under tmux/screen, or from your own supervisor such as a container entrypoint or runit).',
      manager: 'systemd',
      commands: [{ argv: ['systemctl', '--user', 'show', '--property=Version'], code: 127, stderr: 'systemctl: spawn systemctl ENOENT' }],
    });
    expect(existsSync(path.join(t.home, '.config'))).toBe(false);
  });

  it('install without --json prints the same error and the foreground hint on stderr', (ctx) => {
    ctx.skip(process.platform !== 'linux', 'the no-systemctl case is Linux-specific (macOS always has launchd)');
    const r = cli(t.home, ['install', '--port', '18998']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'error: No supported service manager detected: systemctl is not installed. Run the daemon in the foreground instead: smart-routerd start',
    );
  });

  it('install --dry-run needs no service manager and writes nothing', () => {
    const r = cli(t.home, ['install', '--dry-run', '--port', '18998', '--token', 'tok-0123456789ab']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nothing was changed');
    expect(r.stdout).toContain('SMART_ROUTERD_TOKEN=<redacted>');
    expect(r.stdout).not.toContain('tok-0123456789ab');
    expect(existsSync(path.join(t.home, '.config'))).toBe(false);
    expect(existsSync(path.join(t.home, 'Library'))).toBe(false);
    expect(existsSync(stateDirOf(t.home))).toBe(false);
  });

  it('refuses a token the env file cannot hold, as a configuration error (exit 78)', () => {
    const r = cli(t.home, ['install', '--dry-run', '--json', '--token', "it's-a-token"]);
    expect(r.code).toBe(78);
    expect(JSON.parse(r.stdout)).toMatchObject({
      action: 'install',
      ok: false,
      code: 'SRD_ERR_CONFIG_INVALID',
      error: "--token: expected at least 8 characters without quotes (') or control characters",
    });
  });

  it('refuses a port of 0, which a service cannot use', () => {
    const r = cli(t.home, ['install', '--dry-run', '--json', '--port', '0']);
    expect(r.code).toBe(78);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      code: 'SRD_ERR_CONFIG_INVALID',
      error: '--port: expected an integer 1–65535 (got 0; a service needs a fixed port)',
    });
  });

  it('uninstall --purge off a terminal refuses without --yes and deletes nothing', () => {
    mkdirSync(stateDirOf(t.home), { recursive: true });
    const r = cli(t.home, ['uninstall', '--purge', '--json'], '');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      action: 'uninstall',
      ok: false,
      code: 'SRD_ERR_SERVICE_CONFIRM',
      error: `--purge deletes ${stateDirOf(t.home)} (config, gateway token, learned memory, built DNA); pass --yes to confirm`,
    });
    expect(existsSync(stateDirOf(t.home))).toBe(true);
  });

  it('service status exits 3 when the service is not installed', () => {
    const r = cli(t.home, ['service', 'status', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'status', ok: false, code: 'SRD_ERR_SERVICE_NOT_INSTALLED' });
  });
});
