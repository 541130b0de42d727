import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import plist from 'plist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installService, REQUIRED_PLIST_KEYS, type ServicePaths, servicePaths, uninstallService } from '../../src/service/index.js';
import { CLI } from '../helpers/daemon.js';
import { FakeLaunchd, fakeHost, specFor, stateDirOf, tempHome } from './fake-host.js';

const TOKEN = 'tok-9a8b7c6d5e4f3a2b';
const TARGET = 'gui/501/ai.smart-routerd';

describe('install on a launchd host', () => {
  let t: ReturnType<typeof tempHome>;
  let paths: ServicePaths;
  let launchd: FakeLaunchd;

  beforeEach(() => {
    t = tempHome();
    paths = servicePaths({ home: t.home, env: { HOME: t.home }, stateDir: stateDirOf(t.home) });
    launchd = new FakeLaunchd();
  });
  afterEach(() => t.cleanup());

  it('writes a LaunchAgent plist that parses as a property list with every required key and value', async () => {
    const { host } = fakeHost(t.home, 'darwin', (c, a) => launchd.run(c, a));
    const report = await installService(host, specFor(t.home, { token: TOKEN }), stateDirOf(t.home));
    expect(report.ok, report.error).toBe(true);
    expect(paths.plistFile).toBe(`${t.home}/Library/LaunchAgents/ai.smart-routerd.plist`);
    const parsed = plist.parse(readFileSync(paths.plistFile, 'utf8')) as Record<string, unknown>;
    for (const key of REQUIRED_PLIST_KEYS) expect(parsed, key).toHaveProperty(key);
    expect(parsed).toMatchObject({
      Label: 'ai.smart-routerd',
      RunAtLoad: true,
      KeepAlive: true,
      ThrottleInterval: 10,
      ExitTimeOut: 15,
      Umask: 63,
      StandardOutPath: `${t.home}/Library/Logs/smart-routerd/smart-routerd.log`,
      StandardErrorPath: `${t.home}/Library/Logs/smart-routerd/smart-routerd.log`,
      ProgramArguments: ['/bin/sh', paths.wrapperFile, paths.envFile, process.execPath, CLI, 'start', '--port', '18999'],
      EnvironmentVariables: {
        // node's own directory first, then Homebrew's and the system's (deduplicated).
        PATH: [...new Set([path.dirname(process.execPath), '/opt/homebrew/bin', '/usr/local/bin', '/usr/bin', '/bin'])].join(':'),
        SMART_ROUTERD_LOG_FORMAT: 'json',
        SMART_ROUTERD_STATE_DIR: stateDirOf(t.home),
      },
    });
    expect(parsed.Comment).toMatch(/^smart-routerd:managed /);
    expect(statSync(paths.logDir).mode & 0o777).toBe(0o700);
  });

  it('keeps the token out of the plist: it lives in the 0600 env file the 0700 wrapper exports', async () => {
    const { host } = fakeHost(t.home, 'darwin', (c, a) => launchd.run(c, a));
    await installService(host, specFor(t.home, { token: TOKEN }), stateDirOf(t.home));
    expect(readFileSync(paths.plistFile, 'utf8')).not.toContain(TOKEN);
    expect(statSync(paths.envFile).mode & 0o777).toBe(0o600);
    expect(statSync(paths.wrapperFile).mode & 0o777).toBe(0o700);
    // The wrapper really exports the env file and execs the command with the same argv.
    const run = spawnSync(
      '/bin/sh',
      [paths.wrapperFile, paths.envFile, process.execPath, '-e', 'console.log(process.env.SMART_ROUTERD_TOKEN, process.argv.length)'],
      {
        encoding: 'utf8',
        env: { PATH: '/usr/bin:/bin' },
      },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${TOKEN} 1\n`);
  });

  it('loads it with launchctl enable and bootstrap, and a second run changes nothing', async () => {
    const { host, calls } = fakeHost(t.home, 'darwin', (c, a) => launchd.run(c, a));
    const report = await installService(host, specFor(t.home), stateDirOf(t.home));
    expect(report.ok, report.error).toBe(true);
    expect(calls).toEqual([`launchctl print ${TARGET}`, `launchctl enable ${TARGET}`, `launchctl bootstrap gui/501 ${paths.plistFile}`]);
    calls.length = 0;
    const again = await installService(host, specFor(t.home), stateDirOf(t.home));
    expect(again).toMatchObject({ ok: true, changed: false, summary: 'smart-routerd is already installed and running; nothing changed.' });
    expect(calls).toEqual([`launchctl print ${TARGET}`]);
  });

  it('boots a changed job out and in again, since kickstart does not re-read the plist', async () => {
    const { host, calls } = fakeHost(t.home, 'darwin', (c, a) => launchd.run(c, a));
    await installService(host, specFor(t.home), stateDirOf(t.home));
    calls.length = 0;
    const report = await installService(host, specFor(t.home, { port: 19002 }), stateDirOf(t.home));
    expect(report.ok, report.error).toBe(true);
    expect(calls).toEqual([
      `launchctl print ${TARGET}`,
      `launchctl bootout ${TARGET}`,
      `launchctl enable ${TARGET}`,
      `launchctl bootstrap gui/501 ${paths.plistFile}`,
    ]);
  });

  it('uninstall boots the job out and removes the plist, env file and wrapper, keeping state and logs', async () => {
    const { host, calls } = fakeHost(t.home, 'darwin', (c, a) => launchd.run(c, a));
    await installService(host, specFor(t.home, { token: TOKEN }), stateDirOf(t.home));
    calls.length = 0;
    const report = await uninstallService(host, stateDirOf(t.home));
    expect(report.ok, report.error).toBe(true);
    expect(calls).toEqual([`launchctl print ${TARGET}`, `launchctl bootout ${TARGET}`]);
    expect(report.files.map((f) => [f.role, f.status])).toEqual([
      ['definition', 'removed'],
      ['env', 'removed'],
      ['wrapper', 'removed'],
    ]);
    expect(existsSync(paths.plistFile)).toBe(false);
    expect(existsSync(stateDirOf(t.home))).toBe(true);
    expect(existsSync(paths.logDir)).toBe(true);
  });

  it('uninstall --purge also deletes the state dir and the log dir', async () => {
    const { host } = fakeHost(t.home, 'darwin', (c, a) => launchd.run(c, a));
    await installService(host, specFor(t.home), stateDirOf(t.home));
    const report = await uninstallService(host, stateDirOf(t.home), { purge: true });
    expect(report.ok, report.error).toBe(true);
    expect(report.directories).toEqual([stateDirOf(t.home), paths.logDir]);
    expect(existsSync(stateDirOf(t.home))).toBe(false);
    expect(existsSync(paths.logDir)).toBe(false);
  });
});
