// The real OpenClaw CLI (openclaw@2026.9.6 on Node 26.10.0, both from the npm registry) pointed at
// a running smart-routerd: issue 2, criterion 3. `npm run test:openclaw` builds the daemon, runs
// scripts/openclaw-e2e-setup.mjs (which installs the CLI into .cache/openclaw-e2e/ and writes
// paths.json) and then this file. Every CLI run is isolated: HOME and OPENCLAW_HOME point at a temp
// dir, TMPDIR and XDG dirs live inside it, and PATH starts with Node 26's directory and keeps
// nothing under the developer's real home.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type CliResult, explain, isolatedEnv, loadOpenclawPaths, OPENCLAW_VERSION, runOpenclaw } from '../plugin/openclaw-harness.js';

const DAEMON_VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Output that means doctor could not use the gateway (protocol reference §5). */
const DOCTOR_GATEWAY_FAILURES = ['Gateway connect failed', 'Health check failed', 'unknown method', 'Gateway not reachable', 'Channel status probe failed'];

let node26: string;
let openclawMjs: string;
let home: string;
let baseEnv: Record<string, string>;
let daemon: RunningDaemon;

/** Runs `node26 openclaw.mjs …args` in the isolated env (stdin /dev/null); never rejects. */
function openclaw(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return runOpenclaw({ node: node26, openclaw: openclawMjs }, args, { cwd: home, env: { ...baseEnv, ...options.env }, timeoutMs: options.timeoutMs ?? 45_000 });
}

/** The JSON document the CLI printed on stdout (`--json`). */
function stdoutJson<T = Record<string, unknown>>(r: CliResult): T {
  const text = r.stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    const start = text.indexOf('{');
    const end = text.lastIndexOf('}');
    try {
      return JSON.parse(text.slice(start, end + 1));
    } catch {
      expect.fail(explain(r, 'stdout is not JSON'));
    }
  }
}

function target(): string[] {
  return ['--url', `ws://127.0.0.1:${daemon.port}`, '--token', daemon.token];
}

beforeAll(async () => {
  const paths = loadOpenclawPaths();
  node26 = paths.node;
  openclawMjs = paths.openclaw;
  home = mkdtempSync(path.join(os.tmpdir(), 'srd-openclaw-home-'));
  baseEnv = isolatedEnv(node26, home);
  const version = await openclaw(['--version'], { timeoutMs: 30_000 });
  if (version.status !== 0 || !version.stdout.includes(OPENCLAW_VERSION)) {
    throw new Error(explain(version, `expected OpenClaw ${OPENCLAW_VERSION} under ${node26}; rerun scripts/openclaw-e2e-setup.mjs`));
  }
  daemon = await startDaemon();
});

