/** The WebSocket surface the plugin's connection uses, and the helpers around one socket and its frames. */

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

/** A message's data (text or binary UTF-8) as a JSON object, or undefined when it is not one. */
export function parseFrame(data: unknown): Record<string, unknown> | undefined {
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
export function describeSocketError(event: SocketEvent): string | undefined {
  const err = event.error as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const code = err?.cause?.code ?? err?.code;
  if (typeof code === 'string') return code;
  const message = err?.cause?.message ?? err?.message ?? event.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

/** Sends `text`, ignoring a socket that is already closing. */
export function safeSend(ws: SocketLike, text: string): void {
  try {
    ws.send(text);
  } catch {
    // closing already; the close event reports it
  }
}

/** Closes `ws`, ignoring an implementation that refuses to. */
export function safeClose(ws: SocketLike, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // the implementation may refuse to close a socket that is still connecting
  }
}

/** Lets the host process exit while only `timer` is pending; returns it. */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** A JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
