import type { IncomingMessage, ServerResponse } from 'node:http';
import { anthropicErrorBody, anthropicErrorTypeForStatus, openaiErrorBody, openaiErrorTypeForStatus } from './translate/index.js';
import type { ClientProtocol } from './turns.js';

/** A request the model API refuses, with the HTTP status it answers. */
export class ProxyError extends Error {
  readonly status: number;
  /** OpenAI's machine error code (e.g. `model_not_found`), or null. */
  readonly code: string | null;
  /** Extra response headers (e.g. retry-after). */
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, code: string | null = null, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/**
 * The error body of a client protocol: OpenAI `{error:{message,type,param,code}}`, Anthropic
 * `{type:"error",error:{type,message}}`, with the type each vendor uses for `status`
 * (translate/errors.ts). `code` is OpenAI's machine code (e.g. `model_not_found`).
 */
export function errorBody(protocol: ClientProtocol, status: number, message: string, code: string | null = null): unknown {
  if (protocol === 'anthropic') return anthropicErrorBody(anthropicErrorTypeForStatus(status), message);
  return openaiErrorBody(openaiErrorTypeForStatus(status), message, null, code);
}

/** Writes a JSON response with `headers` (no body for HEAD). Never throws once headers are sent. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end((res.req as IncomingMessage).method === 'HEAD' ? undefined : text);
}

/** Writes the client protocol's error response. */
export function sendError(
  res: ServerResponse,
  protocol: ClientProtocol,
  status: number,
  message: string,
  code: string | null = null,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, errorBody(protocol, status, message, code), headers);
}

/**
 * Reads a request body up to `maxBytes`. Rejects with ProxyError 413 past it (the rest is not
 * read; the socket is closed after the answer), 400 when the client aborts.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes)
    return Promise.reject(new ProxyError(413, `request body of ${declared} bytes is over proxy.maxBodyBytes (${maxBytes})`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(new ProxyError(413, `request body is over proxy.maxBodyBytes (${maxBytes} bytes)`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', () => reject(new ProxyError(400, 'request body aborted')));
  });
}
