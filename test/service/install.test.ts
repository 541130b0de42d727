import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installService, type ServicePaths, servicePaths, uninstallService } from '../../src/service/index.js';
import { FakeSystemd, fakeHost, fakeProbe, specFor, stateDirOf, tempHome } from './fake-host.js';

const UNIT = 'smart-routerd.service';
const TOKEN = 'tok-3f9c2b7e1d5a4c60';

describe('install on a systemd host', () => {
  let t: ReturnType<typeof tempHome>;
  let paths: ServicePaths;
  let systemd: FakeSystemd;

  beforeEach(() => {
    t = tempHome();
    paths = servicePaths({ home: t.home, env: { HOME: t.home }, stateDir: stateDirOf(t.home) });
    systemd = new FakeSystemd(paths.unitFile);
  });
  afterEach(() => t.cleanup());

  it('writes the unit, reloads systemd, enables and starts it, waits for /readyz and checks lingering', async () => {
    const probe = fakeProbe();
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a), probe);
    const report = await installService(host, specFor(t.home), stateDirOf(t.home));
    expect(report.ok, report.error).toBe(true);
    expect(calls).toEqual([
      'systemctl --user show --property=Version',
      `systemctl --user show ${UNIT} --property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,Result,ExecMainStatus`,
      'systemctl --user daemon-reload',
      `systemctl --user enable --now ${UNIT}`,
      'loginctl show-user alice --property=Linger',
    ]);
    expect(probe.urls).toEqual(['http://127.0.0.1:18999/readyz']);
    expect(report.files.map((f) => [path.relative(t.home, f.path), f.mode, f.status])).toEqual([
      ['.config/systemd/user/smart-routerd.service', '0644', 'created'],
      ['.openclaw/smart-router/service.env', '0600', 'created'],
    ]);
    expect(report.hints).toEqual([
      'lingering is off for alice: the service stops when you log out and starts at your next login; to keep it running, run: sudo loginctl enable-linger alice',
    ]);
    expect(systemd).toMatchObject({ loaded: true, enabled: true, active: true });
  });

  it('keeps the token out of the unit and in a 0600 EnvironmentFile in the state dir', async () => {
    const { host } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    const report = await installService(host, specFor(t.home, { token: TOKEN }), stateDirOf(t.home));
    expect(report.ok, report.error).toBe(true);
    const unit = readFileSync(paths.unitFile, 'utf8');
    expect(unit).not.toContain(TOKEN);
    expect(unit).toContain(`EnvironmentFile=-${paths.envFile}\n`);
    expect(statSync(paths.envFile).mode & 0o777).toBe(0o600);
    expect(statSync(stateDirOf(t.home)).mode & 0o777).toBe(0o700);
    expect(readFileSync(paths.envFile, 'utf8')).toContain(`\nSMART_ROUTERD_TOKEN='${TOKEN}'\n`);
    expect(JSON.stringify(report)).not.toContain(TOKEN);
  });

  it('changes nothing on a second run and says so', async () => {
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    await installService(host, specFor(t.home, { token: TOKEN }), stateDirOf(t.home));
    const unitBefore = statSync(paths.unitFile).mtimeMs;
    calls.length = 0;
    const again = await installService(host, specFor(t.home), stateDirOf(t.home));
    expect(again.ok, again.error).toBe(true);
    expect(again.changed).toBe(false);
    expect(again.summary).toBe('smart-routerd is already installed and running; nothing changed.');
    expect(again.files.map((f) => f.status)).toEqual(['unchanged', 'unchanged']);
    expect(calls).toEqual([
      'systemctl --user show --property=Version',
      `systemctl --user show ${UNIT} --property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,Result,ExecMainStatus`,
      'loginctl show-user alice --property=Linger',
    ]);
    expect(statSync(paths.unitFile).mtimeMs).toBe(unitBefore);
    expect(readFileSync(paths.envFile, 'utf8')).toContain(TOKEN);
  });

  it('restarts a running service whose unit changed (here: a new port)', async () => {
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    await installService(host, specFor(t.home), stateDirOf(t.home));
    calls.length = 0;
    const report = await installService(host, specFor(t.home, { port: 19001 }), stateDirOf(t.home));
    expect(report.ok, report.error).toBe(true);
    expect(report.files[0]!.status).toBe('updated');
    expect(calls.slice(2, 5)).toEqual(['systemctl --user daemon-reload', `systemctl --user enable --now ${UNIT}`, `systemctl --user restart ${UNIT}`]);
    expect(readFileSync(paths.unitFile, 'utf8')).toContain(' start --port 19001\n');
  });

  it('refuses to replace a unit it did not write unless --force, and replaces it with --force', async () => {
    mkdirSync(path.dirname(paths.unitFile), { recursive: true });
    writeFileSync(paths.unitFile, '[Service]\nExecStart=/usr/bin/true\n');
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    const refused = await installService(host, specFor(t.home), stateDirOf(t.home));
    expect(refused).toMatchObject({ ok: false, code: 'SRD_ERR_SERVICE_FILE_CONFLICT' });
    expect(refused.error).toBe(
      `${paths.unitFile} exists and was not written by smart-routerd (it lacks the "smart-routerd:managed" marker); look at it, then re-run with --force to replace it`,
    );
    expect(calls).toEqual([]);
    expect(readFileSync(paths.unitFile, 'utf8')).toBe('[Service]\nExecStart=/usr/bin/true\n');
    const forced = await installService(host, specFor(t.home), stateDirOf(t.home), { force: true });
    expect(forced.ok, forced.error).toBe(true);
    expect(forced.files[0]!.status).toBe('replaced');
    expect(readFileSync(paths.unitFile, 'utf8')).toContain('# smart-routerd:managed');
  });

  it('prints the files and commands under --dry-run without running a command or writing a file', async () => {
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    const report = await installService(host, specFor(t.home, { token: TOKEN }), stateDirOf(t.home), { dryRun: true });
    expect(report).toMatchObject({ ok: true, dryRun: true, changed: false });
    expect(calls).toEqual([]);
    expect(existsSync(paths.unitFile)).toBe(false);
    expect(existsSync(stateDirOf(t.home))).toBe(false);
    expect(report.commands).toEqual([{ argv: ['systemctl', '--user', 'daemon-reload'] }, { argv: ['systemctl', '--user', 'enable', '--now', UNIT] }]);
    expect(report.files[0]!.content).toContain('ExecStart=');
    expect(report.files[1]!.content).toContain('SMART_ROUTERD_TOKEN=<redacted>');
    expect(JSON.stringify(report)).not.toContain(TOKEN);
  });

  it('says how to run in the foreground when no systemd user manager is reachable', async () => {
    systemd.reachable = false;
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    const report = await installService(host, specFor(t.home), stateDirOf(t.home));
    expect(report).toMatchObject({ action: 'install', ok: false, code: 'SRD_ERR_SERVICE_UNSUPPORTED' });
    expect(report.error).toBe(
      'No supported service manager detected: `systemctl --user` cannot reach a systemd user manager (Failed to connect to bus: No medium found). ' +
        'If this is a login without a session bus, try: export XDG_RUNTIME_DIR=/run/user/501, then run install again. ' +
        'Run the daemon in the foreground instead: smart-routerd start (under tmux/screen, or from your own supervisor such as a container entrypoint or runit).',
    );
    expect(calls).toEqual(['systemctl --user show --property=Version']);
    expect(existsSync(paths.unitFile)).toBe(false);
  });

  it('says how to run in the foreground on a platform with neither systemd nor launchd', async () => {
    const { host, calls } = fakeHost(t.home, 'freebsd', () => ({ code: 0, stdout: '', stderr: '' }));
    const report = await installService(host, specFor(t.home), stateDirOf(t.home));
    expect(report).toMatchObject({ ok: false, code: 'SRD_ERR_SERVICE_UNSUPPORTED', manager: null });
    expect(report.error).toMatch(
      /^No supported service manager detected: freebsd has neither a systemd user manager nor launchd\. Run the daemon in the foreground instead: smart-routerd start/,
    );
    expect(calls).toEqual([]);
  });

  it('refuses to install over a port another process already listens on', async () => {
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a), fakeProbe({ busy: true }));
    const report = await installService(host, specFor(t.home), stateDirOf(t.home));
    expect(report).toMatchObject({ ok: false, code: 'SRD_ERR_SERVICE_PORT_IN_USE' });
    expect(report.error).toContain('127.0.0.1:18999 is already in use');
    expect(calls).toHaveLength(2);
    expect(existsSync(paths.unitFile)).toBe(false);
  });

  it('reports a service that never turns ready with the manager state and exit status 78', async () => {
    const { host } = fakeHost(
      t.home,
      'linux',
      (c, a) => {
        const r = systemd.run(c, a);
        if (a[1] === 'enable') Object.assign(systemd, { active: false, exitStatus: 78 });
        return r;
      },
      fakeProbe({ ready: false }),
    );
    const report = await installService(host, specFor(t.home), stateDirOf(t.home), { readyTimeoutMs: 1000 });
    expect(report).toMatchObject({ ok: false, code: 'SRD_ERR_SERVICE_NOT_READY', ready: false });
    expect(report.error).toBe(
      'the service did not become ready: http://127.0.0.1:18999/readyz answered ECONNREFUSED for 1 s; ' +
        'systemd says failed (exit-code, exit status 78 = invalid configuration); see: smart-routerd logs',
    );
  });
});

