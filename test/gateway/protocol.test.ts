import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { connectParams, type Frame, openRaw, type RawSocket } from '../helpers/raw-socket.js';

let daemon: RunningDaemon;

beforeAll(async () => {
  daemon = await startDaemon({ config: { gateway: { tickIntervalMs: 300 } } });
});
afterAll(async () => {
  await daemon?.stop();
});

/** Opens a socket, waits for the challenge and completes connect; returns the socket and hello. */
async function connected(scopes?: string[]): Promise<{ sock: RawSocket; hello: Frame }> {
  const sock = await openRaw(daemon.url);
  await sock.next((f) => f.event === 'connect.challenge');
  sock.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams(daemon.token, scopes ? { scopes } : {}) });
  const hello = await sock.next((f) => f.id === 'c1');
  expect(hello.ok, JSON.stringify(hello)).toBe(true);
  return { sock, hello };
}

describe('handshake (OpenClaw protocol v4)', () => {
  it('sends connect.challenge first, before the client says anything', async () => {
    const sock = await openRaw(daemon.url);
    const first = await sock.next();
    expect(first).toMatchObject({ type: 'event', event: 'connect.challenge' });
    expect(typeof first.payload.nonce).toBe('string');
    expect(Number.isInteger(first.payload.ts)).toBe(true);
    expect(sock.frames[0]).toBe(first);
    sock.ws.close();
  });

  it('answers connect with a full hello-ok: protocol, server, features, snapshot, auth, policy', async () => {
    const { sock, hello } = await connected();
    const p = hello.payload;
    expect(p.type).toBe('hello-ok');
    expect(p.protocol).toBe(4);
    expect(typeof p.server.version).toBe('string');
    expect(typeof p.server.connId).toBe('string');
    expect(p.features.methods).toEqual(expect.arrayContaining(['health', 'status', 'route', 'system-presence', 'config.get']));
    expect(p.features.events).toEqual(expect.arrayContaining(['tick', 'shutdown']));
    expect(p.snapshot).toMatchObject({ presence: [], stateVersion: { presence: 0, health: 0 }, authMode: 'token' });
    expect(p.snapshot.health.ok).toBe(true);
    expect(Number.isInteger(p.snapshot.uptimeMs)).toBe(true);
    expect(p.auth).toEqual({ role: 'operator', scopes: ['operator.read', 'operator.write'] });
    expect(p.policy).toEqual({ maxPayload: 26214400, maxBufferedBytes: 52428800, tickIntervalMs: 300 });
    sock.ws.close();
  });

  it('accepts a probe client offering protocols 3–4 and negotiates 4', async () => {
    const sock = await openRaw(daemon.url);
    await sock.next((f) => f.event === 'connect.challenge');
    sock.send({
      type: 'req',
      id: 'p',
      method: 'connect',
      params: connectParams(daemon.token, {
        minProtocol: 3,
        maxProtocol: 4,
        client: { id: 'openclaw-probe', version: 'dev', platform: 'linux', mode: 'probe' },
      }),
    });
    const res = await sock.next((f) => f.id === 'p');
    expect(res.ok).toBe(true);
    expect(res.payload.protocol).toBe(4);
    sock.ws.close();
  });

  it('rejects a wrong token with an error response, then closes with 1008', async () => {
    const sock = await openRaw(daemon.url);
    await sock.next((f) => f.event === 'connect.challenge');
    sock.send({ type: 'req', id: 'x', method: 'connect', params: connectParams('not-the-token') });
    const res = await sock.next((f) => f.id === 'x');
    expect(res.ok).toBe(false);
    expect(res.error.code).toBe('INVALID_REQUEST');
    expect(res.error.message).toMatch(/^unauthorized: gateway token mismatch/);
    expect(res.error.details.code).toBe('AUTH_TOKEN_MISMATCH');
    const closed = await sock.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/^unauthorized: gateway token mismatch/);
  });

  it('rejects a missing token with AUTH_TOKEN_MISSING and 1008', async () => {
    const sock = await openRaw(daemon.url);
    await sock.next((f) => f.event === 'connect.challenge');
    sock.send({ type: 'req', id: 'x', method: 'connect', params: connectParams(undefined) });
    const res = await sock.next((f) => f.id === 'x');
    expect(res.error.message).toMatch(/^unauthorized: gateway token missing/);
    expect(res.error.details.code).toBe('AUTH_TOKEN_MISSING');
    expect((await sock.closed).code).toBe(1008);
  });

  it('closes with 1002 "protocol mismatch" when the client cannot speak protocol 4', async () => {
    const sock = await openRaw(daemon.url);
    await sock.next((f) => f.event === 'connect.challenge');
    sock.send({ type: 'req', id: 'x', method: 'connect', params: connectParams(daemon.token, { minProtocol: 5, maxProtocol: 6 }) });
    const res = await sock.next((f) => f.id === 'x');
    expect(res.error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'protocol mismatch',
      details: { code: 'PROTOCOL_MISMATCH', clientMinProtocol: 5, clientMaxProtocol: 6, expectedProtocol: 4 },
    });
    expect(await sock.closed).toEqual({ code: 1002, reason: 'protocol mismatch' });
  });

  it('refuses a first request that is not connect, then closes with 1008', async () => {
    const sock = await openRaw(daemon.url);
    await sock.next((f) => f.event === 'connect.challenge');
    sock.send({ type: 'req', id: 'h', method: 'health' });
    const res = await sock.next((f) => f.id === 'h');
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'invalid handshake: first request must be connect' });
    expect((await sock.closed).code).toBe(1008);
  });

  it('closes with 1008 "invalid request frame" when the first frame is not JSON', async () => {
    const sock = await openRaw(daemon.url);
    await sock.next((f) => f.event === 'connect.challenge');
    sock.send('{not json');
    expect(await sock.closed).toEqual({ code: 1008, reason: 'invalid request frame' });
  });

  it('closes with 1008 and the schema path when connect params are invalid', async () => {
    const sock = await openRaw(daemon.url);
    await sock.next((f) => f.event === 'connect.challenge');
    sock.send({ type: 'req', id: 'x', method: 'connect', params: { minProtocol: 4, maxProtocol: 4 } });
    const res = await sock.next((f) => f.id === 'x');
    expect(res.error.message).toMatch(/^invalid connect params: at \/params\/client/);
    expect((await sock.closed).code).toBe(1008);
  });

  it('closes with 1009 when a pre-auth frame exceeds 64 KiB', async () => {
    const sock = await openRaw(daemon.url);
    await sock.next((f) => f.event === 'connect.challenge');
    sock.send({ type: 'req', id: 'big', method: 'connect', params: { pad: 'x'.repeat(70 * 1024) } });
    expect(await sock.closed).toEqual({ code: 1009, reason: 'preauth payload too large' });
  });
});

