import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, chownSync, constants, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

// Private PostgreSQL and Redis servers for integration tests (issue 20: "a restart of PostgreSQL or
// Redis loses no acknowledged correction or ledger row"). Each server runs Debian's binaries on
// loopback with a throw-away data dir under os.tmpdir(), so a test can stop it gracefully, crash it
// (SIGKILL) and start it again on the same port and data dir.

/** What to install when the binaries are missing. */
export const CLUSTER_SERVERS_HINT = "Debian's `postgresql` and `redis-server` packages (apt-get install postgresql redis-server)";

/** How long startPostgres/start() waits for `SELECT 1`. */
const PG_READY_MS = 20_000;
/** How long startRedis/start() waits for `+PONG`. */
const REDIS_READY_MS = 10_000;
/** How long stop() waits for a graceful exit before it kills the server and throws. */
const STOP_MS = 20_000;
/** How much server output log() keeps. */
const LOG_CHARS = 64 * 1024;

/** True if `file` exists and is executable. */
function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH, or null. */
function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** True if `dir` holds executable `initdb` and `postgres`. */
function hasPgServer(dir: string): boolean {
  return isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'postgres'));
}

let pgBinDirCache: string | null | undefined;

/**
 * The directory with the PostgreSQL server binaries: Debian's `/usr/lib/postgresql/<major>/bin`
 * for the newest major that has both `initdb` and `postgres`, else `pg_config --bindir` if that
 * directory has them, else null. Memoised.
 */
export function postgresBinDir(): string | null {
  if (pgBinDirCache !== undefined) return pgBinDirCache;
  pgBinDirCache = null;
  let majors: string[] = [];
  try {
    majors = readdirSync('/usr/lib/postgresql').filter((m) => /^\d+(\.\d+)?$/.test(m));
  } catch {
    // no Debian layout
  }
  majors.sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const dir = path.join('/usr/lib/postgresql', major, 'bin');
    if (hasPgServer(dir)) {
      pgBinDirCache = dir;
      return dir;
    }
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dir && hasPgServer(dir)) pgBinDirCache = dir;
  } catch {
    // no pg_config
  }
  return pgBinDirCache;
}

/** `redis-server` on PATH, else /usr/bin/redis-server if executable, else null. */
export function redisServerBinary(): string | null {
  return onPath('redis-server') ?? (isExecutable('/usr/bin/redis-server') ? '/usr/bin/redis-server' : null);
}

/** True when this process runs as root (PostgreSQL then has to run as the `postgres` OS user). */
function isRoot(): boolean {
  return process.getuid?.() === 0;
}

let postgresUserCache: { uid: number; gid: number } | null | undefined;

/** uid/gid of the `postgres` OS user (from `id -u/-g postgres`), or null if there is none. */
function postgresUser(): { uid: number; gid: number } | null {
  if (postgresUserCache !== undefined) return postgresUserCache;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const uid = id('-u');
    const gid = id('-g');
    postgresUserCache = Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    postgresUserCache = null;
  }
  return postgresUserCache;
}

/**
 * Whether startPostgres and startRedis can run here; `missing` names what is not installed
 * (see CLUSTER_SERVERS_HINT). As root this includes the `postgres` OS user, which the Debian
 * package creates and PostgreSQL has to run as.
 */
export function clusterServersAvailable(): { ok: boolean; missing: string[] } {
  const missing: string[] = [];
  if (postgresBinDir() === null) missing.push('PostgreSQL server binaries (initdb, postgres)');
  if (isRoot() && postgresUser() === null) missing.push('the `postgres` OS user (PostgreSQL refuses to run as root)');
  if (redisServerBinary() === null) missing.push('redis-server');
  return { ok: missing.length === 0, missing };
}

/** A loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping

/** Kill functions of every live server process and temp dirs not yet destroyed, for the exit safety net. */
const liveKills = new Set<() => void>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Registers (once) the process 'exit' handler that SIGKILLs every server still running and removes its temp dir. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const kill of liveKills) {
      try {
        kill();
      } catch {
        // already gone
      }
    }
    for (const dir of liveDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

/** Bounded output buffer behind log(). */
class OutputLog {
  private text = '';
  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > LOG_CHARS) this.text = this.text.slice(-LOG_CHARS);
  }
  toString(): string {
    return this.text;
  }
}

