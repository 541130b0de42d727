import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { originAllowed } from '../config/index.js';
import { isSrdError } from '../errors.js';
import { channels, type GatewayRequestEvent, type ProxyRequestEvent, publish, usageFrame } from '../events.js';
import {
  CloseCodes,
  type EventFrame,
  errorResponse,
  errorShape,
  MAX_BUFFERED_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_PREAUTH_PAYLOAD_BYTES,
  okResponse,
  RequestFrameSchema,
  type ResponseFrame,
} from './frames.js';
import { AuthThrottle, MAX_IN_FLIGHT, MAX_PREAUTH_CONNECTIONS } from './guards.js';
import { type Challenge, type HelloContext, handleConnect, hasScope, type Session } from './handshake.js';
import { handleHttp, type Phase, send as sendJson, targetPath } from './http.js';
import type { MethodTable } from './methods/types.js';

/** What the gateway needs from the daemon. */
export interface GatewayOptions {
  version: string;
  token: string;
  /** Where the token lives, for auth error messages (never the token itself). */
  tokenHint: string;
  tickIntervalMs: number;
  handshakeTimeoutMs: number;
  /** WebSocket ping interval on authenticated sockets (OpenClaw: 25 s). */
  pingIntervalMs?: number;
  /** Browser origins allowed besides loopback ones (`gateway.allowedOrigins`; config/origins.ts). */
  allowedOrigins?: readonly string[];
  /** The model API (proxy/) served on the same port, when the daemon has one. */
  modelApi?: ModelApiHandler;
  /** The dashboard (dashboard/): `/`, its assets and `/dashboard/*`; it applies its own Origin and session rules. */
  pages?: ModelApiHandler;
  /** Prometheus metrics served at `/metrics` (telemetry/), when the daemon has them. */
  metrics?: { scrape(): Promise<{ contentType: string; body: string }> };
  /** Whether the gateway is bound to loopback: then /metrics needs no token. */
  loopback?: boolean;
  methods: MethodTable;
  phase: () => Phase;
  health: () => unknown;
  logger: Logger;
}

/** What the gateway needs of the model API: which paths are its, and how to answer them. */
export interface ModelApiHandler {
  handles(path: string): boolean;
  /** Answers the request; never throws. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): void;
}

/** Events advertised in hello-ok. */
const EVENTS = ['connect.challenge', 'tick', 'shutdown', 'router.decision', 'router.usage'];

interface Conn {
  ws: WebSocket;
  /** The TCP socket under `ws` (pre-auth byte count). */
  socket: Socket;
  /** Peer address, for the auth throttle and logs. */
  peer: string;
  challenge: Challenge;
  session: Session | null;
  inFlight: number;
  /** Reading paused at MAX_IN_FLIGHT. */
  paused: boolean;
  alive: boolean;
}

/** HTTP server limits (issue 15): slow or oversized requests cost a bounded time and memory. */
const HTTP_LIMITS = {
  /** Request head size, bytes (Node's default, stated). */
  maxHeaderSize: 16 * 1024,
  /** Time to receive a request's head, ms (slowloris). */
  headersTimeout: 10_000,
  /** Time to receive a whole request, ms. */
  requestTimeout: 30_000,
  /** Idle keep-alive socket, ms. */
  keepAliveTimeout: 5_000,
} as const;

/**
 * WebSocket + HTTP on one port, speaking the OpenClaw gateway protocol (DESIGN.md §7,
 * protocol reference §1–3, §7): challenge → connect → hello-ok, then concurrent requests
 * answered by id, `tick` events, ping keepalive; `/healthz`, `/readyz`, `/startupz` over HTTP.
 */
export class GatewayServer {
  private readonly opts: GatewayOptions;
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<Conn>();
  private readonly startedAt = performance.now();
  private tickTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private preauth = 0;
  /** Forwards decisions to the sockets that subscribed (`router.subscribe`). */
  private readonly onDecision = (event: unknown) => this.broadcastTo('router.decision', event);
  /** Forwards each finished model-API request (tokens, cost) to the sockets that subscribed to `router.usage`. */
  private readonly onProxied = (event: unknown) => {
    const frame = usageFrame(event as ProxyRequestEvent);
    if (frame) this.broadcastTo('router.usage', frame);
  };
  private readonly throttle = new AuthThrottle();

