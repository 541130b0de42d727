import { randomUUID } from 'node:crypto';
import { connectFrame, connectRefusal, DEFAULT_TICK_MS, helloTickMs } from './handshake.js';
import { PendingRequests, RequestFailure } from './requests.js';
import { describeSocketError, isRecord, parseFrame, type SocketEvent, type SocketFactory, type SocketLike, safeClose, safeSend, unref } from './socket.js';

export { RequestFailure } from './requests.js';
export type { SocketEvent, SocketFactory, SocketLike } from './socket.js';

/** Close code of a client whose tick watchdog fired (reference §2.4: the reference client uses 4000). */
const CLOSE_TICK_TIMEOUT = 4000;

/** Connection state. `waiting` = between attempts (backoff); `closed` = closed by its owner. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

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
  private readonly requests = new PendingRequests();
  private readonly openWaiters = new Set<(open: boolean) => void>();
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
    return this.requests.send<T>(ws, method, params, timeoutMs, options.background);
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

  /** One connection attempt: open a socket, answer the challenge, wait for `hello-ok` within connectTimeoutMs. */
  private attempt(): void {
    clearTimeout(this.retryTimer);
    this.lastAttemptAt = performance.now();
    const token = this.opts.token();
    if (!token) {
      this.fail(`no token for ${this.opts.url} (set the plugin's token or tokenFile, or start smart-routerd once so it writes its token file)`);
      return;
    }
    const ws = this.openSocket();
    if (!ws) return;
    const connectId = `connect:${randomUUID()}`;
    let socketError: string | undefined;
    this.connectTimer = unref(setTimeout(() => this.onConnectTimeout(ws), this.opts.connectTimeoutMs));
    ws.addEventListener('error', (event) => {
      socketError = describeSocketError(event);
    });
    ws.addEventListener('close', (event) => this.onClose(ws, event, socketError));
    ws.addEventListener('message', (event) => this.onMessage(ws, event, connectId, token));
  }

  /** Enters `connecting` and opens the socket; a factory that throws is a failed attempt (undefined). */
  private openSocket(): SocketLike | undefined {
    this.stateValue = 'connecting';
    this.shutdownReason = undefined;
    let ws: SocketLike;
    try {
      ws = this.opts.socket(this.opts.url);
    } catch (err) {
      this.fail(`cannot open ${this.opts.url}: ${(err as Error).message}`);
      return undefined;
    }
    this.ws = ws;
    return ws;
  }

  /** No `hello-ok` within connectTimeoutMs: close the socket and fail the attempt. */
  private onConnectTimeout(ws: SocketLike): void {
    if (this.ws !== ws || this.stateValue !== 'connecting') return;
    this.ws = undefined;
    safeClose(ws, 1000, 'connect timeout');
    this.fail(`no hello from ${this.opts.url} within ${this.opts.connectTimeoutMs} ms`);
  }

  /** The current socket closed: an open connection is lost, an attempt failed; `socketError` is its last error event's. */
  private onClose(ws: SocketLike, event: SocketEvent, socketError: string | undefined): void {
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
  }

  /** A frame on the current socket: once open, answers and events; before, the handshake (challenge, then the answer to `connectId`). */
  private onMessage(ws: SocketLike, event: SocketEvent, connectId: string, token: string): void {
    if (this.ws !== ws) return;
    const frame = parseFrame(event.data);
    if (!frame) return;
    if (this.stateValue === 'open') {
      this.armWatchdog(ws);
      this.onFrame(frame);
    } else if (frame.type === 'event' && frame.event === 'connect.challenge') {
      safeSend(ws, connectFrame(connectId, this.opts.version, token));
    } else if (frame.type === 'res' && frame.id === connectId) {
      clearTimeout(this.connectTimer);
      if (frame.ok === true) this.onHello(ws, frame.payload);
      else this.onRefused(ws, frame.error);
    }
  }

  /** `hello-ok`: open, with the announced tick interval; resets the backoff and wakes the waiters. */
  private onHello(ws: SocketLike, payload: unknown): void {
    this.tickMs = helloTickMs(payload);
    this.stateValue = 'open';
    this.failures = 0;
    this.lastError = undefined;
    this.armWatchdog(ws);
    for (const waiter of [...this.openWaiters]) waiter(true);
    this.opts.onUp?.();
  }

  /** The daemon refused `connect`: close, and retry after the wait it asked for (else the backoff). */
  private onRefused(ws: SocketLike, error: unknown): void {
    const refusal = connectRefusal(error);
    this.retryAfterMs = refusal.retryAfterMs;
    this.ws = undefined;
    safeClose(ws, 1000, 'connect refused');
    this.fail(`${this.opts.url} refused the connection: ${refusal.message}`);
  }

  /** A frame on the open connection: an answer to a request, or the daemon's `shutdown` event (kept to explain the close). */
  private onFrame(frame: Record<string, unknown>): void {
    if (frame.type === 'res' && typeof frame.id === 'string') this.requests.answer(frame.id, frame);
    else if (frame.type === 'event' && frame.event === 'shutdown') {
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
    this.requests.failAll(reason);
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
