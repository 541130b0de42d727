import { randomUUID } from 'node:crypto';
import { connectRequest } from '../protocol.js';

/**
 * The part of the WHATWG WebSocket API the connection uses: Node ≥ 22's global `WebSocket`
 * (what OpenClaw's Node 24/26 runtime offers a plugin) and `ws`'s EventTarget interface both fit.
 */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: SocketEvent) => void): void;
}

/** The fields of open/message/close/error events that are read. */
export interface SocketEvent {
  data?: unknown;
  code?: number;
  reason?: string;
  message?: string;
  error?: unknown;
}

/** Opens a socket to `url`. */
export type SocketFactory = (url: string) => SocketLike;

/** `tick` interval assumed until `hello-ok.policy.tickIntervalMs` says otherwise (reference §2.3). */
const DEFAULT_TICK_MS = 30_000;
/** Close code of a client whose tick watchdog fired (reference §2.4: the reference client uses 4000). */
const CLOSE_TICK_TIMEOUT = 4000;

/** Connection state. `waiting` = between attempts (backoff); `closed` = closed by its owner. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

/** A request that failed; `kind` says whether the daemon was unreachable, slow, or said no. */
export class RequestFailure extends Error {
  constructor(
    readonly kind: 'unavailable' | 'timeout' | 'error',
    message: string,
    readonly wire?: { code?: string; message?: string; retryable?: boolean },
  ) {
    super(message);
    this.name = 'RequestFailure';
  }
}

/** Options of a RouterConnection. */
export interface ConnectionOptions {
  url: string;
  /** The gateway token, read at every attempt. */
  token: () => string | undefined;
  socket: SocketFactory;
  /** `client.version` in `connect`. */
  version: string;
  /** Budget from opening the socket to `hello-ok`, ms (default 5000). */
  connectTimeoutMs?: number;
  /** Reconnect backoff, doubling from `initialMs` to `maxMs` with ±20 % jitter (default 250 → 30000). */
  backoff?: { initialMs: number; maxMs: number };
  /** The connection failed or was lost; `reason` is one human sentence. */
  onDown?: (reason: string) => void;
  /** `hello-ok` received. */
  onUp?: () => void;
}

interface Pending {
  resolve: (payload: unknown) => void;
  reject: (err: RequestFailure) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One authenticated connection to smart-routerd over the OpenClaw gateway protocol, kept open:
 * waits for `connect.challenge`, sends `connect` (token auth, operator.read + operator.write,
 * client `gateway-client`/`backend`), multiplexes requests by id, closes with 4000 when no frame
 * arrived for 2 × `tickIntervalMs` (the `tick` watchdog, reference §3) and reconnects with
 * exponential backoff. Only a turn waiting for its answer keeps the host process alive (for at
 * most its budget): reconnect, watchdog and background timers are unref'd.
 */
export class RouterConnection {
  private readonly opts: Required<Omit<ConnectionOptions, 'onDown' | 'onUp'>> & Pick<ConnectionOptions, 'onDown' | 'onUp'>;
  private ws: SocketLike | undefined;
  private stateValue: ConnectionState = 'idle';
  private readonly pending = new Map<string, Pending>();
  private readonly openWaiters = new Set<(open: boolean) => void>();
  private counter = 0;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private tickMs = DEFAULT_TICK_MS;
  private lastAttemptAt = -Infinity;
  private lastError: string | undefined;
  private retryAfterMs: number | undefined;
  private shutdownReason: string | undefined;

  constructor(options: ConnectionOptions) {
    this.opts = { connectTimeoutMs: 5000, backoff: { initialMs: 250, maxMs: 30_000 }, ...options };
  }

  /** Current state. */
  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Starts connecting unless connected, connecting or closed (idempotent). */
  start(): void {
    if (this.stateValue === 'idle' || this.stateValue === 'waiting') this.attempt();
  }

  /**
   * Starts an attempt now, ahead of the backoff schedule, when the last one began at least
   * `minIntervalMs` ago; a turn arriving while the daemon is away uses this so routing resumes
   * with the first turn after the daemon is back rather than at the next backoff step.
   */
  kick(minIntervalMs: number): void {
    if ((this.stateValue === 'idle' || this.stateValue === 'waiting') && performance.now() - this.lastAttemptAt >= minIntervalMs) this.attempt();
  }