/** A spawned server process with its exit promise. */
interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  kill: () => void;
}

/** True while `child` has not exited. */
function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Spawns `file args` with stdout/stderr into `log`; `uid`/`gid` drop privileges when set. */
function spawnLogged(file: string, args: string[], log: OutputLog, opts: { cwd: string; user: { uid: number; gid: number } | null }): Running {
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: { ...process.env, LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => log.append(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => log.append(d));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      log.append(`--- ${path.basename(file)} (pid ${child.pid}) exited: ${signal ?? `code ${code}`} ---\n`);
      resolve();
    });
    child.once('error', (err) => {
      log.append(`--- ${path.basename(file)} failed to spawn: ${err.message} ---\n`);
      resolve();
    });
  });
  const kill = () => {
    if (alive(child)) child.kill('SIGKILL');
  };
  return { child, exited, kill };
}

/** Runs `file args` to completion, throwing with its output on a non-zero exit. */
async function runToCompletion(file: string, args: string[], log: OutputLog, opts: { cwd: string; user: { uid: number; gid: number } | null }): Promise<void> {
  const run = spawnLogged(file, args, log, opts);
  liveKills.add(run.kill);
  await run.exited;
  liveKills.delete(run.kill);
  const status = run.child.signalCode ?? `exit ${run.child.exitCode}`;
  if (run.child.exitCode !== 0) throw new Error(`${path.basename(file)} ${args.join(' ')} failed (${status}):\n${log}`);
}

/** Sleeps `ms`. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends `signal`, waits up to STOP_MS for the exit; if the process is still there, SIGKILLs it and
 * throws (a graceful stop that does not finish is a finding, not something to hide).
 */
async function signalAndWait(run: Running, signal: NodeJS.Signals, what: string, log: OutputLog): Promise<void> {
  if (!alive(run.child)) return;
  run.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([run.exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_MS)))]);
  clearTimeout(timer);
  if (timedOut) {
    run.child.kill('SIGKILL');
    await run.exited;
    throw new Error(`${what} did not exit within ${STOP_MS / 1000} s of ${signal}; killed it:\n${log.toString().slice(-4000)}`);
  }
}

/** Linux: pids whose parent is `pid` (from /proc/<n>/stat); empty where there is no /proc. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat?.ppid === pid) out.push(Number(entry));
  }
  return out;
}

/** State letter and parent pid from /proc/<pid>/stat, or null if the process is gone. */
function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ..."; comm may contain spaces and parentheses, so split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

/** Waits (up to `ms`) until none of `pids` is running; a zombie counts as gone (nobody may reap it). */
async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = pids.filter((pid) => {
      const stat = procStat(pid);
      return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
    });
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** How PgServer.stop ends the server. */
export type PgStopSignal = 'SIGTERM' | 'SIGKILL' | 'fast';

/** A private PostgreSQL server (see startPostgres). */
export interface PgServer {
  /** `postgres://srd@127.0.0.1:<port>/postgres` (trust auth, superuser `srd`). */
  url: string;
  port: number;
  /** The cluster's data directory (PGDATA). */
  dataDir: string;
  /** Creates an empty database (random `srd_test_…` name if omitted) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /**
   * Stops the server and waits for it to exit: 'fast' (default) = SIGINT fast shutdown,
   * 'SIGTERM' = smart shutdown (waits for clients to disconnect), 'SIGKILL' = crash: the
   * postmaster and all its backends and auxiliary processes are killed at once, so the next
   * start() runs crash recovery from the WAL. No-op if not running.
   */
  stop(signal?: PgStopSignal): Promise<void>;
  /** Starts the server again on the same port and data dir and waits for `SELECT 1`. */
  start(): Promise<void>;
  /** stop('fast') then start(). */
  restart(): Promise<void>;
  /** Stops the server (fast, SIGKILL if that fails) and removes its temp dir. */
  destroy(): Promise<void>;
  /** The last server output (initdb, postgres), with a line per process exit. */
  log(): string;
}

