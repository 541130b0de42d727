import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClientOptions, GatewayClient } from '../../src/gateway/index.js';

/** Repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI entry. */
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/** A real daemon process on a loopback port with its own temp state dir. */
export interface RunningDaemon {
  proc: ChildProcess;
  port: number;
  url: string;
  token: string;
  stateDir: string;
  /** Every stdout/stderr line so far (JSON log lines). */
  lines: string[];
  /** Resolves with the exit code once the process exits. */
  exited: Promise<number | null>;
  /** Opens an authenticated client. */
  client(options?: Partial<ClientOptions>): Promise<GatewayClient>;
  /** SIGTERM (or `signal`), wait for exit, remove the state dir unless keepState. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Options for startDaemon. */
export interface StartOptions {
  /** config.json content to write into the state dir. */
  config?: Record<string, unknown>;
  /** Reuse a state dir (restart scenarios). */
  stateDir?: string;
  env?: Record<string, string>;
  args?: string[];
  token?: string;
  /** Keep the state dir on stop. */
  keepState?: boolean;
}

/**
 * Spawns `node dist/cli/main.js start --port 0` with JSON logs and waits for the ready line,
 * reading the bound port from it. Rejects (with the output) if the process exits first or no
 * ready line arrives within 30 s.
 */
export async function startDaemon(options: StartOptions = {}): Promise<RunningDaemon> {
  const stateDir = options.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'srd-test-'));
  if (options.config) writeFileSync(path.join(stateDir, 'config.json'), JSON.stringify(options.config, null, 2));
  const token = options.token ?? 'test-token-0123456789';
  const proc = spawn(process.execPath, [CLI, 'start', '--port', '0', ...(options.args ?? [])], {
    env: {
      ...process.env,
      SMART_ROUTERD_STATE_DIR: stateDir,
      SMART_ROUTERD_TOKEN: token,
      SMART_ROUTERD_LOG_FORMAT: 'json',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon not ready within 30 s:\n${lines.join('\n')}`)), 30_000);
    const onLine = (line: string) => {
      lines.push(line);
      if (line.includes('"smart-routerd ready')) {
        clearTimeout(timer);
        resolve(JSON.parse(line).url as string);
      }
    };
    const buf = { out: '', err: '' };
    proc.stdout!.on('data', (d: Buffer) => {
      buf.out += d.toString();
      const parts = buf.out.split('\n');
      buf.out = parts.pop()!;
      parts.forEach(onLine);
    });
    proc.stderr!.on('data', (d: Buffer) => {
      buf.err += d.toString();
      const parts = buf.err.split('\n');
      buf.err = parts.pop()!;
      parts.forEach(onLine);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before ready:\n${lines.join('\n')}${buf.out}${buf.err}`));
    });
  });
  const url = await ready;
  const port = Number(new URL(url).port);
  return {
    proc,
    port,
    url,
    token,
    stateDir,
    lines,
    exited,
    client: (o = {}) => GatewayClient.connect(url, { token, ...o }),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const code = await exited;
      if (!options.keepState && !options.stateDir) rmSync(stateDir, { recursive: true, force: true });
      return code;
    },
  };
}
