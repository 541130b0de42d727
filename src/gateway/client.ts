import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { SrdError } from '../errors.js';
import { connectRequest } from '../protocol.js';
import type { ErrorShape, EventFrame, ResponseFrame } from './frames.js';

/** Options of a client connection. */
export interface ClientOptions {
  token: string;
  /** Scopes to ask for (default read + write). */
  scopes?: string[];
  clientId?: string;
  mode?: string;
  /** Budget for connect + hello, ms (OpenClaw CLI default: 10000). */
  timeoutMs?: number;
}

/** A request the server answered with `ok:false`; `error` is the wire ErrorShape. */
export class GatewayRequestError extends SrdError {
  readonly error: ErrorShape;
  constructor(error: ErrorShape) {
    super('SRD_ERR_GATEWAY_REQUEST', error.message, { details: { wire: error } });
    this.error = error;
  }
}

/**
 * A minimal OpenClaw-protocol client (the CLI's `route`/`status` and the tests use it): waits for
 * `connect.challenge`, sends `connect`, then multiplexes requests by id. Emits `event` for event
 * frames and `close` (code, reason).
 */
export class GatewayClient extends EventEmitter {
  readonly hello: Record<string, unknown>;
  private readonly ws: WebSocket;
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private counter = 0;

  private constructor(ws: WebSocket, hello: Record<string, unknown>) {
    super();
    this.ws = ws;
    this.hello = hello;
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('close', (code, reason) => {
      for (const p of this.pending.values()) p.reject(new SrdError('SRD_ERR_GATEWAY_CONNECT', `connection closed (${code} ${reason.toString()})`));
      this.pending.clear();
      this.emit('close', code, reason.toString());
    });
  }

  /**
   * Connects and completes the handshake. Rejects with SrdError SRD_ERR_GATEWAY_CONNECT
   * (unreachable, timeout, closed) or GatewayRequestError (connect refused: bad token, protocol).
   */
  static connect(url: string, options: ClientOptions): Promise<GatewayClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      let settled = false;
      const done = (err: Error | null, client?: GatewayClient) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          ws.terminate();
          reject(err);
        } else resolve(client!);
      };
      const timer = setTimeout(() => done(new SrdError('SRD_ERR_GATEWAY_CONNECT', `gateway timeout after ${timeoutMs}ms (${url})`)), timeoutMs);
      const connectId = `connect:${randomUUID()}`;
      ws.on('error', (err) =>
        done(
          new SrdError('SRD_ERR_GATEWAY_CONNECT', `gateway not reachable at ${url} (${(err as NodeJS.ErrnoException).code ?? err.message})`, { cause: err }),
        ),
      );
      ws.on('close', (code, reason) => done(new SrdError('SRD_ERR_GATEWAY_CONNECT', `gateway closed the connection (${code} ${reason.toString()})`)));
      ws.on('message', (data) => {
        if (settled) return;
        const frame = JSON.parse(data.toString()) as EventFrame | ResponseFrame;
        if (frame.type === 'event' && frame.event === 'connect.challenge') {
          const client = { id: options.clientId ?? 'cli', version: 'smart-routerd', platform: process.platform, mode: options.mode ?? 'cli' };
          ws.send(connectRequest(connectId, client, options.scopes ?? ['operator.read', 'operator.write'], options.token));
        } else if (frame.type === 'res' && frame.id === connectId) {
          if (frame.ok) {
            ws.removeAllListeners('message');
            ws.removeAllListeners('close');
            ws.removeAllListeners('error');
            ws.on('error', () => undefined);
            done(null, new GatewayClient(ws, frame.payload as Record<string, unknown>));
          } else done(new GatewayRequestError(frame.error!));
        }
      });
    });
  }

  /** Sends one request; resolves with the payload or rejects with GatewayRequestError. */
  request<T = unknown>(method: string, params?: unknown, timeoutMs = 30_000): Promise<T> {
    const id = `${++this.counter}:${randomUUID()}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SrdError('SRD_ERR_GATEWAY_CONNECT', `${method}: no response within ${timeoutMs}ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify(params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params }));
    });
  }

  /** Closes the socket (normal closure). */
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
    });
  }

  private onMessage(text: string): void {
    let frame: EventFrame | ResponseFrame;
    try {
      frame = JSON.parse(text) as EventFrame | ResponseFrame;
    } catch {
      return;
    }
    if (frame.type === 'event') {
      this.emit('event', frame);
      return;
    }
    const p = this.pending.get(frame.id);
    if (!p) return;
    this.pending.delete(frame.id);
    if (frame.ok) p.resolve(frame.payload);
    else p.reject(new GatewayRequestError(frame.error!));
  }
}
