/** The dashboard's calls to its daemon (src/dashboard/server.ts): same origin, session cookie. */

/** An API answer that was not 2xx. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GETs (or DELETEs) a dashboard endpoint and parses its JSON; throws ApiError with the daemon's message. */
export async function api<T>(path: string, method: 'GET' | 'DELETE' = 'GET'): Promise<T> {
  const res = await fetch(path, { method, credentials: 'same-origin', headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
  return body as T;
}

/**
 * Trades a one-time code from the URL fragment (`#code=…`, put there by `smart-routerd dashboard`)
 * for the session cookie, then removes it from the address bar. Resolves whether a code was used.
 */
export async function loginFromFragment(): Promise<boolean> {
  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  if (!code) return false;
  history.replaceState(null, '', location.pathname);
  const res = await fetch('/dashboard/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
  }
  return true;
}

/** USD with 4 decimals (6 under a hundredth of a cent). */
export const usd = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `$${v.toFixed(v !== 0 && Math.abs(v) < 0.0001 ? 6 : 4)}`);
/** A count with thousands separators. */
export const count = (n: number): string => n.toLocaleString('en-US');
/** HH:MM:SS.mmm of an epoch-ms time. */
export const clock = (ts: number): string => new Date(ts).toISOString().slice(11, 23);