  /** Resolves true once open, false if the attempt in flight fails or `timeoutMs` passes first. */
  waitOpen(timeoutMs: number): Promise<boolean> {
    if (this.stateValue === 'open') return Promise.resolve(true);
    if (this.stateValue !== 'connecting' || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (open: boolean) => {
        clearTimeout(timer);
        this.openWaiters.delete(done);
        resolve(open);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.openWaiters.add(done);
    });
  }

  /** Why the last attempt or connection failed, if it did. */
  get lastFailure(): string | undefined {
    return this.lastError;
  }

  /**
   * Sends one request on the open connection. Rejects with RequestFailure: `unavailable` when not
   * open or the connection drops, `timeout` after `timeoutMs` (a late answer is dropped), `error`
   * when the daemon answers `ok:false`.
   */
  request<T = unknown>(method: string, params: unknown, timeoutMs: number, options: { background?: boolean } = {}): Promise<T> {
    const ws = this.ws;
    if (this.stateValue !== 'open' || !ws) return Promise.reject(new RequestFailure('unavailable', this.lastError ?? 'not connected'));
    const id = `${++this.counter}:${randomUUID()}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          reject(new RequestFailure('timeout', `no answer to ${method} within ${timeoutMs} ms`));
        },
        Math.max(0, timeoutMs),
      );
      // A turn is waiting on a foreground request (for at most its budget); nobody waits on a background one.
      if (options.background) unref(timer);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        ws.send(JSON.stringify({ type: 'req', id, method, params }));
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new RequestFailure('unavailable', `send failed: ${(err as Error).message}`));
      }
    });
  }

  /** Closes for good: no reconnect, pending requests fail as `unavailable`. */
  close(): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    clearTimeout(this.retryTimer);
    this.teardown('connection closed by the plugin');
    try {
      this.ws?.close(1000, 'plugin stopping');
    } catch {
      // already closed
    }
    this.ws = undefined;
  }

  private attempt(): void {
    clearTimeout(this.retryTimer);
    this.lastAttemptAt = performance.now();
    const token = this.opts.token();
    if (!token) {
      this.fail(`no token for ${this.opts.url} (set the plugin's token or tokenFile, or start smart-routerd once so it writes its token file)`);
      return;
    }
    this.stateValue = 'connecting';
    this.shutdownReason = undefined;
    let ws: SocketLike;
    try {
      ws = this.opts.socket(this.opts.url);
    } catch (err) {
      this.fail(`cannot open ${this.opts.url}: ${(err as Error).message}`);
      return;
    }
    this.ws = ws;
    const connectId = `connect:${randomUUID()}`;
    let socketError: string | undefined;
    this.connectTimer = unref(
      setTimeout(() => {
        if (this.ws !== ws || this.stateValue !== 'connecting') return;
        this.ws = undefined;
        safeClose(ws, 1000, 'connect timeout');
        this.fail(`no hello from ${this.opts.url} within ${this.opts.connectTimeoutMs} ms`);
      }, this.opts.connectTimeoutMs),
    );
    ws.addEventListener('error', (event) => {
      socketError = describeSocketError(event);
    });
    ws.addEventListener('close', (event) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      const how = socketError ?? `closed ${event.code ?? ''}${event.reason ? ` ${event.reason}` : ''}`.trim();
      if (this.stateValue === 'open') {
        this.teardown('connection lost');
        this.fail(`lost the connection to ${this.opts.url} (${this.shutdownReason ?? how})`);
      } else if (this.stateValue === 'connecting') {
        // Node's WebSocket (undici) reports a refused connection as a bare 1006 with no detail.
        this.fail(
          `cannot connect to ${this.opts.url} (${socketError ?? (event.code === 1006 ? 'connection refused or closed before the handshake, 1006' : how)})`,
        );
      }
    });
    ws.addEventListener('message', (event) => {
      if (this.ws !== ws) return;
      const frame = parseFrame(event.data);
      if (!frame) return;
      if (this.stateValue === 'open') {
        this.armWatchdog(ws);
        this.onFrame(frame);
        return;
      }
      if (frame.type === 'event' && frame.event === 'connect.challenge') {
        const client = {
          id: 'gateway-client',
          version: this.opts.version,
          platform: process.platform,
          mode: 'backend',
          displayName: 'openclaw-plugin:smart-routerd',
          instanceId: randomUUID(),
        };
        safeSend(ws, connectRequest(connectId, client, ['operator.read', 'operator.write'], token));
      } else if (frame.type === 'res' && frame.id === connectId) {
        clearTimeout(this.connectTimer);
        if (frame.ok !== true) {
          const error = isRecord(frame.error) ? frame.error : {};
          this.retryAfterMs = error.retryable === true && typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
          this.ws = undefined;
          safeClose(ws, 1000, 'connect refused');
          this.fail(`${this.opts.url} refused the connection: ${typeof error.message === 'string' ? error.message : 'connect failed'}`);
          return;
        }
        const payload = isRecord(frame.payload) ? frame.payload : {};
        const policy = isRecord(payload.policy) ? payload.policy : {};
        this.tickMs = typeof policy.tickIntervalMs === 'number' && policy.tickIntervalMs > 0 ? policy.tickIntervalMs : DEFAULT_TICK_MS;
        this.stateValue = 'open';
        this.failures = 0;
        this.lastError = undefined;
        this.armWatchdog(ws);
        for (const waiter of [...this.openWaiters]) waiter(true);
        this.opts.onUp?.();
      }
    });
  }