afterAll(async () => {
  await daemon?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe(`the real OpenClaw CLI (openclaw ${OPENCLAW_VERSION} on Node 26) talking to smart-routerd`, () => {
  describe('openclaw gateway health', () => {
    it('reports the daemon healthy: exit 0 and "OK"', async () => {
      const r = await openclaw(['gateway', 'health', ...target()]);
      expect(r.status, explain(r)).toBe(0);
      expect(r.stdout, explain(r)).toMatch(/^OK\b/m);
      expect(r.stdout + r.stderr, explain(r)).not.toMatch(/connect failed|not reachable/i);
    });

    it('prints the health payload as JSON with ok:true under --json', async () => {
      const r = await openclaw(['gateway', 'health', ...target(), '--json']);
      expect(r.status, explain(r)).toBe(0);
      const payload = stdoutJson(r);
      expect(payload.ok, explain(r)).toBe(true);
      expect(Number.isInteger(payload.ts), explain(r)).toBe(true);
    });

    it('refuses a wrong token: exit 1 with the daemon\'s "unauthorized: gateway token mismatch" message', async () => {
      const wrong = ['--url', `ws://127.0.0.1:${daemon.port}`, '--token', 'not-the-token-0123456789'];
      const text = await openclaw(['gateway', 'health', ...wrong]);
      expect(text.status, explain(text)).toBe(1);
      expect(text.stdout + text.stderr, explain(text)).toContain('unauthorized: gateway token mismatch');
      expect(text.stdout, explain(text)).not.toMatch(/^OK\b/m);

      const json = await openclaw(['gateway', 'health', ...wrong, '--json']);
      expect(json.status, explain(json)).toBe(1);
      const out = stdoutJson<{ ok: boolean; error: { code: string; message: string } }>(json);
      expect(out.ok, explain(json)).toBe(false);
      expect(out.error, explain(json)).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'AUTH_TOKEN_MISMATCH' } });
      expect(out.error.message, explain(json)).toMatch(/^unauthorized: gateway token mismatch/);
    });
  });

  describe('openclaw gateway call route', () => {
    const cases = [
      { text: 'Write a Python rate limiter with the token bucket algorithm', tier: 'flagship' },
      { text: "Hey, what's up? Tell me something interesting.", tier: 'lightweight' },
    ] as const;
    const models: Record<string, string> = {};

    it.each(cases)('routes $text to the $tier model, decided by the intent classifier', async ({ text, tier }) => {
      const r = await openclaw(['gateway', 'call', 'route', '--params', JSON.stringify({ text }), ...target(), '--json']);
      expect(r.status, explain(r)).toBe(0);
      const decision = stdoutJson(r);
      expect(decision, explain(r)).toMatchObject({ modelTier: tier, source: 'model' });
      expect(Object.keys(decision), explain(r)).toEqual(
        expect.arrayContaining(['decisionId', 'selectedModel', 'confidence', 'reasoning', 'intent', 'latencyMs']),
      );
      expect(decision.decisionId, explain(r)).toMatch(/\S/);
      expect(typeof decision.selectedModel, explain(r)).toBe('string');
      expect(decision.selectedModel, explain(r)).toMatch(/\S/);
      expect(decision.confidence, explain(r)).toBeGreaterThanOrEqual(0);
      expect(decision.confidence, explain(r)).toBeLessThanOrEqual(1);
      expect(decision.reasoning, explain(r)).toMatch(/\S/);
      expect(decision.intent, explain(r)).toMatch(/\S/);
      expect(decision.latencyMs, explain(r)).toBeGreaterThanOrEqual(0);
      models[tier] = decision.selectedModel as string;
    });

    it('names different models for the two tiers', () => {
      expect(Object.keys(models).sort(), 'both routing cases must have passed').toEqual(['flagship', 'lightweight']);
      expect(models.flagship).not.toBe(models.lightweight);
    });

    it('rejects a route request without text: exit 1 and an INVALID_REQUEST naming /params/text', async () => {
      const json = await openclaw(['gateway', 'call', 'route', '--params', '{}', ...target(), '--json']);
      expect(json.status, explain(json)).toBe(1);
      const out = stdoutJson<{ ok: boolean; error?: { code: string; message: string } }>(json);
      expect(out.ok, explain(json)).toBe(false);
      expect(out.error?.code, explain(json)).toBe('INVALID_REQUEST');
      expect(out.error?.message, explain(json)).toContain('/params/text');

      const text = await openclaw(['gateway', 'call', 'route', '--params', '{}', ...target()]);
      expect(text.status, explain(text)).toBe(1);
      expect(text.stdout + text.stderr, explain(text)).toMatch(/Gateway call failed: .*\/params\/text/);
    });
  });

  describe('openclaw gateway probe', () => {
    it('reaches the daemon and completes every read probe (ok, not degraded)', async () => {
      // --timeout 10000 instead of the 3 s default keeps a slow CI box from flaking; Bonjour
      // discovery is capped at 1.2 s by the CLI and finds nothing without dns-sd/avahi-browse.
      const r = await openclaw(['gateway', 'probe', ...target(), '--timeout', '10000', '--json']);
      expect(r.status, explain(r)).toBe(0);
      const out = stdoutJson(r);
      expect(out.ok, explain(r)).toBe(true);
      expect(out.degraded, explain(r)).toBe(false);
      expect(out.primaryTargetId, explain(r)).toBe('explicit');
      const explicit = (out.targets as Array<{ id: string }>).find((t) => t.id === 'explicit');
      expect(explicit, explain(r)).toMatchObject({
        url: `ws://127.0.0.1:${daemon.port}`,
        connect: { ok: true, rpcOk: true, scopeLimited: false, error: null },
        auth: { role: 'operator', scopes: ['operator.read'] },
        server: { version: DAEMON_VERSION },
        health: { ok: true },
      });
      const warnings = (out.warnings as Array<{ code: string; targetIds?: string[] }>).filter((w) => w.targetIds?.includes('explicit'));
      expect(warnings, explain(r)).toEqual([]);
    });
  });

  describe('openclaw doctor --non-interactive', () => {
    it('runs all its gateway checks against the daemon and prints no gateway failure', async () => {
      // What a configured user has: gateway.mode local (without it doctor adds a "gateway.mode is
      // unset" box about the local config); the target comes from the environment.
      const doctorHome = path.join(home, 'doctor');
      mkdirSync(path.join(doctorHome, '.openclaw'), { recursive: true });
      writeFileSync(path.join(doctorHome, '.openclaw', 'openclaw.json'), `${JSON.stringify({ gateway: { mode: 'local' } }, null, 2)}\n`);
      // A byte-for-byte TCP relay in front of the daemon records what doctor sent and what the
      // daemon answered, so the test knows doctor really talked to it (it exits 0 either way).
      const tap = await startWireTap(daemon.port);
      const logBefore = daemon.lines.length;
      let r: CliResult;
      try {
        r = await openclaw(['doctor', '--non-interactive'], {
          env: { HOME: doctorHome, OPENCLAW_HOME: doctorHome, OPENCLAW_GATEWAY_PORT: String(tap.port), OPENCLAW_GATEWAY_TOKEN: daemon.token },
          timeoutMs: 80_000,
        });
      } finally {
        await tap.close();
      }
      const wire = tap.describe();
      expect(r.status, explain(r, wire)).toBe(0);
      expect(r.stdout, explain(r, wire)).toContain('Doctor complete.');
      const output = (r.stdout + r.stderr).toLowerCase();
      for (const failure of DOCTOR_GATEWAY_FAILURES) {
        expect(output, explain(r, `doctor printed "${failure}"\n${wire}`)).not.toContain(failure.toLowerCase());
      }
      // The only Gateway box left is the note that service management is skipped because the
      // test runs with a non-default OPENCLAW_HOME (no systemd/launchd unit is inspected here).
      const boxes = doctorBoxes(r.stdout);
      expect(boxes.length, explain(r, 'no doctor boxes parsed from stdout')).toBeGreaterThan(0);
      const gatewayBoxes = boxes.filter((b) => /gateway/i.test(b.title));
      expect(gatewayBoxes, explain(r, 'unexpected Gateway box')).toEqual(
        gatewayBoxes.map(() => ({ title: 'Gateway', body: 'service management skipped: non-default state dir or config path' })),
      );

      // Doctor's gateway checks (protocol reference §5): readiness (/startupz, then health),
      // status, channel probe, telemetry exporters, memory, pairing; every one answered ok.
      expect(
        tap.http.some((line) => line.includes('GET /startupz')),
        explain(r, wire),
      ).toBe(true);
      expect(
        tap.requests.map((q) => q.method),
        explain(r, wire),
      ).toEqual(
        expect.arrayContaining(['connect', 'health', 'status', 'channels.status', 'diagnostics.stability', 'doctor.memory.status', 'device.pair.list']),
      );
      const failed = tap.requests.filter((q) => q.response?.ok !== true);
      expect(failed, explain(r, `requests the daemon did not answer with ok:true:\n${wire}`)).toEqual([]);
      const complaints = daemon.lines.slice(logBefore).filter((l) => l.includes('connect rejected') || l.includes('method failed'));
      expect(complaints, wire).toEqual([]);
    });

    it('leaves the daemon healthy afterwards', async () => {
      const client = await daemon.client({ scopes: ['operator.read'] });
      try {
        const health = await client.request<{ ok?: boolean }>('health');
        expect(health.ok).toBe(true);
      } finally {
        await client.close();
      }
      expect(daemon.proc.exitCode).toBeNull();
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Wire tap: a loopback TCP relay that decodes the HTTP request lines and the WebSocket text
// frames passing through (client frames are masked; no permessage-deflate is negotiated).

interface TappedRequest {
  conn: number;
  id: string;
  method: string;
  params: unknown;
  response?: { ok: boolean; error?: unknown };
}

interface WireTap {
  port: number;
  http: string[];
  requests: TappedRequest[];
  describe(): string;
  close(): Promise<void>;
}

function startWireTap(upstreamPort: number): Promise<WireTap> {
  const http: string[] = [];
  const requests: TappedRequest[] = [];
  const sockets = new Set<net.Socket>();
  let conns = 0;
  const server = net.createServer((client) => {
    const conn = ++conns;
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const pending = new Map<string, TappedRequest>();
    const fromClient = httpThenFrames(
      (line) => http.push(`#${conn} ${line}`),
      (text) => {
        const frame = safeJson(text);
        if (frame?.type !== 'req') return;
        const req: TappedRequest = { conn, id: String(frame.id), method: String(frame.method), params: frame.params };
        requests.push(req);
        pending.set(req.id, req);
      },
    );
    const fromServer = httpThenFrames(
      () => undefined,
      (text) => {
        const frame = safeJson(text);
        if (frame?.type !== 'res') return;
        const req = pending.get(String(frame.id));
        if (req) req.response = { ok: frame.ok === true, ...(frame.ok === true ? {} : { error: frame.error }) };
      },
    );
    client.on('data', (d: Buffer) => {
      fromClient(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      fromServer(d);
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        http,
        requests,
        describe: () =>
          [
            `wire tap: ${conns} connection(s)`,
            ...http,
            ...requests.map(
              (q) =>
                `#${q.conn} ${q.method} ${JSON.stringify(q.params ?? null).slice(0, 200)} → ${q.response ? JSON.stringify(q.response).slice(0, 300) : '(no response)'}`,
            ),
          ].join('\n'),
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * One direction of a connection: an HTTP head (its first line goes to `onHttp`); after an
 * upgrade (a head mentioning `upgrade: websocket` or a 101 status) the rest is WebSocket frames,
 * whose complete text messages go to `onText`. Plain HTTP connections report every request line.
 */
function httpThenFrames(onHttp: (line: string) => void, onText: (text: string) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  let websocket = false;
  let fragments: Buffer[] = [];
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (!websocket) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      buf = buf.subarray(end + 4);
      onHttp(head.split('\r\n')[0] ?? '');
      if (/^upgrade:\s*websocket/im.test(head) || /^HTTP\/1\.1 101/.test(head)) websocket = true;
      else {
        // Plain HTTP: skip any body and keep looking for the next request head.
        const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
        buf = buf.subarray(Math.min(length, buf.length));
      }
    }
    for (;;) {
      if (buf.length < 2) return;
      const fin = (buf[0]! & 0x80) !== 0;
      const opcode = buf[0]! & 0x0f;
      const masked = (buf[1]! & 0x80) !== 0;
      let length = buf[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buf.length < 4) return;
        length = buf.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buf.length < 10) return;
        length = Number(buf.readBigUInt64BE(2));
        offset = 10;
      }
      const maskAt = offset;
      if (masked) offset += 4;
      if (buf.length < offset + length) return;
      const payload = Buffer.from(buf.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buf[maskAt + (i & 3)]!;
      buf = buf.subarray(offset + length);
      if (opcode === 0x1 || opcode === 0x0) {
        fragments.push(payload);
        if (fin) {
          onText(Buffer.concat(fragments).toString('utf8'));
          fragments = [];
        }
      }
    }
  };
}

/** The clack boxes doctor prints: `◇  Title ───╮`, `│  text  │` lines, `├───╯`. */
function doctorBoxes(stdout: string): Array<{ title: string; body: string }> {
  const boxes: Array<{ title: string; lines: string[] }> = [];
  let current: { title: string; lines: string[] } | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^◇\s+(.+?)\s+─+╮\s*$/.exec(line);
    if (head) {
      current = { title: head[1]!, lines: [] };
      boxes.push(current);
    } else if (current && /^├─+╯/.test(line)) {
      current = undefined;
    } else if (current) {
      const body = /^│(.*)│\s*$/.exec(line);
      if (body?.[1]?.trim()) current.lines.push(body[1].trim());
    }
  }
  return boxes.map((b) => ({ title: b.title, body: b.lines.join(' ') }));
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
