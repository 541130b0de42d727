import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlService, installService, type ServicePaths, servicePaths, serviceStatus, showLogs } from '../../src/service/index.js';
import { FakeLaunchd, FakeSystemd, fakeHost, fakeProbe, specFor, stateDirOf, tempHome } from './fake-host.js';

const UNIT = 'smart-routerd.service';
const SHOW = `systemctl --user show ${UNIT} --property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,Result,ExecMainStatus`;
const VERSION = 'systemctl --user show --property=Version';

describe('service start|stop|restart|status on a systemd host', () => {
  let t: ReturnType<typeof tempHome>;
  let paths: ServicePaths;
  let systemd: FakeSystemd;

  beforeEach(async () => {
    t = tempHome();
    paths = servicePaths({ home: t.home, env: { HOME: t.home }, stateDir: stateDirOf(t.home) });
    systemd = new FakeSystemd(paths.unitFile);
    const { host } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    await installService(host, specFor(t.home), stateDirOf(t.home));
  });
  afterEach(() => t.cleanup());

  it('restarts with reset-failed then restart and waits for /readyz on the installed port', async () => {
    const probe = fakeProbe();
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a), probe);
    const report = await controlService(host, stateDirOf(t.home), 'restart');
    expect(report).toMatchObject({ ok: true, action: 'restart', ready: true, summary: 'smart-routerd service restarted and ready.' });
    expect(calls).toEqual([VERSION, SHOW, `systemctl --user reset-failed ${UNIT}`, `systemctl --user restart ${UNIT}`, SHOW]);
    expect(probe.urls).toEqual(['http://127.0.0.1:18999/readyz']);
  });

  it('stops with systemctl --user stop and starts again with reset-failed then start', async () => {
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    const stopped = await controlService(host, stateDirOf(t.home), 'stop');
    expect(stopped).toMatchObject({ ok: true, summary: 'smart-routerd service stopped.' });
    expect(calls).toEqual([VERSION, SHOW, `systemctl --user stop ${UNIT}`, SHOW]);
    expect(systemd.active).toBe(false);
    calls.length = 0;
    const started = await controlService(host, stateDirOf(t.home), 'start');
    expect(started).toMatchObject({ ok: true, summary: 'smart-routerd service started and ready.' });
    expect(calls).toEqual([VERSION, SHOW, `systemctl --user reset-failed ${UNIT}`, `systemctl --user start ${UNIT}`, SHOW]);
  });

  it('reports status from systemctl show plus one /readyz probe', async () => {
    const { host, calls } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a));
    const report = await serviceStatus(host, stateDirOf(t.home));
    expect(report).toMatchObject({
      ok: true,
      ready: true,
      url: 'http://127.0.0.1:18999/readyz',
      state: { loaded: true, active: true, enabled: true, pid: 4242, restarts: 0 },
    });
    expect(report.summary).toBe(`smart-routerd service (${paths.unitFile}): active (running), enabled, pid 4242, 0 restarts`);
    expect(calls).toEqual([VERSION, SHOW]);
  });

  it('status is not ok for a failed service and names exit status 78', async () => {
    Object.assign(systemd, { active: false, exitStatus: 78 });
    const { host } = fakeHost(t.home, 'linux', (c, a) => systemd.run(c, a), fakeProbe({ ready: false }));
    const report = await serviceStatus(host, stateDirOf(t.home));
    expect(report).toMatchObject({ ok: false, ready: false, error: 'not running: failed (exit-code, exit status 78 = invalid configuration)' });
  });

  it('tells the user to install first when no unit exists', async () => {
    const other = tempHome();
    try {
      const { host, calls } = fakeHost(other.home, 'linux', (c, a) => systemd.run(c, a));
      const report = await controlService(host, stateDirOf(other.home), 'start');
      expect(report).toMatchObject({ ok: false, code: 'SRD_ERR_SERVICE_NOT_INSTALLED' });
      expect(report.error).toMatch(
        /^smart-routerd is not installed as a service \(.*smart-routerd\.service does not exist\): run smart-routerd install, or smart-routerd start to run it in the foreground$/,
      );
      expect(calls).toEqual([]);
    } finally {
      other.cleanup();
    }
  });

  it('shows logs with journalctl --user -u smart-routerd.service', async () => {
    const seen: Array<[string, readonly string[], unknown]> = [];
    const { host } = fakeHost(t.home, 'linux', () => ({ code: 0, stdout: '', stderr: '' }));
    host.run = (cmd, args, options) => {
      seen.push([cmd, args, options]);
      return { code: 0, stdout: '', stderr: '' };
    };
    await showLogs(host, stateDirOf(t.home), { lines: 50, follow: true });
    expect(seen).toEqual([['journalctl', ['--user', '-u', UNIT, '-n', '50', '--no-pager', '-o', 'cat', '-f'], { inherit: true }]]);
  });
});

describe('service start|stop|restart on a launchd host', () => {
  let t: ReturnType<typeof tempHome>;
  let launchd: FakeLaunchd;
  const target = 'gui/501/ai.smart-routerd';

  beforeEach(async () => {
    t = tempHome();
    launchd = new FakeLaunchd();
    const { host } = fakeHost(t.home, 'darwin', (c, a) => launchd.run(c, a));
    await installService(host, specFor(t.home), stateDirOf(t.home));
  });
  afterEach(() => t.cleanup());

  it('restarts with launchctl kickstart -k and stops with launchctl bootout', async () => {
    const { host, calls } = fakeHost(t.home, 'darwin', (c, a) => launchd.run(c, a));
    expect((await controlService(host, stateDirOf(t.home), 'restart')).ok).toBe(true);
    expect(calls).toEqual([`launchctl print ${target}`, `launchctl kickstart -k ${target}`, `launchctl print ${target}`]);
    calls.length = 0;
    expect((await controlService(host, stateDirOf(t.home), 'stop')).ok).toBe(true);
    expect(calls).toEqual([`launchctl print ${target}`, `launchctl bootout ${target}`, `launchctl print ${target}`]);
    calls.length = 0;
    expect((await controlService(host, stateDirOf(t.home), 'start')).ok).toBe(true);
    const plist = servicePaths({ home: t.home, env: {}, stateDir: stateDirOf(t.home) }).plistFile;
    expect(calls).toEqual([`launchctl print ${target}`, `launchctl enable ${target}`, `launchctl bootstrap gui/501 ${plist}`, `launchctl print ${target}`]);
  });

  it('shows logs with tail of ~/Library/Logs/smart-routerd/smart-routerd.log', async () => {
    const seen: string[][] = [];
    const { host } = fakeHost(t.home, 'darwin', () => ({ code: 0, stdout: '', stderr: '' }));
    host.run = (cmd, args) => {
      seen.push([cmd, ...args]);
      return { code: 0, stdout: '', stderr: '' };
    };
    await showLogs(host, stateDirOf(t.home), { lines: 100, follow: false });
    expect(seen).toEqual([['tail', '-n', '100', `${t.home}/Library/Logs/smart-routerd/smart-routerd.log`]]);
  });
});
