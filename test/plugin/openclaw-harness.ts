// Pieces of the real-OpenClaw plugin suite (test/openclaw/plugin.e2e.test.ts): the pinned CLI
// from .cache/openclaw-e2e/, an isolated environment, fake OpenAI-compatible model providers, and
// an OpenClaw gateway process. Not a test file.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/daemon.js';
import type { WireBody } from '../helpers/fake-llm.js';

/** paths.json written by scripts/openclaw-e2e-setup.mjs. */
export const PATHS_FILE = path.join(ROOT, '.cache', 'openclaw-e2e', 'paths.json');
export const OPENCLAW_VERSION = '2026.9.6';

/** Node 26 and openclaw.mjs, as installed by the setup script. */
export function loadOpenclawPaths(): { node: string; openclaw: string } {
  if (!existsSync(PATHS_FILE)) {
    throw new Error(`${PATHS_FILE} is missing: run \`node scripts/openclaw-e2e-setup.mjs\` (or \`npm run test:openclaw\`) first`);
  }
  const paths = JSON.parse(readFileSync(PATHS_FILE, 'utf8')) as { node?: string; openclaw?: string };
  for (const key of ['node', 'openclaw'] as const) {
    if (!paths[key] || !existsSync(paths[key])) throw new Error(`${PATHS_FILE}: ${key} (${paths[key]}) does not exist; rerun scripts/openclaw-e2e-setup.mjs`);
  }
  return paths as { node: string; openclaw: string };
}

/** HOME, OPENCLAW_HOME, TMPDIR and XDG dirs inside `dir`; PATH starts with Node 26 and keeps nothing under the real home. */
export function isolatedEnv(nodeBin: string, dir: string): Record<string, string> {
  const realHome = os.homedir();
  const systemPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((p) => p !== '' && !(realHome && (p === realHome || p.startsWith(realHome + path.sep))));
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  return {
    HOME: dir,
    USERPROFILE: dir,
    OPENCLAW_HOME: dir,
    TMPDIR: tmp,
    XDG_CONFIG_HOME: path.join(dir, '.config'),
    XDG_CACHE_HOME: path.join(dir, '.cache'),
    XDG_DATA_HOME: path.join(dir, '.local', 'share'),
    XDG_STATE_HOME: path.join(dir, '.local', 'state'),
    PATH: [path.dirname(nodeBin), ...systemPath].join(path.delimiter),
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
  };
}

