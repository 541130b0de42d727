// The installer, with a stand-in `openclaw` that records its argv: which OpenClaw commands run,
// in which order, with which config, and what happens when one fails.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { InstallError, installPlugin } from '../../../dist/cli/openclaw/install.js';
import { ROOT } from '../../helpers/daemon.js';

const exec = promisify(execFile);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake `openclaw` CLI: appends its argv to calls.jsonl; exits 1 for `FAIL_ON` (e.g. "config"). */
function fakeOpenclaw(): { dir: string; argv: string[]; calls: () => string[][] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-fake-openclaw-'));
  dirs.push(dir);
  const script = path.join(dir, 'openclaw.mjs');
  writeFileSync(
    script,
    `import { appendFileSync } from 'node:fs';
const args = process.argv.slice(2);
appendFileSync(${JSON.stringify(path.join(dir, 'calls.jsonl'))}, JSON.stringify(args) + '\\n');
if (process.env.FAIL_ON && args[0] === process.env.FAIL_ON) { console.error('boom: ' + args.join(' ')); process.exit(1); }
console.log('ok: ' + args.slice(0, 2).join(' '));
`,
  );
  return {
    dir,
    argv: [process.execPath, script],
    calls: () =>
      existsSync(path.join(dir, 'calls.jsonl'))
        ? readFileSync(path.join(dir, 'calls.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as string[])
        : [],
  };
}

describe('installPlugin', () => {
  it('links the plugin directory, then grants conversation access and sets the config in one batch', async () => {
    const oc = fakeOpenclaw();
    const pluginDir = mkdtempSync(path.join(os.tmpdir(), 'srd-plugin-dir-'));
    dirs.push(pluginDir);
    const { runs } = await installPlugin({
      openclaw: oc.argv,
      stdio: 'pipe',
      yes: true,
      dir: pluginDir,
      config: { url: 'ws://127.0.0.1:18790', flagshipModels: ['a/b'], timeoutMs: undefined },
    });
    const calls = oc.calls();
    expect(calls[0]).toEqual(['plugins', 'install', '--link', pluginDir, '--force', '--accept-capabilities']);
    expect(calls[1]!.slice(0, 3)).toEqual(['config', 'set', '--batch-json']);
    expect(JSON.parse(calls[1]![3]!)).toEqual([
      { path: 'plugins.entries.smart-routerd.hooks.allowConversationAccess', value: true },
      { path: 'plugins.entries.smart-routerd.config.url', value: 'ws://127.0.0.1:18790' },
      { path: 'plugins.entries.smart-routerd.config.flagshipModels', value: ['a/b'] },
    ]);
    expect(runs.map((r) => r.status)).toEqual([0, 0]);
    // The two files OpenClaw needs in a plugin root were written first.
    expect(existsSync(path.join(pluginDir, 'openclaw.plugin.json'))).toBe(true);
    expect(existsSync(path.join(pluginDir, 'package.json'))).toBe(true);
  });

  it("leaves the confirmations to OpenClaw's prompts without --yes", async () => {
    const oc = fakeOpenclaw();
    const pluginDir = mkdtempSync(path.join(os.tmpdir(), 'srd-plugin-dir-'));
    dirs.push(pluginDir);
    await installPlugin({ openclaw: oc.argv, stdio: 'pipe', dir: pluginDir });
    expect(oc.calls()[0]).toEqual(['plugins', 'install', '--link', pluginDir]);
  });

  it('stops at the first failing command with an InstallError naming it and carrying its output', async () => {
    const oc = fakeOpenclaw();
    const pluginDir = mkdtempSync(path.join(os.tmpdir(), 'srd-plugin-dir-'));
    dirs.push(pluginDir);
    process.env.FAIL_ON = 'plugins';
    try {
      const err = await installPlugin({ openclaw: oc.argv, stdio: 'pipe', dir: pluginDir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InstallError);
      expect((err as InstallError).message).toMatch(/^`openclaw plugins install --link .+` failed with exit code 1:\nboom: plugins install/);
      expect(oc.calls()).toHaveLength(1);
    } finally {
      delete process.env.FAIL_ON;
    }
  });

  it('says how to point at OpenClaw when its CLI cannot be run', async () => {
    const pluginDir = mkdtempSync(path.join(os.tmpdir(), 'srd-plugin-dir-'));
    dirs.push(pluginDir);
    await expect(installPlugin({ openclaw: ['/nonexistent/openclaw'], stdio: 'pipe', dir: pluginDir })).rejects.toThrow(
      /cannot run `\/nonexistent\/openclaw` \(ENOENT\); is OpenClaw installed\? Pass --openclaw <command>\./,
    );
  });
});

describe('smart-routerd openclaw install-plugin', () => {
  // The command module as main.ts would register it (COMMANDS.openclaw → registerOpenclaw).
  const runCommand = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    exec(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
      import { Command } from 'commander';
      import { registerOpenclaw } from ${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'openclaw', 'command.js'))};
      const program = new Command('smart-routerd').option('--state-dir <dir>').exitOverride();
      registerOpenclaw(program);
      await program.parseAsync(process.argv.slice(1), { from: 'user' });
    `,
        ...args,
      ],
      { env: { ...process.env, ...env }, cwd: ROOT },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('records the model refs, the URL and state dir from this shell, and reports an unreachable daemon without failing', async () => {
    const oc = fakeOpenclaw();
    const r = await runCommand(
      ['openclaw', 'install-plugin', '--yes', '--openclaw', oc.argv.join(' '), '--flagship', 'f/one', '--lightweight', 'l/one', '--timeout-ms', '80'],
      {
        SMART_ROUTERD_URL: 'ws://127.0.0.1:9',
        SMART_ROUTERD_STATE_DIR: oc.dir,
        SMART_ROUTERD_TOKEN: 'some-token',
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const batch = JSON.parse(oc.calls()[1]![3]!) as Array<{ path: string; value: unknown }>;
    expect(Object.fromEntries(batch.map((b) => [b.path.replace('plugins.entries.smart-routerd.', ''), b.value]))).toEqual({
      'hooks.allowConversationAccess': true,
      'config.url': 'ws://127.0.0.1:9',
      'config.stateDir': oc.dir,
      'config.flagshipModels': ['f/one'],
      'config.lightweightModels': ['l/one'],
      'config.timeoutMs': 80,
    });
    expect(r.stdout).toContain('smart-routerd: plugin "smart-routerd" linked from');
    expect(r.stdout).toContain('Note: SMART_ROUTERD_TOKEN is set here');
    expect(r.stdout).toMatch(/Check: ws:\/\/127\.0\.0\.1:9 gave no decision \(cannot connect to ws:\/\/127\.0\.0\.1:9 \(.+\)\)\./);
  });

  it('exits 1 with one line naming the OpenClaw step that failed', async () => {
    const oc = fakeOpenclaw();
    const r = await runCommand(['openclaw', 'install-plugin', '--yes', '--no-check', '--openclaw', oc.argv.join(' ')], { FAIL_ON: 'config' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('smart-routerd: `openclaw config set` failed with exit code 1');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a --timeout-ms outside 1..10000 before running OpenClaw', async () => {
    const oc = fakeOpenclaw();
    const r = await runCommand(['openclaw', 'install-plugin', '--timeout-ms', '0', '--openclaw', oc.argv.join(' ')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('smart-routerd: --timeout-ms must be an integer from 1 to 10000 (got "0")\n');
    expect(oc.calls()).toEqual([]);
  });

  it('plugin-path prints the plugin directory, complete with its manifest', async () => {
    const r = await runCommand(['openclaw', 'plugin-path']);
    expect(r.stdout.trim()).toBe(path.join(ROOT, 'dist', 'plugin'));
    expect(existsSync(path.join(r.stdout.trim(), 'openclaw.plugin.json'))).toBe(true);
  });
});
