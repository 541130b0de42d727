import WebSocket from 'ws';

/** `error` of a failed response (OpenClaw ErrorShape), with the `details` the auth and scope errors carry. */
export interface FrameError {
  code: string;
  message: string;
  details: { code: string } & Record<string, unknown>;
  retryable: boolean;
  retryAfterMs: number;
}

/** The payload fields the tests read: connect.challenge and tick, hello-ok, route. */
export interface FramePayload {
  nonce: string;
  ts: number;
  type: string;
  protocol: number;
  server: { version: string; connId: string };
  features: { methods: string[]; events: string[] };
  snapshot: { health: { ok: boolean }; uptimeMs: number } & Record<string, unknown>;
  auth: unknown;
  policy: unknown;
  decisionId: string;
}

/**
 * A frame the server sent: the fields of a response and of an event. They are typed as present
 * because a test reads only the fields of the frame it waited for; a missing one fails that test.
 */
export interface Frame {
  type: string;
  id: string;
  event: string;
  seq: number;
  ok: boolean;
  payload: FramePayload;
  error: FrameError;
}

/** A raw WebSocket that records every frame and the close, for protocol-level assertions. */
export interface RawSocket {
  ws: WebSocket;
  frames: Frame[];
  /** Resolves with the next frame matching `pred` (already received ones count). */
  next(pred?: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Resolves with {code, reason} when the server closes. */
  closed: Promise<{ code: number; reason: string }>;
  send(value: unknown): void;
}

/** Opens a socket to `url` without doing the handshake. */
export function openRaw(url: string): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const frames: Frame[] = [];
    const waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
    const closed = new Promise<{ code: number; reason: string }>((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
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