/** One CLI run. */
export interface CliResult {
  args: string[];
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node26 openclaw.mjs …args` (stdin /dev/null); never rejects. */
export function runOpenclaw(
  bin: { node: string; openclaw: string },
  args: string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs?: number },
): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(bin.node, [bin.openclaw, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    const finish = (status: number | null, signal: NodeJS.Signals | null, extra = '') => {
      clearTimeout(timer);
      resolve({ args, status, signal, timedOut, stdout: stripAnsi(stdout), stderr: stripAnsi(stderr + extra), ms: Math.round(performance.now() - started) });
    };
    child.once('error', (err) => finish(null, null, `\n(spawn failed: ${err.message})`));
    child.once('close', (status, signal) => finish(status, signal));
  });
}

/** A failure message showing exactly what the CLI did. */
export function explain(r: CliResult, note = ''): string {
  const how = r.timedOut ? 'killed after timeout' : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return `${note ? `${note}\n` : ''}$ openclaw ${r.args.join(' ')}\n→ ${how} in ${r.ms} ms\n--- stdout ---\n${r.stdout.slice(-6000)}\n--- stderr ---\n${r.stderr.slice(-6000)}`;
}

export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: \x1b (ESC) starts the ANSI escape sequences this function strips from CLI output
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}

/** The JSON document a `--json` command printed. */
export function stdoutJson<T = Record<string, unknown>>(r: CliResult): T {
  const text = r.stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
  }
}

/** One chat-completions request a fake provider received. */
export interface ProviderRequest {
  path: string;
  model: string;
  /** Text of every user message, in order (string content or text parts). */
  userTexts: string[];
  at: number;
}

/** A local HTTP server speaking the OpenAI chat-completions API (streamed SSE), logging requests. */
export interface FakeProvider {
  name: string;
  baseUrl: string;
  requests: ProviderRequest[];
  close(): Promise<void>;
}

/**
 * Starts a fake OpenAI-compatible provider on 127.0.0.1:0. Every `POST …/chat/completions` is
 * logged and answered with a `chat.completion.chunk` SSE stream saying `hello from <name>`, then
 * a usage chunk and `data: [DONE]` (the shape protocol reference §9 saw OpenClaw accept).
 */
export async function startFakeProvider(name: string): Promise<FakeProvider> {
  const requests: ProviderRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      let parsed: { model?: string; messages?: Array<{ role: string; content: unknown }> } = {};
      try {
        parsed = JSON.parse(body);
      } catch {
        // logged with empty fields
      }
      requests.push({
        path: req.url,
        model: parsed.model ?? '',
        userTexts: (parsed.messages ?? []).filter((m) => m.role === 'user').map((m) => contentText(m.content)),
        at: Date.now(),
      });
      const id = `chatcmpl-${name}-${requests.length}`;
      const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: parsed.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(chunk({ role: 'assistant', content: `hello from ${name}` }));
      res.write(chunk({}, 'stop'));
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: parsed.model, choices: [], usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 } })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  return '';
}

/** A free loopback port (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** An `openclaw gateway run` process and its output lines. */
export interface GatewayProcess {
  proc: ChildProcess;
  port: number;
  /** stdout + stderr lines so far (ANSI stripped). */
  lines: string[];
  /** SIGTERM the process group, SIGKILL after 15 s; resolves when it exited. */
  stop(): Promise<void>;
}

/** Starts `openclaw gateway run --port <port>` in its own process group and waits for /readyz. */
export async function startGateway(
  bin: { node: string; openclaw: string },
  options: { port: number; env: Record<string, string>; cwd: string; readyTimeoutMs?: number },
): Promise<GatewayProcess> {
  const proc = spawn(bin.node, [bin.openclaw, 'gateway', 'run', '--port', String(options.port)], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  const collect = (stream: NodeJS.ReadableStream) => {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const line of parts) lines.push(stripAnsi(line));
    });
  };
  collect(proc.stdout!);
  collect(proc.stderr!);
  const gateway: GatewayProcess = {
    proc,
    port: options.port,
    lines,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        try {
          process.kill(-proc.pid!, 'SIGTERM');
        } catch {
          proc.kill('SIGTERM');
        }
        const killer = setTimeout(() => {
          try {
            process.kill(-proc.pid!, 'SIGKILL');
          } catch {
            proc.kill('SIGKILL');
          }
        }, 15_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (exitedEarly) throw new Error(`openclaw gateway exited before it was ready:\n${lines.slice(-60).join('\n')}`);
    if (await readyz(options.port)) return gateway;
    if (Date.now() > deadline) {
      await gateway.stop();
      throw new Error(`openclaw gateway not ready on port ${options.port} within ${options.readyTimeoutMs ?? 120_000} ms:\n${lines.slice(-60).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function readyz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

/** p50 / p99 / max of a sample, ms (nearest rank). */
export function percentiles(samples: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? NaN };
}

/** How OpenClaw opens its runtime-context carrier, the last user message of every request. */
export const INTERNAL_CONTEXT = '<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>';

/**
 * The user's words in a request body (OpenAI or Anthropic): the newest user message's text parts
 * without OpenClaw's runtime-context carrier (a part or message starting `<<<BEGIN_OPENCLAW_INTERNAL_
 * CONTEXT>>>`), then without OpenClaw's timestamp header `[Sat 2026-12-05 03:10 UTC] ` and the
 * `\n\nRuntime: agent=…` line it appends on openai-completions. '' when there are none.
 */
export function userWords(body: WireBody): string {
  const messages = body.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user') continue;
    const parts = typeof m.content === 'string' ? [m.content] : (m.content ?? []).filter((p) => p.type === 'text').map((p) => p.text ?? '');
    const words = parts.filter((t) => !t.startsWith(INTERNAL_CONTEXT) && t.trim().length > 0);
    if (words.length === 0) continue;
    return words
      .join('\n')
      .replace(/^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d{2}-\d{2}[^\]\n]*\] /, '')
      .replace(/\n\nRuntime: agent=[^\n]*$/, '');
  }
  return '';
}
