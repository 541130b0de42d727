// Child processes the route and startup sections measure: the real daemon, the echo server
// (transport floor) and a bare `http.createServer().listen()` (start-up floor). Each prints one
// JSON line carrying `url` when it is ready; the time from spawn() to that line is measured here.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (bench/lib/ → ../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI, as `npm start` runs it. */
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
/** Token every spawned daemon is given (loopback only). */
export const BENCH_TOKEN = 'bench-token-0123456789abcdef';

/**
 * Spawns `node ...args` and resolves once a stdout/stderr line satisfies `isReady(line)`:
 * `{ proc, line, readyMs, spawnedAt, lines, stop() }`: spawnedAt is performance.now() just before
 * spawn(), readyMs the time from then to the line.
 * Rejects with the output if the process exits first or nothing matches within `timeoutMs`.
 */
export function spawnUntilLine(args, { env = {}, isReady, timeoutMs = 30_000 }) {
  const t0 = performance.now();
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(`no ready line within ${timeoutMs} ms from ${args.join(' ')}:\n${lines.join('\n')}`)), timeoutMs);
    const finish = (err, line, readyMs) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        proc.kill('SIGKILL');
        reject(err);
        return;
      }
      resolve({
        proc,
        line,
        readyMs,
        spawnedAt: t0,
        lines,
        exited,
        async stop(signal = 'SIGTERM') {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          const kill = setTimeout(() => proc.kill('SIGKILL'), 8_000);
          const code = await exited;
          clearTimeout(kill);
          return code;
        },
      });
    };
    const split = (stream) => {
      let buf = '';
      stream.on('data', (d) => {
        const at = performance.now();
        buf += d.toString();
        const parts = buf.split('\n');
        buf = parts.pop();
        for (const line of parts) {
          lines.push(line);
          if (lines.length > 200) lines.shift();
          if (!done && isReady(line)) finish(null, line, at - t0);
        }
      });
    };
    split(proc.stdout);
    split(proc.stderr);
    void exited.then((code) => finish(new Error(`${args.join(' ')} exited (${code}) before ready:\n${lines.join('\n')}`)));
  });
}

/**
 * Starts the real daemon (`node dist/cli/main.js start --port 0`) with the local embedder and
 * the packaged DNA, in a fresh temp state dir and with default config (log level info, pool =
 * cores). `config`, when given, is written as `<stateDir>/config.json` (and named by
 * SMART_ROUTERD_CONFIG) before the spawn: keys of the config schema, e.g.
 * `{ vectorStore: { compactionThreshold: 5000 } }`; anything not given keeps its default.
 * Resolves with spawnUntilLine's result plus `url`, `selfReadyMs` (the daemon's own
 * `readyMs`) and `stateDir`; `stop()` also removes the state dir.
 */
export async function startDaemon({ config } = {}) {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'srd-bench-'));
  const env = {
    SMART_ROUTERD_STATE_DIR: stateDir,
    SMART_ROUTERD_TOKEN: BENCH_TOKEN,
    SMART_ROUTERD_LOG_FORMAT: 'json',
  };
  if (config) {
    const configPath = path.join(stateDir, 'config.json');
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
    env.SMART_ROUTERD_CONFIG = configPath;
  }
  const child = await spawnUntilLine([CLI, 'start', '--port', '0'], {
    env,
    isReady: (line) => line.includes('"smart-routerd ready'),
  });
  const ready = JSON.parse(child.line);
  const stop = child.stop;
  return {
    ...child,
    url: ready.url,
    selfReadyMs: ready.readyMs,
    kernel: ready.kernel,
    threads: ready.threads,
    stateDir,
    async stop(signal) {
      const code = await stop(signal);
      rmSync(stateDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Starts a bench-local server script (`echo-server.mjs`, `bare-server.mjs`, `fake-upstream.mjs`) with extra `env`; resolves with `url`. */
export async function startScript(file, env = {}) {
  const child = await spawnUntilLine([path.join(ROOT, 'bench', file)], {
    env,
    isReady: (line) => line.startsWith('{') && line.includes('"url"'),
  });
  return { ...child, url: JSON.parse(child.line).url };
}

/** Resident set size of `pid` in bytes (VmRSS from /proc/<pid>/status), or null off Linux. */
export function rssBytes(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples rssBytes(pid) every `everyMs` until stopped; `stop()` returns the peak seen. */
export function watchRss(pid, everyMs = 100) {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    const v = rssBytes(pid);
    if (v !== null && (peak === null || v > peak)) peak = v;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const v = rssBytes(pid);
      if (v !== null && (peak === null || v > peak)) peak = v;
      return peak;
    },
  };
}
