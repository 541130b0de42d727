import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { GatewayClient } from '../../src/gateway/index.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { mulberry32 } from '../helpers/random.js';
import { rawExchange, rawUpgrade, textFrameHeader } from '../helpers/raw-http.js';
import { connectParams } from '../helpers/raw-socket.js';

// Issue 15: random and mutated input on every surface of the gateway port (HTTP request lines,
// heads and bodies; WebSocket upgrades and frames before auth; JSON request frames after it), for a
// bounded time. The daemon must never exit and never log an error. `npm test` gives it a few
// seconds; `npm run fuzz` a minute (FUZZ_MS). Replay a failure with FUZZ_SEED=<the printed seed>.
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 4000);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, n: number) => Math.floor(r() * n);

const TARGETS = [
  '/',
  '//[',
  '//%',
  '/%zz',
  '/healthz',
  '/readyz?x=1',
  '/startupz#f',
  '*',
  'http://evil/',
  '//a:99999',
  '/../../etc/passwd',
  '/\u00ff',
  '',
  '/v1/models',
];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'BREW', 'get', ''];
const WS_METHODS = [
  'health',
  'status',
  'route',
  'route.feedback',
  'router.stats',
  'memory.stats',
  'memory.export',
  'config.get',
  'system-presence',
  'connect',
  'constructor',
  '__proto__',
  'toString',
  'unknown.x',
];

/** Random bytes, text-ish or not. */
function junk(r: Rand, max: number): string {
  const n = int(r, max);
  let out = '';
  for (let i = 0; i < n; i++) {
    const k = r();
    out += k < 0.7 ? String.fromCharCode(32 + int(r, 95)) : k < 0.85 ? String.fromCharCode(int(r, 32)) : String.fromCharCode(128 + int(r, 0x3000));
  }
  return out;
}

/** A random JSON value, up to `depth` levels deep. */
function value(r: Rand, depth: number): unknown {
  const k = int(r, depth > 0 ? 9 : 6);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return pick(r, [0, -1, 1e308, -0, 2 ** 53, 0.5, Number.MAX_SAFE_INTEGER]);
    case 3:
      return junk(r, 40);
    case 4:
      return pick(r, ['flagship', 'lightweight', 'CODE', 'F: hi', '旗舰: 写代码', '', '   ', '\u0000', 'x'.repeat(int(r, 5000))]);
    case 5:
      return pick(r, [undefined, {}, []]);
    case 6:
    case 7:
      return Object.fromEntries(
        Array.from({ length: int(r, 5) }, () => [
          pick(r, ['text', 'tier', 'decisionId', 'label', '__proto__', 'constructor', junk(r, 8)]),
          value(r, depth - 1),
        ]),
      );
    default:
      return Array.from({ length: int(r, 5) }, () => value(r, depth - 1));
  }
}

/** A request frame, valid-looking or mutated. */
function requestFrame(r: Rand): string {
  const frame: Record<string, unknown> = {
    type: pick(r, ['req', 'req', 'req', 'res', 'event', 1]),
    id: pick(r, ['a', '', 1, null, junk(r, 20)]),
    method: pick(r, WS_METHODS),
    params: value(r, 4),
  };
  if (r() < 0.2) delete frame[pick(r, ['type', 'id', 'method', 'params'])];
  if (r() < 0.1) frame.traceparent = junk(r, 200);
  const text = JSON.stringify(frame);
  const k = r();
  if (k < 0.1) return text.slice(0, int(r, text.length));
  if (k < 0.15) return `${text}${junk(r, 10)}`;
  if (k < 0.2) return '['.repeat(int(r, 5000));
  return text;
}

async function fuzzHttp(d: RunningDaemon, r: Rand): Promise<void> {
  const head = [`${pick(r, METHODS)} ${r() < 0.8 ? pick(r, TARGETS) : junk(r, 60)} HTTP/1.1`, `host: ${r() < 0.9 ? '127.0.0.1' : junk(r, 30)}`];
  for (let i = int(r, 6); i > 0; i--)
    head.push(
      `${pick(r, ['x-a', 'origin', 'content-length', 'transfer-encoding', 'upgrade', 'connection', junk(r, 10)])}: ${junk(r, r() < 0.05 ? 20_000 : 60)}`,
    );
  const body = r() < 0.3 ? junk(r, 2000) : '';
  await rawExchange(d.port, `${head.join('\r\n')}\r\n\r\n${body}`, 300);
}

