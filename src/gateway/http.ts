import type { IncomingMessage, ServerResponse } from 'node:http';

/** Daemon lifecycle phase (docs/operations.md): what /readyz and `health` answer. */
export type Phase = 'starting' | 'ready' | 'reloading' | 'draining' | 'stopped';

/**
 * The path of an HTTP request target, or null when the target is not origin-form (RFC 9112 §3.2:
 * `/path?query`). Never throws: the target is whatever bytes a peer sent (`//[`, `//%`, `*`,
 * `http://…`), and `new URL(target, base)` throws on some of them (issue 15, finding 1).
 */
export function targetPath(target: string | undefined): string | null {
  if (!target?.startsWith('/')) return null;
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

/**
 * Unauthenticated health routes on the gateway port (protocol reference §7):
 * `/health` `/healthz` → 200 while the process serves; `/startupz` → 200 once started, 503 while
 * starting or draining; `/ready` `/readyz` → 200 only when routes can be answered. Anything else:
 * 404, a method other than GET/HEAD: 405, a target that is not origin-form: 400. Never throws.
 */
export function handleHttp(req: IncomingMessage, res: ServerResponse, phase: Phase): void {
  const path = targetPath(req.url);
  if (path === null) {
    send(res, 400, { ok: false, error: 'bad request target' });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, { ok: false, error: 'method not allowed' });
    return;
  }
  send(res, ...probe(path, phase));
}

/** Status and body of a health route. */
function probe(path: string, phase: Phase): [number, unknown] {
  switch (path) {
    case '/health':
    case '/healthz':
      return [200, { ok: true, status: 'live' }];
    case '/startup':
    case '/startupz':
      return phase === 'starting' || phase === 'draining' ? [503, { ok: false, status: phase }] : [200, { ok: true, status: 'started' }];
    case '/ready':
    case '/readyz':
      return phase === 'ready' || phase === 'reloading' ? [200, { ok: true, status: 'ready' }] : [503, { ok: false, status: phase }];
    default:
      return [404, { ok: false, error: 'not found' }];
  }
}

/** Writes a small JSON response (no body for HEAD). */
export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
