import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectUnit, readTemplate, renderUnit, type ServicePaths, servicePaths, splitUnitWords, UNIT_TEMPLATE } from '../../src/service/index.js';
import { CLI, ROOT } from '../helpers/daemon.js';
import { specFor, stateDirOf } from './fake-host.js';

const HAS_ANALYZE = spawnSync('systemd-analyze', ['--version']).status === 0;
const NO_ANALYZE = 'systemd-analyze is not installed (Debian/Ubuntu: apt-get install -y systemd)';

/** Runs `systemd-analyze verify --user <file>` under a private HOME and XDG_RUNTIME_DIR. */
function verify(home: string, runtime: string, file: string) {
  return spawnSync('systemd-analyze', ['verify', '--user', file], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_LEVEL: 'warning' },
  });
}

function directives(unit: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) {
      const key = m[1]!;
      out[key] ??= [];
      out[key].push(m[2]!);
    }
  }
  return out;
}

describe('the systemd user unit', () => {
  let home: string;
  let runtime: string;
  let paths: ServicePaths;
  const template = readTemplate(ROOT, UNIT_TEMPLATE);

  beforeAll(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'srd-unit-'));
    runtime = mkdtempSync(path.join(os.tmpdir(), 'srd-xdg-'));
    paths = servicePaths({ home, env: { HOME: home }, stateDir: stateDirOf(home) });
    mkdirSync(path.dirname(paths.unitFile), { recursive: true });
  });
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(runtime, { recursive: true, force: true });
  });

  it('passes systemd-analyze verify --user without a single warning', (ctx) => {
    ctx.skip(!HAS_ANALYZE, NO_ANALYZE);
    writeFileSync(paths.unitFile, renderUnit(template, specFor(home), paths));
    const r = verify(home, runtime, paths.unitFile);
    // verify exits 0 even for "Failed to parse …, ignoring" lines, so stderr must be empty too.
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs node on the package entry with start --port and sets the supervision directives', () => {
    const d = directives(renderUnit(template, specFor(home), paths));
    expect(d.ExecStart).toEqual([`${process.execPath} ${CLI} start --port 18999`]);
    expect(d).toMatchObject({
      Type: ['simple'],
      Restart: ['always'],
      RestartSec: ['2'],
      StartLimitIntervalSec: ['60'],
      StartLimitBurst: ['5'],
      RestartPreventExitStatus: ['78'],
      KillMode: ['mixed'],
      TimeoutStopSec: ['15'],
      UMask: ['0077'],
      WantedBy: ['default.target'],
      EnvironmentFile: [`-${paths.envFile}`],
    });
    // The daemon drains for 5 s on SIGTERM (daemon.ts DRAIN_MS); systemd must wait longer before SIGKILL.
    expect(Number(d.TimeoutStopSec![0])).toBeGreaterThan(5);
    expect(d.Environment![0]).toBe(`PATH=${[...new Set([path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'])].join(':')}`);
    expect(d.Environment).toContain(`SMART_ROUTERD_STATE_DIR=${stateDirOf(home)}`);
  });

  it('quotes values with spaces and escapes %, $, quotes and backslashes so systemd reads back the same values', (ctx) => {
    // systemd refuses quotes and backslashes in the executable path itself (next test).
    const weird = path.join(home, 'node dir 100% $HOME ;');
    mkdirSync(weird, { recursive: true });
    symlinkSync(process.execPath, path.join(weird, 'node'));
    const stateDir = path.join(home, 'state %h dir');
    const spec = specFor(home, { nodePath: path.join(weird, 'node'), environment: { SMART_ROUTERD_STATE_DIR: stateDir, SMART_ROUTERD_BIND: '127.0.0.1' } });
    const weirdPaths = servicePaths({ home, env: { HOME: home }, stateDir });
    const unit = renderUnit(template, spec, weirdPaths);
    expect(inspectUnit(unit)).toEqual({
      programArguments: [path.join(weird, 'node'), CLI, 'start', '--port', '18999'],
      environment: { PATH: expect.stringContaining(`${weird}:`), SMART_ROUTERD_BIND: '127.0.0.1', SMART_ROUTERD_STATE_DIR: stateDir },
    });
    expect(unit).toContain(`Environment="SMART_ROUTERD_STATE_DIR=${home}/state %%h dir"\n`);
    expect(unit).toContain(`EnvironmentFile=-${home}/state %%h dir/service.env\n`);
    ctx.skip(!HAS_ANALYZE, NO_ANALYZE);
    // verify resolves ExecStart's binary: a mis-quoted path would be "not executable".
    const file = path.join(path.dirname(paths.unitFile), 'smart-routerd-weird.service');
    writeFileSync(file, unit);
    const r = verify(home, runtime, file);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('refuses a node path with a quote or backslash, which systemd will not execute', () => {
    expect(() => renderUnit(template, specFor(home, { nodePath: `/opt/it's/node` }), paths)).toThrow(
      `systemd cannot run "/opt/it's/node": the executable path must be absolute and free of quotes and backslashes; pass --node <such a path>`,
    );
  });

  it('round-trips every word through the quoting systemd uses', () => {
    const words = ['plain', 'with space', '100%', '$HOME', 'a"b', "it's", 'back\\slash', ';', ''];
    const line = renderUnit(template, specFor(home, { nodePath: '/opt/n o/node' }), paths)
      .split('\n')
      .find((l) => l.startsWith('ExecStart='))!;
    expect(splitUnitWords(line.slice('ExecStart='.length), { dollars: true })).toEqual(['/opt/n o/node', CLI, 'start', '--port', '18999']);
    for (const w of words) {
      const unit = renderUnit(template, specFor(home, { environment: { SMART_ROUTERD_X: w } }), paths);
      expect(inspectUnit(unit).environment.SMART_ROUTERD_X, JSON.stringify(w)).toBe(w);
    }
  });

  it('refuses a value with a newline, which would inject a directive', () => {
    expect(() => renderUnit(template, specFor(home, { environment: { SMART_ROUTERD_X: 'a\nExecStartPre=/bin/rm -rf ~' } }), paths)).toThrow(
      'environment variable SMART_ROUTERD_X contains a control character (newline, tab, ...), which a service file cannot hold: "a\\nExecStartPre=/bin/rm -rf ~"',
    );
  });

  it('never contains the token: the unit only names the EnvironmentFile', () => {
    const unit = renderUnit(template, specFor(home, { token: 'tok-should-not-appear-01' }), paths);
    expect(unit).not.toContain('tok-should-not-appear-01');
    expect(unit).not.toContain('SMART_ROUTERD_TOKEN');
  });
});
