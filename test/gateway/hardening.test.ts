import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { rawExchange, rawUpgrade, rssBytes, textFrame, textFrameHeader } from '../helpers/raw-http.js';
import { connectParams, openRaw } from '../helpers/raw-socket.js';

// Issue 15: each finding of the attack review, replayed against a real daemon on loopback.

let daemon: RunningDaemon;

beforeAll(async () => {
  daemon = await startDaemon();
});
afterAll(async () => {
  await daemon?.stop();
});

/** Health over a fresh authenticated client; rejects past `deadlineMs` (a functional deadline, not a timing). */
async function healthWithin(d: RunningDaemon, deadlineMs: number): Promise<unknown> {
  const client = await d.client({ timeoutMs: deadlineMs });
  try {
    return await client.request('health', {}, deadlineMs);
  } finally {
    client.close();
  }
}

const errorLines = (d: RunningDaemon) => d.lines.filter((l) => /"level":(50|60)/.test(l) || /uncaught|Unhandled/i.test(l));

describe('finding 1: request targets that `new URL` cannot parse', () => {
  it.each([
    ['GET //[ HTTP/1.1', '404'],
    ['GET //% HTTP/1.1', '404'],
    ['OPTIONS //a:99999 HTTP/1.1', '405'],
    ['GET http://evil.example/healthz HTTP/1.1', '400'],
    ['GET * HTTP/1.1', '400'],
  ])('answers `%s` with %s and keeps serving', async (line, status) => {
    const reply = await rawExchange(daemon.port, `${line}\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`);
    expect(reply.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${{ '400': 'Bad Request', '404': 'Not Found', '405': 'Method Not Allowed' }[status]}`);
    expect(daemon.proc.exitCode).toBeNull();
    const res = await fetch(`http://127.0.0.1:${daemon.port}/healthz`);
    expect(res.status).toBe(200);
  });

  it('answers a garbage request line with 400 and drops the socket', async () => {
    const reply = await rawExchange(daemon.port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(reply.startsWith('HTTP/1.1 400')).toBe(true);
    expect(daemon.proc.exitCode).toBeNull();
    expect(errorLines(daemon)).toEqual([]);
  });
});

describe('finding 2: memory before auth', () => {
  it('40 unauthenticated clients announcing 20 MiB frames grow RSS by < 64 MiB, and health is still answered', async () => {
    const before = rssBytes(daemon.proc.pid!);
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const twentyMiB = 20 * 1024 * 1024;
    const flooders = await Promise.all(Array.from({ length: 40 }, () => rawUpgrade(daemon.port)));
    const pushed = flooders.map(async ({ socket, closed }) => {
      socket.write(textFrameHeader(twentyMiB));
      let sent = 0;
      let open = true;
      void closed.then(() => {
        open = false;
      });
      while (open && sent < twentyMiB) {
        if (!socket.write(chunk)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed, new Promise((r) => setTimeout(r, 200))]);
        sent += chunk.length;
      }
      socket.destroy();
    });
    // While the flood is being refused, another (authenticated) client is answered.
    const health = await healthWithin(daemon, 5000);
    expect(health).toMatchObject({ ok: true });
    await Promise.all(pushed);
    const grown = rssBytes(daemon.proc.pid!) - before;
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it('closes a pre-auth frame over 64 KiB with 1009 before reading it all', async () => {
    const up = await rawUpgrade(daemon.port);
    up.socket.write(textFrameHeader(5 * 1024 * 1024));
    up.socket.write(Buffer.alloc(128 * 1024, 0x20));
    await up.closed;
    const bytes = Buffer.concat(up.received);
    // The last frame the server sent is a close frame (opcode 8) with status 1009.
    const closeAt = bytes.lastIndexOf(Buffer.from([0x88]));
    expect(closeAt).toBeGreaterThanOrEqual(0);
    expect(bytes.readUInt16BE(closeAt + 2)).toBe(1009);
  });
});

describe('finding 3: cross-site sockets, token guessing, the challenge nonce', () => {
  it('refuses a WebSocket handshake from a foreign Origin with 403, even with the right token', async () => {
    const ws = new WebSocket(daemon.url, { headers: { origin: 'https://evil.example' } });
    ws.on('error', () => undefined); // ws reports the refused upgrade as an error too
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
    ws.terminate();
  });

  it('accepts loopback origins and clients that send none', async () => {
    for (const origin of ['http://127.0.0.1:5173', 'http://localhost:3000', undefined]) {
      const up = await rawUpgrade(daemon.port, origin ? { origin } : {});
      up.socket.destroy();
    }
    await expect(rawUpgrade(daemon.port, { origin: 'http://192.168.1.5:8080' })).rejects.toThrow(/^HTTP\/1.1 403/);
  });

  it('accepts an origin listed in gateway.allowedOrigins, on the WebSocket and the model API alike', async () => {
    const own = await startDaemon({ config: { gateway: { allowedOrigins: ['https://dash.example'] } } });
    try {
      const up = await rawUpgrade(own.port, { origin: 'https://dash.example' });
      up.socket.destroy();
      await expect(rawUpgrade(own.port, { origin: 'https://other.example' })).rejects.toThrow(/^HTTP\/1.1 403/);
      expect((await fetch(`http://127.0.0.1:${own.port}/v1/models`, { headers: { origin: 'https://dash.example' } })).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${own.port}/v1/models`, { headers: { origin: 'https://other.example' } })).status).toBe(403);
    } finally {
      await own.stop();
    }
  });

  it('does not tell an unauthenticated client where the token file is', async () => {
    const sock = await openRaw(daemon.url);
    await sock.next((f) => f.event === 'connect.challenge');
    sock.send({ type: 'req', id: 'c', method: 'connect', params: connectParams('wrong-token-0000000000') });
    const res = await sock.next((f) => f.id === 'c');
    expect(res.error.message).toMatch(/^unauthorized: gateway token mismatch/);
    expect(res.error.message).not.toContain(daemon.stateDir);
    expect(res.error.message).not.toMatch(/(^|[\s(])\/[\w.-]+\//); // no absolute path of this machine
  });

  describe('a signed device block', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const x = publicKey.export({ format: 'jwk' }).x!;
    const id = createHash('sha256').update(Buffer.from(x, 'base64url')).digest('hex');
    const device = (nonce: string, token: string) => {
      const signedAt = Date.now();
      const payload = ['v3', id, 'cli', 'cli', 'operator', 'operator.read', String(signedAt), token, nonce, 'linux', 'Linux'].join('|');
      return { id, publicKey: x, signature: sign(null, Buffer.from(payload), privateKey).toString('base64url'), signedAt, nonce };
    };
    const params = (token: string, dev: unknown) =>
      connectParams(token, {
        scopes: ['operator.read'],
        client: { id: 'cli', version: 'test', platform: 'linux', deviceFamily: 'Linux', mode: 'cli' },
        device: dev,
      });

    it('connects when it signs this socket’s challenge nonce', async () => {
      const sock = await openRaw(daemon.url);
      const challenge = await sock.next((f) => f.event === 'connect.challenge');
      sock.send({ type: 'req', id: 'c', method: 'connect', params: params(daemon.token, device(challenge.payload.nonce, daemon.token)) });
      expect((await sock.next((f) => f.id === 'c')).ok).toBe(true);
      sock.ws.close();
    });

    it('is refused when replayed on another socket (nonce mismatch), with 1008', async () => {
      const first = await openRaw(daemon.url);
      const challenge = await first.next((f) => f.event === 'connect.challenge');
      const signed = params(daemon.token, device(challenge.payload.nonce, daemon.token));
      first.ws.close();
      const replay = await openRaw(daemon.url);
      await replay.next((f) => f.event === 'connect.challenge');
      replay.send({ type: 'req', id: 'c', method: 'connect', params: signed });
      const res = await replay.next((f) => f.id === 'c');
      expect(res.ok).toBe(false);
      expect(res.error.details.code).toBe('DEVICE_AUTH_NONCE_MISMATCH');
      expect((await replay.closed).code).toBe(1008);
    });

    it('is refused when the signature does not match', async () => {
      const sock = await openRaw(daemon.url);
      const challenge = await sock.next((f) => f.event === 'connect.challenge');
      const dev = { ...device(challenge.payload.nonce, daemon.token), signature: Buffer.alloc(64, 1).toString('base64url') };
      sock.send({ type: 'req', id: 'c', method: 'connect', params: params(daemon.token, dev) });
      const res = await sock.next((f) => f.id === 'c');
      expect(res.error.details.code).toBe('DEVICE_AUTH_SIGNATURE_INVALID');
    });
  });

  it('throttles failed auth per peer: after 10 failures connects are refused unchecked, with retryAfterMs, and logged once', async () => {
    const own = await startDaemon();
    try {
      const attempt = async (token: string) => {
        const sock = await openRaw(own.url);
        await sock.next((f) => f.event === 'connect.challenge');
        sock.send({ type: 'req', id: 'c', method: 'connect', params: connectParams(token) });
        const res = await sock.next((f) => f.id === 'c');
        await sock.closed.catch(() => undefined);
        return res;
      };
      const results = [];
      for (let i = 0; i < 30; i++) results.push(await attempt(`guess-${i}-0000000000`));
      expect(results.slice(0, 10).every((r) => r.error.details.code === 'AUTH_TOKEN_MISMATCH')).toBe(true);
      const limited = results.slice(10);
      expect(limited.every((r) => r.error.details.code === 'AUTH_RATE_LIMITED' && r.error.retryable === true && r.error.retryAfterMs > 0)).toBe(true);
      // Even the right token waits out the window: the throttle does not compare tokens.
      expect((await attempt(own.token)).error.details.code).toBe('AUTH_RATE_LIMITED');
      expect(own.lines.filter((l) => l.includes('connect rejected')).length).toBe(1);
    } finally {
      await own.stop();
    }
  });
});

describe('finding 4: backpressure and the in-flight cap', () => {
  it('drops a client that never reads once its unread output passes maxBufferedBytes, without growing memory', async () => {
    const up = await rawUpgrade(daemon.port);
    up.socket.write(textFrame(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: connectParams(daemon.token) })));
    await new Promise((r) => setTimeout(r, 200));
    up.socket.pause(); // never read again
    const before = rssBytes(daemon.proc.pid!);
    // Each request's error answer echoes a 60 KB method name: 1,500 of them are ~90 MB of output.
    const frame = textFrame(JSON.stringify({ type: 'req', id: 'x', method: 'm'.repeat(60_000) }));
    let open = true;
    void up.closed.then(() => {
      open = false;
    });
    for (let i = 0; i < 1500 && open; i++) {
      if (!up.socket.write(frame)) await Promise.race([new Promise((r) => up.socket.once('drain', r)), up.closed, new Promise((r) => setTimeout(r, 100))]);
    }
    await Promise.race([up.closed, new Promise((r) => setTimeout(r, 10_000))]);
    expect(open).toBe(false);
    expect(rssBytes(daemon.proc.pid!) - before).toBeLessThan(160 * 1024 * 1024);
    // The log line travels through the daemon's stdout pipe and may arrive after the close.
    const logged = () => daemon.lines.some((l) => l.includes('dropping a slow consumer'));
    for (let i = 0; i < 100 && !logged(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(logged()).toBe(true);
    expect(await healthWithin(daemon, 5000)).toMatchObject({ ok: true });
  });

  it('a flood of requests on one connection does not starve health on another', async () => {
    const flood = await daemon.client();
    const answered = { ok: 0, busy: 0 };
    const sent: Promise<void>[] = [];
    let flooding = true;
    const pump = (async () => {
      while (flooding) {
        for (let i = 0; i < 500; i++) {
          sent.push(
            flood.request('route', { text: `flood message number ${i}` }, 60_000).then(
              () => {
                answered.ok++;
              },
              () => {
                answered.busy++;
              },
            ),
          );
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      for (let i = 0; i < 5; i++) expect(await healthWithin(daemon, 2000)).toMatchObject({ ok: true });
    } finally {
      flooding = false;
      await pump;
      await Promise.all(sent);
      flood.close();
    }
    expect(answered.ok + answered.busy).toBe(sent.length);
    expect(answered.ok).toBeGreaterThan(0);
  });
});

describe('smaller findings', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'treats %s as an unknown method, with no internal error logged',
    async (method) => {
      const client = await daemon.client();
      try {
        await expect(client.request(method, {})).rejects.toMatchObject({ error: { code: 'INVALID_REQUEST', message: `unknown method: ${method}` } });
      } finally {
        client.close();
      }
      expect(daemon.lines.filter((l) => l.includes('method failed'))).toEqual([]);
    },
  );
});
