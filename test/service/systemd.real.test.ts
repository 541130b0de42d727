import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../dist/gateway/index.js';
import { ROOT } from '../helpers/daemon.js';

/**
 * A private systemd user manager (`systemd --user`) with its own HOME and XDG_RUNTIME_DIR, so a
 * real install → kill -9 → restart → uninstall runs without touching the machine's services.
 * systemd ≥ 246 refuses `--user` unless /run/systemd/system exists ("the system has not been
 * booted with systemd"); on a box without systemd as PID 1 (containers, this CI) the test, as
 * root, fakes that directory inside a private mount namespace (unshare -m + tmpfs on /run/systemd).
 */
interface UserManager {
  env: NodeJS.ProcessEnv;
  home: string;
  proc?: ChildProcess;
  output: string[];
  /** Why the real test cannot run here; undefined when the manager is up. */
  skip?: string;
}

const SYSTEMD = ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'].find((p) => existsSync(p));
const UNIT = 'smart-routerd.service';

function systemctl(m: UserManager, ...args: string[]) {
  return spawnSync('systemctl', ['--user', ...args], { encoding: 'utf8', env: m.env });
}

function show(m: UserManager, ...props: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of systemctl(m, 'show', UNIT, ...props.map((p) => `--property=${p}`)).stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startUserManager(): Promise<UserManager> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'srd-real-home-'));
  const runtime = mkdtempSync(path.join(os.tmpdir(), 'srd-real-xdg-'));
  chmodSync(runtime, 0o700);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtime, USER: os.userInfo().username, LANG: 'C.UTF-8' };
  const m: UserManager = { env, home, output: [] };
  if (process.platform !== 'linux') return { ...m, skip: 'needs Linux with systemd' };
  if (!SYSTEMD || spawnSync('systemctl', ['--version']).status !== 0)
    return { ...m, skip: 'systemd is not installed (Debian/Ubuntu: apt-get install -y systemd)' };
  const booted = existsSync('/run/systemd/system');
  let proc: ChildProcess;
  if (booted) {
    proc = spawn(SYSTEMD, ['--user'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } else if (process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0) {
    const script = '[ -d /run/systemd ] || mkdir -p /run/systemd; mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && exec "$0" --user';
    proc = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, SYSTEMD], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } else {
    return { ...m, skip: 'systemd is not PID 1 here and faking /run/systemd/system needs root (unshare -m); see docs/operations.md "Testing"' };
  }
  proc.stdout!.on('data', (d: Buffer) => m.output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => m.output.push(d.toString()));
  m.proc = proc;
  try {
    await until(
      'the user manager',
      () => (systemctl(m, 'show', '--property=Version').status === 0 ? true : proc.exitCode !== null ? false : undefined),
      15_000,
    );
  } catch {
    // fall through to the check below
  }
  if (systemctl(m, 'show', '--property=Version').status !== 0) {
    await stopUserManager(m);
    return { ...m, skip: `systemd --user did not come up: ${m.output.join('').trim().slice(0, 300) || `exit ${proc.exitCode}`}` };
  }
  return m;
}

async function stopUserManager(m: UserManager): Promise<void> {
  const proc = m.proc;
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    systemctl(m, 'stop', UNIT);
    systemctl(m, 'exit');
    const exited = new Promise((r) => proc.once('exit', r));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(m.home, { recursive: true, force: true });
  rmSync(m.env.XDG_RUNTIME_DIR!, { recursive: true, force: true });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

async function readyz(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
  } catch {
    return 0;
  }
}

describe('a real systemd user manager', () => {
  let m: UserManager;
  beforeAll(async () => {
    m = await startUserManager();
  }, 30_000);
  afterAll(async () => {
    await stopUserManager(m);
  }, 30_000);

  it('installs, survives kill -9 by restarting, reports status, and uninstalls', async (ctx) => {
    ctx.skip(m.skip !== undefined, m.skip);
    const port = await freePort();
    // Paths with a space, %, $ and a quote: what systemd actually executes proves the quoting.
    const odd = path.join(m.home, `odd dir 100% $HOME 'q'`);
    mkdirSync(path.join(odd, 'bin'), { recursive: true });
    symlinkSync(ROOT, path.join(odd, 'pkg'));
    const nodeDir = path.join(m.home, 'node 100% $HOME');
    mkdirSync(nodeDir);
    symlinkSync(process.execPath, path.join(nodeDir, 'node'));
    const stateDir = path.join(m.home, 'state %h dir');
    const token = 'tok with space %h $HOME "dq" \\back';
    // --preserve-symlinks-main keeps the odd package path as the package root the unit names.
    const run = (...args: string[]) => {
      const r = spawnSync(
        process.execPath,
        ['--preserve-symlinks', '--preserve-symlinks-main', path.join(odd, 'pkg', 'dist', 'cli', 'main.js'), '--state-dir', stateDir, ...args],
        { encoding: 'utf8', env: m.env },
      );
      return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) as Record<string, unknown> };
    };

    const installed = run('install', '--json', '--port', String(port), '--token', token, '--node', path.join(nodeDir, 'node'));
    expect(installed.json(), installed.out + installed.err).toMatchObject({ action: 'install', ok: true, ready: true, manager: 'systemd' });
    const unitFile = path.join(m.home, '.config', 'systemd', 'user', UNIT);
    expect(readFileSync(unitFile, 'utf8')).not.toContain('tok with space');

    const first = show(m, 'MainPID', 'ActiveState', 'NRestarts', 'UnitFileState');
    expect(first).toMatchObject({ ActiveState: 'active', NRestarts: '0', UnitFileState: 'enabled' });
    const pid = Number(first.MainPID);
    // The exact argv systemd ran, from the kernel: every odd character arrived intact.
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, -1)).toEqual([
      path.join(odd, 'pkg', 'dist', 'cli', 'main.js'),
      'start',
      '--port',
      String(port),
    ]);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`SMART_ROUTERD_STATE_DIR=${stateDir}`);
    expect(environ).toContain(`SMART_ROUTERD_TOKEN=${token}`);
    // …and the daemon accepts exactly that token.
    const client = await GatewayClient.connect(`ws://127.0.0.1:${port}`, { token });
    await client.close();

    const again = run('install', '--json', '--port', String(port), '--node', path.join(nodeDir, 'node'));
    expect(again.json()).toMatchObject({ ok: true, changed: false });

    process.kill(pid, 'SIGKILL');
    const restarted = await until('systemd to restart the daemon', () => {
      const s = show(m, 'MainPID', 'ActiveState', 'NRestarts');
      return s.ActiveState === 'active' && Number(s.MainPID) > 0 && Number(s.MainPID) !== pid ? s : undefined;
    });
    expect(restarted.NRestarts).toBe('1');
    await until('/readyz after the restart', async () => ((await readyz(port)) === 200 ? true : undefined));

    const status = run('service', 'status', '--json');
    expect(status.code).toBe(0);
    expect(status.json()).toMatchObject({ ok: true, ready: true, state: { active: true, enabled: true, restarts: 1 } });

    const removed = run('uninstall', '--json');
    expect(removed.json(), removed.out + removed.err).toMatchObject({ action: 'uninstall', ok: true });
    expect(existsSync(unitFile)).toBe(false);
    expect(existsSync(stateDir)).toBe(true);
    expect(show(m, 'LoadState').LoadState).toBe('not-found');
    expect(await readyz(port)).toBe(0);
  }, 90_000);
});
