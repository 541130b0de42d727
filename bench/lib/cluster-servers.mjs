// Private PostgreSQL and Redis servers for the cluster section (issue 20): Debian's binaries on
// loopback with throw-away data dirs, the bench's own small copy of what
// test/helpers/cluster-servers.ts does for the tests (the bench runs plain .mjs, not TypeScript).

import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** The newest Debian PostgreSQL bin dir with initdb and postgres, or null. */
export function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const majors = readdirSync(base)
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(b) - Number(a));
  for (const m of majors) {
    const dir = path.join(base, m, 'bin');
    if (existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'))) return dir;
  }
  return null;
}

/** `redis-server` on PATH or in /usr/bin, or null. */
export function redisServerBinary() {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin']) {
    const p = path.join(dir, 'redis-server');
    if (dir && existsSync(p)) return p;
  }
  return null;
}

/** Why the cluster section cannot run here, or null when it can. */
export function clusterUnavailable() {
  const missing = [];
  if (!postgresBinDir()) missing.push('PostgreSQL (initdb, postgres)');
  if (!redisServerBinary()) missing.push('redis-server');
  return missing.length ? `missing ${missing.join(' and ')}: install Debian's postgresql and redis-server packages` : null;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/**
 * Starts PostgreSQL (as the `postgres` OS user when root: it refuses to run as root), fsync on, and
 * resolves `{ url, createDatabase(), stop() }` once `SELECT 1` answers (20 s at most).
 */
export async function startPostgres() {
  const bin = postgresBinDir();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'srd-bench-pg-'));
  const data = path.join(tmp, 'data');
  const ids = process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres'])), gid: Number(execFileSync('id', ['-g', 'postgres'])) } : {};
  if (ids.uid !== undefined) chownSync(tmp, ids.uid, ids.gid);
  execFileSync(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'srd', '--no-sync', '-E', 'UTF8', '--locale=C'], { ...ids, stdio: 'ignore' });
  const port = await freePort();
  const proc = spawn(
    path.join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', tmp, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=100', '-c', 'shared_buffers=32MB'],
    { ...ids, stdio: 'ignore' },
  );
  children.add(proc);
  const url = `postgres://srd@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not answer within 20 s: ${err.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let n = 0;
  return {
    url,
    pid: proc.pid,
    async createDatabase() {
      const name = `srd_bench_${process.pid}_${++n}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`CREATE DATABASE "${name}"`);
      await client.end();
      return `postgres://srd@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGINT');
      await exited;
      children.delete(proc);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** utime + stime of `pid` in seconds (all its threads), with `reaped` also its exited children's; 0 off Linux or once it is gone. */
function cpuSecondsOf(pid, reaped) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    // /proc/<pid>/stat fields 14–17 (utime, stime, cutime, cstime), in USER_HZ (100 on Linux).
    return (f[11] + f[12] + (reaped ? f[13] + f[14] : 0)) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by `pids` and, with `children`, by their child processes, live or exited (PostgreSQL's backends). */
export function cpuSeconds(pids, { children = false } = {}) {
  const all = new Set(pids);
  if (children) {
    let entries = [];
    try {
      entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    } catch {}
    for (const d of entries) {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (pids.includes(ppid)) all.add(Number(d));
      } catch {}
    }
  }
  let s = 0;
  for (const pid of all) s += cpuSecondsOf(pid, children && pids.includes(pid));
  return s;
}

/** Starts redis-server without persistence; resolves `{ url, stop() }` once it answers PING (10 s at most). */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-bench-redis-'));
  const proc = spawn(redisServerBinary(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  children.add(proc);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('PING\r\n'));
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error('redis-server did not answer PING within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
      children.delete(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