/** Polls `SELECT 1` on `url` until it succeeds, the process exits, or PG_READY_MS passes. */
async function waitForPostgres(url: string, run: Running, log: OutputLog): Promise<void> {
  const deadline = Date.now() + PG_READY_MS;
  let last: unknown;
  for (;;) {
    if (!alive(run.child)) throw new Error(`postgres exited during startup:\n${log}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {}); // the server may go away under an idle client
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      last = err; // not listening yet, or "the database system is starting up"
    } finally {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline) throw new Error(`postgres did not answer SELECT 1 within ${PG_READY_MS / 1000} s (last error: ${String(last)}):\n${log}`);
    await sleep(100);
  }
}

/**
 * initdb's a throw-away cluster under os.tmpdir() (`srd-pg-*`, trust auth, superuser `srd`,
 * UTF8, locale C, fsync left on for the server) and runs the `postgres` binary on 127.0.0.1:`port`
 * (a free port if omitted) with its Unix socket in the same temp dir. As root the cluster belongs
 * to, and the server runs as, the `postgres` OS user. Resolves once `SELECT 1` succeeds (20 s
 * timeout, error includes the server output).
 */
export async function startPostgres(opts: { port?: number } = {}): Promise<PgServer> {
  const binDir = postgresBinDir();
  if (binDir === null) throw new Error(`no PostgreSQL server binaries (initdb, postgres); install ${CLUSTER_SERVERS_HINT}`);
  let user: { uid: number; gid: number } | null = null;
  if (isRoot()) {
    user = postgresUser();
    if (user === null) throw new Error(`running as root but there is no \`postgres\` OS user to run PostgreSQL as; install ${CLUSTER_SERVERS_HINT}`);
  }
  installExitHook();

  const port = opts.port ?? (await freePort());
  const baseDir = mkdtempSync(path.join(os.tmpdir(), 'srd-pg-'));
  liveDirs.add(baseDir);
  const dataDir = path.join(baseDir, 'data');
  const socketDir = path.join(baseDir, 'run');
  mkdirSync(socketDir, { mode: 0o700 });
  if (user) {
    chownSync(baseDir, user.uid, user.gid);
    chownSync(socketDir, user.uid, user.gid);
  }
  const url = `postgres://srd@127.0.0.1:${port}/postgres`;
  const log = new OutputLog();
  const spawnOpts = { cwd: baseDir, user };
  let run: Running | undefined;

  const start = async (): Promise<void> => {
    if (run && alive(run.child)) throw new Error(`postgres on port ${port} is already running`);
    // biome-ignore format: one server option per line
    const args = [
      '-D', dataDir,
      '-p', String(port),
      '-k', socketDir,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=on',
      '-c', 'max_connections=100',
      '-c', 'shared_buffers=16MB',
    ];
    log.append(`--- postgres ${args.join(' ')} ---\n`);
    const current = spawnLogged(path.join(binDir, 'postgres'), args, log, spawnOpts);
    run = current;
    liveKills.add(current.kill);
    void current.exited.then(() => liveKills.delete(current.kill));
    try {
      await waitForPostgres(url, current, log);
    } catch (err) {
      await stop('SIGKILL');
      throw err;
    }
  };

  const stop = async (signal: PgStopSignal = 'fast'): Promise<void> => {
    const current = run;
    if (!current || !alive(current.child)) return;
    if (signal === 'fast') return signalAndWait(current, 'SIGINT', 'postgres (fast shutdown)', log);
    if (signal === 'SIGTERM') return signalAndWait(current, 'SIGTERM', 'postgres (smart shutdown)', log);
    // Crash: every backend calls setsid(), so a process-group kill would miss them. Freeze the
    // postmaster so it forks nothing new, list its children, then SIGKILL them all together; the
    // next start() finds no process attached to the old shared memory and runs crash recovery.
    const pid = current.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGSTOP');
    } catch {
      // already gone
    }
    const children = childPids(pid);
    current.child.kill('SIGKILL');
    for (const child of children) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await current.exited;
    const left = await waitGone(children, 5000);
    if (left.length > 0) throw new Error(`postgres backends ${left.join(', ')} still running 5 s after SIGKILL`);
  };

  await runToCompletion(path.join(binDir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'srd', '--no-sync', '-E', 'UTF8', '--locale=C'], log, spawnOpts);
  await start();

  return {
    url,
    port,
    dataDir,
    async createDatabase(name?: string): Promise<string> {
      const db = name ?? `srd_test_${Math.random().toString(36).slice(2, 12)}`;
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {});
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${db.replaceAll('"', '""')}"`);
      } finally {
        await client.end().catch(() => {});
      }
      return `postgres://srd@127.0.0.1:${port}/${encodeURIComponent(db)}`;
    },
    stop,
    start,
    async restart(): Promise<void> {
      await stop('fast');
      await start();
    },
    async destroy(): Promise<void> {
      try {
        await stop('fast');
      } catch {
        await stop('SIGKILL');
      }
      rmSync(baseDir, { recursive: true, force: true });
      liveDirs.delete(baseDir);
    },
    log: () => log.toString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Redis