describe('requests after connect', () => {
  it('answers an unknown method with INVALID_REQUEST "unknown method: X" and keeps the socket usable', async () => {
    const { sock } = await connected();
    sock.send({ type: 'req', id: 'u', method: 'no.such.method', params: {} });
    const res = await sock.next((f) => f.id === 'u');
    expect(res).toMatchObject({ type: 'res', ok: false, error: { code: 'INVALID_REQUEST', message: 'unknown method: no.such.method' } });
    sock.send({ type: 'req', id: 'r', method: 'route', params: { text: 'hello there' } });
    const route = await sock.next((f) => f.id === 'r');
    expect(route.ok).toBe(true);
    sock.ws.close();
  });

  it('answers malformed JSON with an error response and keeps the socket open', async () => {
    const { sock } = await connected();
    sock.send('{"type":"req",');
    const res = await sock.next((f) => f.type === 'res' && f.ok === false);
    expect(res.error.code).toBe('INVALID_REQUEST');
    expect(res.error.message).toMatch(/invalid frame/);
    sock.send({ type: 'req', id: 'h', method: 'health' });
    expect((await sock.next((f) => f.id === 'h')).ok).toBe(true);
    sock.ws.close();
  });

  it('answers a request frame without a method by its id, naming the missing field', async () => {
    const { sock } = await connected();
    sock.send({ type: 'req', id: 'm' });
    const res = await sock.next((f) => f.id === 'm');
    expect(res.ok).toBe(false);
    expect(res.error.message).toMatch(/at \/method/);
    sock.ws.close();
  });

  it('answers route params without text with INVALID_REQUEST naming /params/text', async () => {
    const { sock } = await connected();
    sock.send({ type: 'req', id: 'r', method: 'route', params: {} });
    const res = await sock.next((f) => f.id === 'r');
    expect(res.error.code).toBe('INVALID_REQUEST');
    expect(res.error.message).toMatch(/at \/params\/text/);
    sock.ws.close();
  });

  it('answers concurrent requests on one socket, each by its own id', async () => {
    const { sock } = await connected();
    const texts = Array.from({ length: 40 }, (_, i) => (i % 2 ? `Write a Go function that parses CSV line ${i}` : `good morning, how are you ${i}`));
    texts.forEach((text, i) => {
      sock.send({ type: 'req', id: `q${i}`, method: 'route', params: { text } });
    });
    const answers = await Promise.all(texts.map((_, i) => sock.next((f) => f.id === `q${i}`)));
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(new Set(answers.map((a) => a.payload.decisionId)).size).toBe(40);
    sock.ws.close();
  });

  it('refuses a method whose scope the socket lacks with FORBIDDEN / MISSING_SCOPE', async () => {
    const { sock } = await connected(['operator.read']);
    sock.send({ type: 'req', id: 'd', method: 'device.pair.list' });
    const res = await sock.next((f) => f.id === 'd');
    expect(res.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE', missingScope: 'operator.pairing' } });
    sock.ws.close();
  });

  it('answers the OpenClaw methods doctor and probe call', async () => {
    const { sock } = await connected(['operator.admin']);
    const methods: Array<[string, unknown]> = [
      ['health', undefined],
      ['status', { includeChannelSummary: false }],
      ['system-presence', {}],
      ['config.get', {}],
      ['channels.status', { probe: true, timeoutMs: 1000 }],
      ['diagnostics.stability', { type: 'telemetry.exporter', limit: 1000 }],
      ['doctor.memory.status', { probe: false }],
      ['device.pair.list', {}],
    ];
    methods.forEach(([method, params], i) => {
      sock.send({ type: 'req', id: `m${i}`, method, ...(params === undefined ? {} : { params }) });
    });
    const res = await Promise.all(methods.map((_, i) => sock.next((f) => f.id === `m${i}`)));
    expect(res.map((r) => r.ok)).toEqual(methods.map(() => true));
    expect(res[0]!.payload).toMatchObject({ ok: true, channels: {}, agents: [] });
    expect(res[2]!.payload).toEqual([]);
    expect(JSON.stringify(res[3]!.payload)).not.toContain(daemon.token);
    sock.ws.close();
  });

  it('sends tick events at the advertised interval', async () => {
    const { sock } = await connected();
    const tick = await sock.next((f) => f.event === 'tick', 3000);
    expect(Number.isInteger(tick.payload.ts)).toBe(true);
    sock.ws.close();
  });
});

describe('HTTP health routes on the same port', () => {
  it('answers /healthz, /readyz and /startupz with 200 once ready, and 404 elsewhere', async () => {
    const base = `http://127.0.0.1:${daemon.port}`;
    const get = async (p: string) => {
      const r = await fetch(base + p);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    expect(await get('/healthz')).toEqual({ status: 200, body: { ok: true, status: 'live' } });
    expect(await get('/readyz')).toEqual({ status: 200, body: { ok: true, status: 'ready' } });
    expect(await get('/startupz')).toEqual({ status: 200, body: { ok: true, status: 'started' } });
    expect((await get('/nope')).status).toBe(404);
  });
});
