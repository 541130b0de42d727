import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installService, PLIST_TEMPLATE, readTemplate, renderPlist, renderUnit, servicePaths, UNIT_TEMPLATE } from '../../src/service/index.js';
import { CLI, ROOT } from '../helpers/daemon.js';
import { FakeLaunchd, fakeHost, specFor, stateDirOf, tempHome } from './fake-host.js';

// Drift guards (STYLE §20): the files install writes are the templates, rendered; the docs quote them.
const FIX = 'edit systemd/smart-routerd.service or launchd/ai.smart-routerd.plist and src/service/, then run `npx tsc -p tsconfig.json`';
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('service templates', () => {
  let t: ReturnType<typeof tempHome>;
  beforeAll(() => {
    t = tempHome();
  });
  afterAll(() => t.cleanup());

  it('`smart-routerd install --dry-run` prints exactly the unit rendered from systemd/smart-routerd.service', (ctx) => {
    ctx.skip(process.platform !== 'linux', 'the CLI renders the systemd unit only on Linux (the plist case is the next test)');
    const r = spawnSync(process.execPath, [CLI, 'install', '--dry-run', '--json', '--port', '18999'], {
      encoding: 'utf8',
      env: { HOME: t.home, PATH: process.env.PATH },
    });
    expect(r.stderr).toBe('');
    const printed = (JSON.parse(r.stdout) as { files: Array<{ role: string; content: string }> }).files.find((f) => f.role === 'definition')!.content;
    const paths = servicePaths({ home: t.home, env: { HOME: t.home }, stateDir: stateDirOf(t.home) });
    const rendered = renderUnit(readTemplate(ROOT, UNIT_TEMPLATE), specFor(t.home, { version: VERSION }), paths);
    expect(printed, `dist/ and ${UNIT_TEMPLATE} disagree: ${FIX}`).toBe(rendered);
    const text = spawnSync(process.execPath, [CLI, 'install', '--dry-run', '--port', '18999'], {
      encoding: 'utf8',
      env: { HOME: t.home, PATH: process.env.PATH },
    });
    expect(text.stdout, 'the text output of install --dry-run must show the unit verbatim').toContain(rendered);
  });

  it('install --dry-run on macOS shows exactly the plist rendered from launchd/ai.smart-routerd.plist', async () => {
    const { host } = fakeHost(t.home, 'darwin', (c, a) => new FakeLaunchd().run(c, a));
    const report = await installService(host, specFor(t.home), stateDirOf(t.home), { dryRun: true });
    const paths = servicePaths({ home: t.home, env: { HOME: t.home }, stateDir: stateDirOf(t.home) });
    expect(report.files.find((f) => f.role === 'definition')!.content, FIX).toBe(renderPlist(readTemplate(ROOT, PLIST_TEMPLATE), specFor(t.home), paths));
  });

  it('fills every placeholder of both templates', () => {
    const paths = servicePaths({ home: t.home, env: { HOME: t.home }, stateDir: stateDirOf(t.home) });
    for (const [name, placeholders] of [
      [UNIT_TEMPLATE, ['VERSION', 'EXEC_START', 'ENVIRONMENT', 'ENVIRONMENT_FILE']],
      [PLIST_TEMPLATE, ['VERSION', 'PROGRAM_ARGUMENTS', 'ENVIRONMENT_VARIABLES', 'LOG_FILE']],
    ] as const) {
      const template = readTemplate(ROOT, name);
      expect([...new Set([...template.matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1]))].sort(), `${name}: ${FIX}`).toEqual([...placeholders].sort());
      const out = name === UNIT_TEMPLATE ? renderUnit(template, specFor(t.home), paths) : renderPlist(template, specFor(t.home), paths);
      expect(out).not.toContain('{{');
    }
  });

  it('docs/operations.md quotes the supervision directives exactly as the unit template sets them', () => {
    const docs = readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
    const template = readTemplate(ROOT, UNIT_TEMPLATE);
    const keys = [
      'Type',
      'Restart',
      'RestartSec',
      'StartLimitIntervalSec',
      'StartLimitBurst',
      'RestartPreventExitStatus',
      'KillMode',
      'TimeoutStopSec',
      'UMask',
      'WantedBy',
    ];
    const missing = keys.map((k) => new RegExp(`^${k}=.*$`, 'm').exec(template)![0]).filter((line) => !docs.includes(`\`${line}\``));
    expect(missing, `docs/operations.md must quote these lines of ${UNIT_TEMPLATE} in backticks`).toEqual([]);
    const plistValues = ['ThrottleInterval', 'ExitTimeOut', 'Umask'].map(
      (k) => `${k}=${new RegExp(`<key>${k}</key>\\s*<integer>(\\d+)</integer>`).exec(readTemplate(ROOT, PLIST_TEMPLATE))![1]}`,
    );
    expect(
      plistValues.filter((kv) => !docs.includes(`\`${kv}\``)),
      `docs/operations.md must quote these ${PLIST_TEMPLATE} values`,
    ).toEqual([]);
  });
});