describe('uninstall on a systemd host', () => {
  let t: ReturnType<typeof tempHome>;
  let paths: ServicePaths;
  let systemd: FakeSystemd;

  beforeEach(async () => {
    t = tempHome();
    paths = servicePaths({ home: t.home, env: { HOME: t.home }, stateDir: stateDirOf(t.home) });
    systemd = new FakeSystemd(paths.unitFile);
    const { host } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    await installService(host, specFor(t.home, { token: TOKEN }), stateDirOf(t.home));
    writeFileSync(path.join(stateDirOf(t.home), 'config.json'), '{}\n');
  });
  afterEach(() => t.cleanup());

  it('disables and stops the unit, removes it and the env file, reloads systemd and keeps the state dir', async () => {
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    const report = await uninstallService(host, stateDirOf(t.home));
    expect(report.ok, report.error).toBe(true);
    expect(calls).toEqual([
      'systemctl --user show --property=Version',
      `systemctl --user show ${UNIT} --property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,Result,ExecMainStatus`,
      `systemctl --user disable --now ${UNIT}`,
      'systemctl --user daemon-reload',
      `systemctl --user reset-failed ${UNIT}`,
    ]);
    expect(report.files.map((f) => f.status)).toEqual(['removed', 'removed']);
    expect(existsSync(paths.unitFile)).toBe(false);
    expect(existsSync(paths.envFile)).toBe(false);
    expect(readFileSync(path.join(stateDirOf(t.home), 'config.json'), 'utf8')).toBe('{}\n');
    expect(report.summary).toBe(`smart-routerd service removed; kept the state dir ${stateDirOf(t.home)} (config, token, learned memory; --purge deletes it).`);
  });

  it('deletes the state dir with --purge', async () => {
    const { host } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    const report = await uninstallService(host, stateDirOf(t.home), { purge: true });
    expect(report.ok, report.error).toBe(true);
    expect(report.directories).toEqual([stateDirOf(t.home)]);
    expect(existsSync(stateDirOf(t.home))).toBe(false);
    expect(existsSync(t.home)).toBe(true);
  });

  it('refuses to --purge a state dir that is the home directory', async () => {
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    const report = await uninstallService(host, t.home, { purge: true });
    expect(report).toMatchObject({ ok: false, code: 'SRD_ERR_SERVICE_CONFIRM' });
    expect(calls).toEqual([]);
    expect(existsSync(paths.unitFile)).toBe(true);
  });

  it('has nothing to do the second time', async () => {
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    await uninstallService(host, stateDirOf(t.home));
    calls.length = 0;
    const again = await uninstallService(host, stateDirOf(t.home));
    expect(again).toMatchObject({ ok: true, changed: false, summary: 'smart-routerd service is not installed; nothing to do.' });
    expect(again.files.map((f) => f.status)).toEqual(['absent', 'absent']);
    expect(calls).toHaveLength(2);
  });

  it('leaves a unit it did not write in place', async () => {
    writeFileSync(paths.unitFile, '[Service]\nExecStart=/usr/bin/true\n');
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    const report = await uninstallService(host, stateDirOf(t.home));
    expect(report).toMatchObject({ ok: false, code: 'SRD_ERR_SERVICE_FILE_CONFLICT' });
    expect(calls).toEqual([]);
    expect(existsSync(paths.unitFile)).toBe(true);
  });
});