/** How RedisServer.stop ends the server. */
export type RedisStopSignal = 'SIGTERM' | 'SIGKILL';

/** A private Redis server (see startRedis). */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (no auth). */
  url: string;
  port: number;
  /** Stops the server (SIGTERM by default, SIGKILL = crash) and waits for it to exit; no-op if not running. */
  stop(signal?: RedisStopSignal): Promise<void>;
  /** Starts the server again on the same port and dir and waits for PING. Persistence is off, so it starts empty. */
  start(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
  /** Stops the server and removes its temp dir. */
  destroy(): Promise<void>;
  /** The last server output. */
  log(): string;
}

/** Sends `PING` over a raw TCP connection and resolves true on `+PONG`, false on anything else. */
function pingRedis(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.once('close', () => done(false));
  });
}

/**
 * Runs `redis-server` on 127.0.0.1:`port` (a free port if omitted) with no persistence
 * (`--save '' --appendonly no`), protected mode on and its dir a throw-away `srd-redis-*` under
 * os.tmpdir(). Resolves once a raw `PING` gets `+PONG` (10 s timeout, error includes the output).
 */
export async function startRedis(opts: { port?: number } = {}): Promise<RedisServer> {
  const binary = redisServerBinary();
  if (binary === null) throw new Error(`no redis-server binary; install ${CLUSTER_SERVERS_HINT}`);
  installExitHook();

  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-redis-'));
  liveDirs.add(dir);
  const log = new OutputLog();
  let run: Running | undefined;

  const stop = async (signal: RedisStopSignal = 'SIGTERM'): Promise<void> => {
    if (run) await signalAndWait(run, signal, 'redis-server', log);
  };

  const start = async (): Promise<void> => {
    if (run && alive(run.child)) throw new Error(`redis-server on port ${port} is already running`);
    // biome-ignore format: one server option per line
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', 'no',
      '--dir', dir,
      '--protected-mode', 'yes',
      '--daemonize', 'no',
    ];
    const current = spawnLogged(binary, args, log, { cwd: dir, user: null });
    run = current;
    liveKills.add(current.kill);
    void current.exited.then(() => liveKills.delete(current.kill));
    const deadline = Date.now() + REDIS_READY_MS;
    for (;;) {
      if (!alive(current.child)) throw new Error(`redis-server exited during startup:\n${log}`);
      if (await pingRedis(port)) return;
      if (Date.now() > deadline) {
        await stop('SIGKILL');
        throw new Error(`redis-server did not answer PING within ${REDIS_READY_MS / 1000} s:\n${log}`);
      }
      await sleep(50);
    }
  };

  await start();

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async restart(): Promise<void> {
      await stop();
      await start();
    },
    async destroy(): Promise<void> {
      try {
        await stop();
      } catch {
        await stop('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    },
    log: () => log.toString(),
  };
}