  constructor(opts: GatewayOptions) {
    this.opts = opts;
    this.http = http.createServer(HTTP_LIMITS, (req, res) => this.onHttp(req, res));
    this.http.keepAliveTimeout = HTTP_LIMITS.keepAliveTimeout;
    // A malformed request (bad request line, oversized head, timeout) never reaches onHttp: answer
    // 400 once and drop the socket; never let it surface as an error of the server.
    this.http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (socket.writable && !socket.writableEnded)
        socket.end(`HTTP/1.1 ${err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400} Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      socket.destroy();
    });
    // OpenClaw's gateway does not negotiate permessage-deflate; neither do we (protocol ref §1).
    // noServer: the upgrade is ours to refuse first (Origin, pre-auth socket cap), before ws reads a byte.
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PAYLOAD_BYTES });
    this.http.on('upgrade', (req, socket: Socket, head) => this.onUpgrade(req, socket, head));
  }

  /** Starts listening; resolves with the bound address. Rejects on EADDRINUSE etc. */
  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        const addr = this.http.address() as AddressInfo;
        this.tickTimer = setInterval(() => this.broadcast('tick', { ts: Date.now() }), this.opts.tickIntervalMs);
        this.pingTimer = setInterval(() => this.ping(), this.opts.pingIntervalMs ?? 25_000);
        this.tickTimer.unref();
        this.pingTimer.unref();
        channels.decision.subscribe(this.onDecision);
        channels.proxyRequest.subscribe(this.onProxied);
        resolve({ port: addr.port, host: addr.address });
      });
    });
  }

  /** Sends an event to the authenticated sockets subscribed to it. */
  private broadcastTo(event: string, payload: unknown): void {
    let text: string | null = null;
    for (const c of this.conns) {
      if (!c.session?.subscriptions.has(event)) continue;
      text ??= JSON.stringify({ type: 'event', event, payload, seq: this.seq++ } satisfies EventFrame);
      this.sendText(c, text);
    }
  }

  /** Sends an event to every authenticated socket. */
  broadcast(event: string, payload: unknown): void {
    const frame: EventFrame = { type: 'event', event, payload, seq: this.seq++ };
    const text = JSON.stringify(frame);
    for (const c of this.conns) if (c.session) this.sendText(c, text);
  }

  /** Requests being handled right now, over all sockets. */
  get inFlight(): number {
    let n = 0;
    for (const c of this.conns) n += c.inFlight;
    return n;
  }

  /** Open sockets (authenticated or not). */
  get connections(): number {
    return this.conns.size;
  }

  /**
   * Graceful stop: refuse new connections, wait up to `drainMs` for in-flight requests, send the
   * protocol's `shutdown` event, close every socket with 1012 (service restart), stop the port.
   */
  async close(options: { drainMs: number; reason?: string }): Promise<void> {
    clearInterval(this.tickTimer);
    clearInterval(this.pingTimer);
    channels.decision.unsubscribe(this.onDecision);
    channels.proxyRequest.unsubscribe(this.onProxied);
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    const deadline = Date.now() + options.drainMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.broadcast('shutdown', { reason: options.reason ?? 'gateway stopping' });
    for (const c of this.conns) c.ws.close(CloseCodes.SERVICE_RESTART, 'service restart');
    const hardStop = setTimeout(() => {
      for (const c of this.conns) c.ws.terminate();
      this.http.closeAllConnections();
    }, 1000);
    hardStop.unref();
    await closed;
    clearTimeout(hardStop);
  }

  /** Plain HTTP on the gateway port: the health routes. A handler that throws answers 500; the process never exits for one request. */
  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      const path = targetPath(req.url);
      if (path === '/metrics' && this.opts.metrics && (req.method === 'GET' || req.method === 'HEAD')) {
        this.serveMetrics(req, res);
        return;
      }
      const pages = this.opts.pages;
      if (path !== null && pages?.handles(path)) {
        pages.handle(req, res, path);
        return;
      }
      const api = this.opts.modelApi;
      if (path !== null && api?.handles(path)) {
        if (!originAllowed(req.headers.origin, this.opts.allowedOrigins ?? [])) {
          sendJson(res, 403, {
            error: {
              message: 'origin not allowed: the model API answers no browser page but loopback ones and gateway.allowedOrigins',
              type: 'permission_error',
            },
          });
          return;
        }
        api.handle(req, res, path);
        return;
      }
      handleHttp(req, res, this.opts.phase());
    } catch (err) {
      this.opts.logger.error({ err }, 'HTTP handler failed');
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal error' });
      else res.destroy();
    }
  }

  /**
   * `GET /metrics` (Prometheus text format): open on loopback, else only with the gateway token as
   * `Authorization: Bearer` (issue 17); a browser origin other than an allowed one gets 403.
   */
  private serveMetrics(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!originAllowed(req.headers.origin, this.opts.allowedOrigins ?? [])) {
      sendJson(res, 403, { ok: false, error: 'origin not allowed' });
      return;
    }
    if (!this.opts.loopback && req.headers.authorization !== `Bearer ${this.opts.token}`) {
      sendJson(res, 401, { ok: false, error: 'metrics off loopback need Authorization: Bearer <gateway token>' });
      return;
    }
    this.opts.metrics!.scrape().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: Error) => {
        this.opts.logger.error({ err }, 'metrics scrape failed');
        sendJson(res, 500, { ok: false, error: 'metrics unavailable' });
      },
    );
  }

  /**
   * WebSocket upgrade (protocol reference §1), refused with a plain HTTP status before ws sees it:
   * a browser Origin that is neither loopback nor configured → 403; more than
   * MAX_PREAUTH_CONNECTIONS unauthenticated sockets → 503.
   */
  private onUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const refuse = (status: number, reason: string) => {
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
      );
      socket.destroy();
    };
    socket.on('error', () => undefined); // a reset before the upgrade completes is the peer's business
    const origin = req.headers.origin;
    if (!originAllowed(origin, this.opts.allowedOrigins ?? [])) {
      this.opts.logger.debug({ origin }, 'WebSocket upgrade refused: origin not allowed');
      refuse(403, 'origin not allowed');
      return;
    }
    if (this.preauth >= MAX_PREAUTH_CONNECTIONS) {
      refuse(503, 'too many unauthenticated connections');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, socket, head.length));
  }

  private onConnection(ws: WebSocket, socket: Socket, headBytes: number): void {
    const challenge: Challenge = { nonce: randomUUID(), ts: Date.now() };
    const conn: Conn = { ws, socket, peer: socket.remoteAddress ?? 'unknown', challenge, session: null, inFlight: 0, paused: false, alive: true };
    this.conns.add(conn);
    this.preauth++;
    const log = this.opts.logger;
    const endPreauth = () => {
      if (conn.session || !this.conns.has(conn)) return;
      this.preauth--;
      socket.off('data', countPreauth);
      clearTimeout(handshakeTimer);
    };
    const handshakeTimer = setTimeout(() => {
      log.debug('closing socket: no connect within handshake timeout');
      ws.close();
    }, this.opts.handshakeTimeoutMs);
    // Pre-auth limit at the socket layer (issue 15, finding 2): ws buffers a frame up to maxPayload
    // (25 MiB) before it emits it, so the 64 KiB pre-auth limit is counted on the raw bytes and the
    // socket stops being read as soon as it is passed. One frame is allowed before `connect`.
    let preauthBytes = headBytes;
    const countPreauth = (chunk: Buffer) => {
      preauthBytes += chunk.length;
      if (preauthBytes <= MAX_PREAUTH_PAYLOAD_BYTES + 14 /* largest frame header */) return;
      socket.off('data', countPreauth);
      socket.pause();
      ws.close(CloseCodes.TOO_LARGE, 'preauth payload too large');
      setTimeout(() => ws.terminate(), 1000).unref();
    };
    socket.on('data', countPreauth);
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('close', () => {
      endPreauth();
      this.conns.delete(conn);
    });
    ws.on('error', (err) => log.debug({ err }, 'socket error'));
    ws.on('message', (data, isBinary) => {
      if (conn.session) {
        this.onRequest(conn, data, isBinary);
        return;
      }
      if (this.onPreAuth(conn, data, isBinary)) {
        this.preauth--;
        socket.off('data', countPreauth);
        clearTimeout(handshakeTimer);
      }
    });
    // OpenClaw protocol v4 handshake: the server speaks first; clients wait for this event.
    this.send(conn, { type: 'event', event: 'connect.challenge', payload: { nonce: challenge.nonce, ts: challenge.ts } });
  }

  /** Handles the first frame; returns true once the socket is authenticated. */
  private onPreAuth(conn: Conn, data: RawData, isBinary: boolean): boolean {
    const { ws } = conn;
    const size = rawSize(data);
    if (size > MAX_PREAUTH_PAYLOAD_BYTES) {
      ws.close(CloseCodes.TOO_LARGE, 'preauth payload too large');
      return false;
    }
    const frame = parseFrame(data, isBinary);
    const req = frame === undefined ? undefined : RequestFrameSchema.safeParse(frame);
    if (!req?.success) {
      ws.close(CloseCodes.POLICY, 'invalid request frame');
      return false;
    }
    const { id, method, params } = req.data;
    if (method !== 'connect') {
      const message = 'invalid handshake: first request must be connect';
      this.send(conn, errorResponse(id, errorShape('INVALID_REQUEST', message)));
      ws.close(CloseCodes.POLICY, message);
      return false;
    }
    if (this.opts.phase() === 'starting') {
      this.send(
        conn,
        errorResponse(id, errorShape('UNAVAILABLE', 'gateway starting; retry shortly', { retryable: true, retryAfterMs: 500, details: { reason: 'startup' } })),
      );
      ws.close(CloseCodes.TRY_LATER, 'gateway starting');
      return false;
    }
    const throttled = this.throttle.check(conn.peer);
    if (throttled.limited) {
      const message = 'unauthorized: too many failed auth attempts; retry later';
      const error = errorShape('INVALID_REQUEST', message, {
        retryable: true,
        retryAfterMs: throttled.retryAfterMs,
        details: { code: 'AUTH_RATE_LIMITED', authReason: 'rate_limited', canRetryWithDeviceToken: false, recommendedNextStep: 'wait_then_retry' },
      });
      this.send(conn, errorResponse(id, error));
      ws.close(CloseCodes.POLICY, message);
      this.throttle.recordFailure(conn.peer);
      return false;
    }
    const outcome = handleConnect(params, this.helloContext(), conn.challenge);
    if (!outcome.ok) {
      this.send(conn, errorResponse(id, outcome.error));
      ws.close(outcome.close.code, closeReason(outcome.close.reason));
      const failures = this.throttle.recordFailure(conn.peer);
      // Bounded logging: the first failure from a peer at once, then one line per window with the count.
      if (failures > 0) this.opts.logger.info({ peer: conn.peer, failures, reason: outcome.error.message }, 'connect rejected');
      return false;
    }
    conn.session = outcome.session;
    this.send(conn, okResponse(id, outcome.hello));
    return true;
  }

  private onRequest(conn: Conn, data: RawData, isBinary: boolean): void {
    const frame = parseFrame(data, isBinary);
    if (frame === undefined) {
      // No id to answer: an error response with an empty id, and the socket stays open (STYLE §10).
      this.send(conn, errorResponse('', errorShape('INVALID_REQUEST', 'invalid frame: not a JSON object')));
      return;
    }
    // Cheap envelope check first (OpenClaw frame-guards); the schema only runs to explain a failure.
    if (!isRequestFrame(frame)) {
      const req = RequestFrameSchema.safeParse(frame);
      const id = typeof frame.id === 'string' ? frame.id : '';
      const issues = req.success ? 'unsupported frame' : req.error.issues.map((i) => `at /${i.path.join('/')}: ${i.message}`).join('; ');
      this.send(conn, errorResponse(id, errorShape('INVALID_REQUEST', `invalid request frame: ${issues}`)));
      return;
    }
    const { id, method, params } = frame;
    // Per-connection in-flight cap (issue 15, finding 4): at the cap the socket is no longer read,
    // so a flood waits in its own TCP buffers and other sockets keep their turn. Frames ws had
    // already buffered when reading paused are refused with the protocol's retryable error.
    if (conn.inFlight >= MAX_IN_FLIGHT) {
      const error = errorShape('UNAVAILABLE', `too many requests in flight on this connection (at most ${MAX_IN_FLIGHT})`, {
        retryable: true,
        retryAfterMs: 10,
      });
      this.send(conn, errorResponse(id, error));
      return;
    }
    if (++conn.inFlight === MAX_IN_FLIGHT) {
      conn.paused = true;
      conn.ws.pause();
    }
    void this.dispatch(conn.session!, method, params)
      .then((res) => {
        // Only registered method names become a label value: the set stays bounded.
        const known = Object.hasOwn(this.opts.methods, method) || method === 'connect';
        publish<GatewayRequestEvent>(channels.gatewayRequest, { method: known ? method : 'unknown', outcome: res.ok ? 'ok' : res.error.code });
        this.send(conn, res.ok ? okResponse(id, res.payload) : errorResponse(id, res.error));
      })
      .finally(() => {
        conn.inFlight--;
        if (conn.paused && conn.inFlight < MAX_IN_FLIGHT / 2) {
          conn.paused = false;
          conn.ws.resume();
        }
      });
  }

  private async dispatch(
    session: Session,
    method: string,
    params: unknown,
  ): Promise<{ ok: true; payload: unknown } | { ok: false; error: ReturnType<typeof errorShape> }> {
    if (method === 'connect') return { ok: false, error: errorShape('INVALID_REQUEST', 'already connected') };
    // Own properties only: `constructor`, `__proto__` and `toString` are no methods (issue 15).
    const spec = Object.hasOwn(this.opts.methods, method) ? this.opts.methods[method] : undefined;
    if (!spec) return { ok: false, error: errorShape('INVALID_REQUEST', `unknown method: ${method}`) };
    if (!hasScope(session.scopes, spec.scope)) {
      return {
        ok: false,
        error: errorShape('FORBIDDEN', `missing scope: ${spec.scope}`, {
          details: { code: 'MISSING_SCOPE', missingScope: spec.scope, requiredScopes: [spec.scope] },
        }),
      };
    }
    if (this.opts.phase() === 'draining') {
      return { ok: false, error: errorShape('UNAVAILABLE', 'gateway stopping', { retryable: true, retryAfterMs: 1000 }) };
    }
    try {
      return { ok: true, payload: await spec.handler(params, session) };
    } catch (err) {
      if (isSrdError(err)) return { ok: false, error: errorShape(err.wire, err.message, { details: { code: err.code, ...err.details } }) };
      this.opts.logger.error({ err, method }, 'method failed');
      return { ok: false, error: errorShape('UNAVAILABLE', `internal error in ${method}`, { retryable: true }) };
    }
  }

  private helloContext(): HelloContext {
    return {
      version: this.opts.version,
      token: this.opts.token,
      tokenHint: this.opts.tokenHint,
      tickIntervalMs: this.opts.tickIntervalMs,
      methods: Object.keys(this.opts.methods),
      events: EVENTS,
      uptimeMs: () => performance.now() - this.startedAt,
      health: () => this.opts.health(),
    };
  }

  private ping(): void {
    for (const c of this.conns) {
      if (!c.session) continue;
      // OpenClaw websocket-keepalive: no pong since the last ping → the peer is gone.
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  /**
   * Sends one frame. A peer whose unread output passes MAX_BUFFERED_BYTES (50 MiB, advertised in
   * hello-ok `policy.maxBufferedBytes`) is a slow consumer: closed with 1008 and dropped, so one
   * socket that never reads cannot grow the daemon's memory (issue 15, finding 4).
   */
  private send(conn: Conn, frame: ResponseFrame | EventFrame): void {
    this.sendText(conn, JSON.stringify(frame));
  }

  private sendText(conn: Conn, text: string): void {
    const { ws } = conn;
    if (ws.readyState !== ws.OPEN) return;
    ws.send(text);
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.opts.logger.warn({ peer: conn.peer, bufferedBytes: ws.bufferedAmount }, 'dropping a slow consumer: its unread output passed maxBufferedBytes');
      ws.close(CloseCodes.POLICY, 'slow consumer');
      ws.terminate();
    }
  }
}

/** `{type:"req", id, method}` with non-empty string id and method (params and extra fields free). */
function isRequestFrame(f: Record<string, unknown>): f is { type: 'req'; id: string; method: string; params?: unknown } {
  return (
    f.type === 'req' &&
    typeof f.id === 'string' &&
    f.id.length > 0 &&
    typeof f.method === 'string' &&
    f.method.length > 0 &&
    (f.traceparent === undefined || (typeof f.traceparent === 'string' && f.traceparent.length <= 128))
  );
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function parseFrame(data: RawData, isBinary: boolean): Record<string, unknown> | undefined {
  if (isBinary) return undefined;
  try {
    // A Buffer is decoded in place (Buffer.from(buffer) would copy it first); an ArrayBuffer is wrapped, not copied.
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const text = buf.toString('utf8');
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Close reasons are limited to 123 bytes of UTF-8 (RFC 6455 §5.5). */
function closeReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}
