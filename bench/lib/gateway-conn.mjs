// A lean OpenClaw-protocol client for load generation. Same wire as src/gateway/client.ts
// (wait for connect.challenge, send connect, then `req` frames matched to `res` by id) but with
// counter ids and a callback per request instead of a UUID, a promise and a 30 s timer each, so
// the load generator spends as little of the shared 2 cores as it can. The daemon and the echo
// server are driven by this same code, so whatever it costs is paid on both sides of a ratio.

import WebSocket from 'ws';

/** Protocol version the daemon speaks (src/gateway/frames.ts PROTOCOL_VERSION). */
const PROTOCOL_VERSION = 4;

/** One authenticated connection. */
export class GatewayConn {
  /** @param {WebSocket} ws */
  constructor(ws) {
    this.ws = ws;
    this.pending = new Map();
    this.next = 0;
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type !== 'res') return;
      const cb = this.pending.get(frame.id);
      if (!cb) return;
      this.pending.delete(frame.id);
      cb(frame.ok === true, frame);
    });
    ws.on('close', () => {
      for (const cb of this.pending.values()) cb(false, null);
      this.pending.clear();
    });
  }

  /**
   * Connects to `url` and completes the handshake with `token` (scopes default: operator.read).
   * Rejects on refusal or after 10 s.
   */
  static connect(url, token, scopes = ['operator.read']) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const timer = setTimeout(() => fail(new Error(`handshake with ${url} timed out`)), 10_000);
      const fail = (err) => {
        clearTimeout(timer);
        ws.terminate();
        reject(err);
      };
      ws.once('error', fail);
      ws.once('close', (code, reason) => fail(new Error(`${url} closed during handshake (${code} ${reason})`)));
      ws.on('message', function onHandshake(data) {
        const frame = JSON.parse(data.toString());
        if (frame.type === 'event' && frame.event === 'connect.challenge') {
          ws.send(
            JSON.stringify({
              type: 'req',
              id: 'connect',
              method: 'connect',
              params: {
                minProtocol: PROTOCOL_VERSION,
                maxProtocol: PROTOCOL_VERSION,
                client: { id: 'bench', version: 'bench', platform: process.platform, mode: 'cli' },
                role: 'operator',
                scopes,
                caps: [],
                auth: { token },
              },
            }),
          );
        } else if (frame.type === 'res' && frame.id === 'connect') {
          clearTimeout(timer);
          ws.off('message', onHandshake);
          ws.removeAllListeners('close');
          ws.removeAllListeners('error');
          ws.on('error', () => undefined);
          if (frame.ok) resolve(new GatewayConn(ws));
          else fail(new Error(`connect refused: ${frame.error?.message}`));
        }
      });
    });
  }

  /** Sends `{type:"req", id, method, params}`; `cb(ok, frame)` runs when the matching res arrives. */
  request(method, params, cb) {
    const id = String(++this.next);
    this.pending.set(id, cb);
    this.ws.send(JSON.stringify({ type: 'req', id, method, params }));
  }

  /** Promise form of request(): resolves with the res frame, rejects when ok is false. */
  call(method, params) {
    return new Promise((resolve, reject) => {
      this.request(method, params, (ok, frame) => (ok ? resolve(frame) : reject(new Error(`${method} failed: ${JSON.stringify(frame?.error ?? 'closed')}`))));
    });
  }

  /** Closes the socket and waits for the close. */
  close() {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
    });
  }
}
