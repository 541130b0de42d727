import type { IncomingMessage, ServerResponse } from 'node:http';

/** Daemon lifecycle phase (docs/operations.md): what /readyz and `health` answer. */
export type Phase = 'starting' | 'ready' | 'reloading' | 'draining' | 'stopped';

/**
 * Unauthenticated health routes on the gateway port (protocol reference §7):
 * `/health` `/healthz` → 200 while the process serves; `/startupz` → 200 once started, 503 while
 * starting or draining; `/ready` `/readyz` → 200 only when routes can be answered.
 */
export function handleHttp(req: IncomingMessage, res: ServerResponse, phase: Phase): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { ok: false, error: 'method not allowed' });
  switch (url.pathname) {
    case '/health':
    case '/healthz':
      return send(res, 200, { ok: true, status: 'live' });
    case '/startup':
    case '/startupz':
      return phase === 'starting' || phase === 'draining' ? send(res, 503, { ok: false, status: phase }) : send(res, 200, { ok: true, status: 'started' });
    case '/ready':
    case '/readyz':
      return phase === 'ready' || phase === 'reloading' ? send(res, 200, { ok: true, status: 'ready' }) : send(res, 503, { ok: false, status: phase });
    default:
      return send(res, 404, { ok: false, error: 'not found' });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
