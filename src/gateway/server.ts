import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { isSrdError } from '../errors.js';
import {
  CloseCodes,
  type EventFrame,
  errorResponse,
  errorShape,
  MAX_PAYLOAD_BYTES,
  MAX_PREAUTH_PAYLOAD_BYTES,
  okResponse,
  RequestFrameSchema,
  type ResponseFrame,
} from './frames.js';
import { type HelloContext, handleConnect, hasScope, type Session } from './handshake.js';
import { handleHttp, type Phase } from './http.js';
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
  methods: MethodTable;
  phase: () => Phase;
  health: () => unknown;
  logger: Logger;
}

/** Events advertised in hello-ok. */
const EVENTS = ['connect.challenge', 'tick', 'shutdown'];

interface Conn {
  ws: WebSocket;
  session: Session | null;
  inFlight: number;
  alive: boolean;
}

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

  constructor(opts: GatewayOptions) {
    this.opts = opts;
    this.http = http.createServer((req, res) => handleHttp(req, res, opts.phase()));
    // OpenClaw's gateway does not negotiate permessage-deflate; neither do we (protocol ref §1).
    this.wss = new WebSocketServer({ server: this.http, perMessageDeflate: false, maxPayload: MAX_PAYLOAD_BYTES });
    this.wss.on('connection', (ws) => this.onConnection(ws));
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
        resolve({ port: addr.port, host: addr.address });
      });
    });
  }

  /** Sends an event to every authenticated socket. */
  broadcast(event: string, payload: unknown): void {
    const frame: EventFrame = { type: 'event', event, payload, seq: this.seq++ };
    const text = JSON.stringify(frame);
    for (const c of this.conns) if (c.session && c.ws.readyState === c.ws.OPEN) c.ws.send(text);
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

  private onConnection(ws: WebSocket): void {
    const conn: Conn = { ws, session: null, inFlight: 0, alive: true };
    this.conns.add(conn);
    const log = this.opts.logger;
    const handshakeTimer = setTimeout(() => {
      log.debug('closing socket: no connect within handshake timeout');
      ws.close();
    }, this.opts.handshakeTimeoutMs);
    ws.on('pong', () => (conn.alive = true));
    ws.on('close', () => {
      clearTimeout(handshakeTimer);
      this.conns.delete(conn);
    });
    ws.on('error', (err) => log.debug({ err }, 'socket error'));
    ws.on('message', (data, isBinary) => {
      if (conn.session) {
        this.onRequest(conn, data, isBinary);
        return;
      }
      if (this.onPreAuth(conn, data, isBinary)) clearTimeout(handshakeTimer);
    });
    // OpenClaw protocol v4 handshake: the server speaks first; clients wait for this event.
    this.send(ws, { type: 'event', event: 'connect.challenge', payload: { nonce: randomUUID(), ts: Date.now() } });
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
      this.send(ws, errorResponse(id, errorShape('INVALID_REQUEST', message)));
      ws.close(CloseCodes.POLICY, message);
      return false;
    }
    if (this.opts.phase() === 'starting') {
      this.send(
        ws,
        errorResponse(id, errorShape('UNAVAILABLE', 'gateway starting; retry shortly', { retryable: true, retryAfterMs: 500, details: { reason: 'startup' } })),
      );
      ws.close(CloseCodes.TRY_LATER, 'gateway starting');
      return false;
    }
    const outcome = handleConnect(params, this.helloContext());
    if (!outcome.ok) {
      this.send(ws, errorResponse(id, outcome.error));
      ws.close(outcome.close.code, closeReason(outcome.close.reason));
      this.opts.logger.info({ reason: outcome.error.message }, 'connect rejected');
      return false;
    }
    conn.session = outcome.session;
    this.send(ws, okResponse(id, outcome.hello));
    return true;
  }

  private onRequest(conn: Conn, data: RawData, isBinary: boolean): void {
    const frame = parseFrame(data, isBinary);
    if (frame === undefined) {
      // No id to answer: an error response with an empty id, and the socket stays open (STYLE §10).
      this.send(conn.ws, errorResponse('', errorShape('INVALID_REQUEST', 'invalid frame: not a JSON object')));
      return;
    }
    // Cheap envelope check first (OpenClaw frame-guards); the schema only runs to explain a failure.
    if (!isRequestFrame(frame)) {
      const req = RequestFrameSchema.safeParse(frame);
      const id = typeof frame.id === 'string' ? frame.id : '';
      const issues = req.success ? 'unsupported frame' : req.error.issues.map((i) => `at /${i.path.join('/')}: ${i.message}`).join('; ');
      this.send(conn.ws, errorResponse(id, errorShape('INVALID_REQUEST', `invalid request frame: ${issues}`)));
      return;
    }
    const { id, method, params } = frame;
    conn.inFlight++;
    void this.dispatch(conn.session!, method, params)
      .then((res) => this.send(conn.ws, res.ok ? okResponse(id, res.payload) : errorResponse(id, res.error)))
      .finally(() => conn.inFlight--);
  }

  private async dispatch(
    session: Session,
    method: string,
    params: unknown,
  ): Promise<{ ok: true; payload: unknown } | { ok: false; error: ReturnType<typeof errorShape> }> {
    if (method === 'connect') return { ok: false, error: errorShape('INVALID_REQUEST', 'already connected') };
    const spec = this.opts.methods[method];
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

  private send(ws: WebSocket, frame: ResponseFrame | EventFrame): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
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