  private onFrame(frame: Record<string, unknown>): void {
    if (frame.type === 'res' && typeof frame.id === 'string') {
      const p = this.pending.get(frame.id);
      if (!p) return;
      this.pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.ok === true) p.resolve(frame.payload);
      else {
        const error = isRecord(frame.error) ? frame.error : {};
        const message = typeof error.message === 'string' ? error.message : 'request failed';
        p.reject(
          new RequestFailure('error', message, {
            ...(typeof error.code === 'string' ? { code: error.code } : {}),
            message,
            ...(typeof error.retryable === 'boolean' ? { retryable: error.retryable } : {}),
          }),
        );
      }
    } else if (frame.type === 'event' && frame.event === 'shutdown') {
      const payload = isRecord(frame.payload) ? frame.payload : {};
      this.shutdownReason = `daemon said: ${typeof payload.reason === 'string' ? payload.reason : 'shutdown'}`;
    }
  }

  /** Reference §3: silence for 2 × tickIntervalMs means the link is dead; close 4000 and reconnect. */
  private armWatchdog(ws: SocketLike): void {
    clearTimeout(this.watchdog);
    this.watchdog = unref(
      setTimeout(() => {
        if (this.ws !== ws || this.stateValue !== 'open') return;
        this.ws = undefined;
        safeClose(ws, CLOSE_TICK_TIMEOUT, 'tick timeout');
        this.teardown('tick timeout');
        this.fail(`no frame from ${this.opts.url} for ${2 * this.tickMs} ms (tick watchdog); reconnecting`);
      }, 2 * this.tickMs),
    );
  }

  /** Fails every pending request and open waiter. */
  private teardown(reason: string): void {
    clearTimeout(this.watchdog);
    clearTimeout(this.connectTimer);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RequestFailure('unavailable', reason));
    }
    this.pending.clear();
    for (const waiter of [...this.openWaiters]) waiter(false);
  }

  /** Records a failed attempt or a lost connection and schedules the next attempt. */
  private fail(reason: string): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.watchdog);
    for (const waiter of [...this.openWaiters]) waiter(false);
    if (this.stateValue === 'closed') return;
    this.lastError = reason;
    this.stateValue = 'waiting';
    const { initialMs, maxMs } = this.opts.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    const delay = this.retryAfterMs ?? Math.round(base * (0.8 + Math.random() * 0.4));
    this.retryAfterMs = undefined;
    this.retryTimer = unref(setTimeout(() => this.attempt(), delay));
    this.opts.onDown?.(reason);
  }
}

function parseFrame(data: unknown): Record<string, unknown> | undefined {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer) text = Buffer.from(data).toString('utf8');
  else if (ArrayBuffer.isView(data)) text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  else return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `ECONNREFUSED` and the like, from whichever WebSocket implementation raised the event. */
function describeSocketError(event: SocketEvent): string | undefined {
  const err = event.error as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const code = err?.cause?.code ?? err?.code;
  if (typeof code === 'string') return code;
  const message = err?.cause?.message ?? err?.message ?? event.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

function safeSend(ws: SocketLike, text: string): void {
  try {
    ws.send(text);
  } catch {
    // closing already; the close event reports it
  }
}

function safeClose(ws: SocketLike, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // the implementation may refuse to close a socket that is still connecting
  }
}

function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
