const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a request's `Origin` may use the gateway port (the WebSocket upgrade and the model API): no Origin (CLI and server clients send
 * none: protocol reference §1), a loopback origin (`http(s)://localhost|127.x.x.x|[::1]`, any
 * port), or one listed in `gateway.allowedOrigins` (exact `scheme://host[:port]`). Browsers always
 * send Origin, so this is what stops any web page from driving the gateway with a stolen or
 * guessed token, or spending the user's provider credit with a `text/plain` POST (issue 15, finding 3).
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  const m = /^https?:\/\/(\[[0-9a-f:.]+\]|[^/:]+)(?::\d{1,5})?$/i.exec(origin);
  if (!m) return false;
  const host = m[1]!.toLowerCase();
  return LOOPBACK_HOSTS.has(host) || /^127(?:\.\d{1,3}){3}$/.test(host);
}
