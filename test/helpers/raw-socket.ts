import WebSocket from 'ws';

/** A raw WebSocket that records every frame and the close, for protocol-level assertions. */
export interface RawSocket {
  ws: WebSocket;
  frames: Array<Record<string, any>>;
  /** Resolves with the next frame matching `pred` (already received ones count). */
  next(pred?: (f: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  /** Resolves with {code, reason} when the server closes. */
  closed: Promise<{ code: number; reason: string }>;
  send(value: unknown): void;
}

/** Opens a socket to `url` without doing the handshake. */
export function openRaw(url: string): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const frames: Array<Record<string, any>> = [];
    const waiters: Array<{ pred: (f: Record<string, any>) => boolean; resolve: (f: Record<string, any>) => void }> = [];
    const closed = new Promise<{ code: number; reason: string }>((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, any>;
      frames.push(frame);
      for (const w of [...waiters])
        if (w.pred(frame)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(frame);
        }
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        frames,
        closed,
        send: (value) => ws.send(typeof value === 'string' ? value : JSON.stringify(value)),
        next: (pred = () => true, timeoutMs = 5000) => {
          const seen = frames.find(pred);
          if (seen) return Promise.resolve(seen);
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`)), timeoutMs);
            waiters.push({
              pred,
              resolve: (f) => {
                clearTimeout(t);
                res(f);
              },
            });
          });
        },
      }),
    );
  });
}

/** Standard connect params as the OpenClaw CLI sends them (protocol reference §2.2). */
export function connectParams(token: string | undefined, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: 'cli', version: '2026.9.6', platform: 'linux', mode: 'cli', instanceId: 'test' },
    caps: [],
    role: 'operator',
    scopes: ['operator.read', 'operator.write'],
    ...(token === undefined ? {} : { auth: { token } }),
    ...overrides,
  };
}