async function fuzzPreauth(d: RunningDaemon, r: Rand): Promise<void> {
  const headers: Record<string, string> = r() < 0.3 ? { origin: pick(r, ['http://127.0.0.1:1', 'https://evil.example', 'null', junk(r, 30)]) } : {};
  const up = await rawUpgrade(d.port, headers).catch(() => null);
  if (!up) return;
  const k = r();
  if (k < 0.4) {
    const params = connectParams(r() < 0.5 ? d.token : junk(r, 30));
    const mutated = r() < 0.5 ? { ...params, [pick(r, ['client', 'minProtocol', 'auth', 'role', 'device', 'scopes'])]: value(r, 3) } : params;
    const payload = Buffer.from(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: mutated }));
    up.socket.write(Buffer.concat([textFrameHeader(payload.length), payload]));
  } else if (k < 0.7) {
    const payload = Buffer.from(junk(r, 3000));
    up.socket.write(Buffer.concat([textFrameHeader(payload.length), payload]));
  } else {
    // Raw frame bytes: any opcode, reserved bits, lengths that lie.
    const b = Buffer.alloc(2 + int(r, 200));
    for (let i = 0; i < b.length; i++) b[i] = int(r, 256);
    up.socket.write(b);
  }
  await new Promise((res) => setTimeout(res, int(r, 20)));
  up.socket.destroy();
}

async function fuzzFrames(client: WebSocket, r: Rand, n: number): Promise<void> {
  for (let i = 0; i < n && client.readyState === WebSocket.OPEN; i++) {
    if (r() < 0.05) client.send(Buffer.from(junk(r, 100)), { binary: true });
    else client.send(requestFrame(r));
  }
  await new Promise((res) => setTimeout(res, 5));
}

describe(`fuzz (FUZZ_SEED=${SEED}, ${BUDGET_MS} ms)`, () => {
  let daemon: RunningDaemon;
  let watcher: GatewayClient;

  beforeAll(async () => {
    console.log(`fuzz: FUZZ_SEED=${SEED} FUZZ_MS=${BUDGET_MS}`);
    daemon = await startDaemon();
    // Connected before the fuzzing starts: failed-auth throttling cannot lock it out.
    watcher = await daemon.client();
  });
  afterAll(async () => {
    await watcher?.close();
    await daemon?.stop();
  });

  it('survives random HTTP, pre-auth and authenticated input: still serving, nothing logged as an error', { timeout: BUDGET_MS + 60_000 }, async () => {
    const r = mulberry32(SEED);
    const authed = new WebSocket(daemon.url, { perMessageDeflate: false });
    authed.on('error', () => undefined);
    await new Promise((res) => authed.once('message', res)); // the challenge
    authed.send(
      JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: connectParams(daemon.token, { scopes: ['operator.read', 'operator.write'] }) }),
    );
    await new Promise((res) => authed.once('message', res));
    const rounds = { http: 0, preauth: 0, frames: 0 };
    const deadline = Date.now() + BUDGET_MS;
    while (Date.now() < deadline) {
      const k = r();
      if (k < 0.35) {
        rounds.http++;
        await fuzzHttp(daemon, r);
      } else if (k < 0.6) {
        rounds.preauth++;
        await fuzzPreauth(daemon, r);
      } else {
        rounds.frames++;
        await fuzzFrames(authed, r, 20);
      }
      expect(daemon.proc.exitCode, `daemon exited; replay with FUZZ_SEED=${SEED}`).toBeNull();
    }
    authed.terminate();
    console.log(`fuzz: ${JSON.stringify(rounds)}`);
    expect(daemon.proc.exitCode, `replay with FUZZ_SEED=${SEED}`).toBeNull();
    expect((await fetch(`http://127.0.0.1:${daemon.port}/healthz`)).status).toBe(200);
    expect(await watcher.request('health', {})).toMatchObject({ ok: true });
    const errors = daemon.lines.filter((l) => /"level":(50|60)/.test(l) || /uncaught|unhandled/i.test(l));
    expect(errors, `replay with FUZZ_SEED=${SEED}`).toEqual([]);
  });
});
