import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { originAllowed } from '../config/index.js';
import { channels, type DecisionEvent, type ProxyRequestEvent, usageFrame } from '../events.js';
import { DashboardSessions } from './sessions.js';

/** What the dashboard reads from (and asks of) the daemon; every call may throw (answered 500/503). */
export interface DashboardSources {
  /** Version, phase, URL. */
  status(): Record<string, unknown>;
  /** Spend: usage report, timeline, keys with budgets (null without a ledger). */
  spend(range: '24h' | '7d' | '30d'): Promise<Record<string, unknown> | null>;
  /** Cooling and recently failed upstreams. */
  providers(): unknown;
  /** Learned corrections: stats and list (null without user memory). */
  learning(): Record<string, unknown> | null;
  /** Forgets one correction; resolves whether it existed. */
  forget(id: number): Promise<boolean>;
  /** Effective config rows: path, value (secrets redacted), source (flag, env, file, default). */
  settings(): Record<string, unknown>;
}

/** Options of the dashboard. */
export interface DashboardOptions {
  sources: DashboardSources;
  /** Browser origins allowed besides loopback ones (gateway.allowedOrigins). */
  allowedOrigins: () => readonly string[];
  /** Errors of a source, for the log. */
  onError: (err: unknown, path: string) => void;
}

/** The session cookie's name. */
export const SESSION_COOKIE = 'srd_dashboard';

/**
 * Content-Security-Policy of every dashboard answer: only this origin's script, style and
 * connections; no frames, no inline script, no third party (issue 21).
 */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
} as const;

/** The built page (scripts/build-ui.mjs → dist/ui/). */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};
/** '../ui/': right from dist/dashboard/ and from the bundled dist/cli/main.js. */
const ASSET_DIR = fileURLToPath(new URL('../ui/', import.meta.url));

/**
 * The local dashboard (issue 21) on the gateway port: the page at `/` (static, built at build time,
 * no CDN), and its API under `/dashboard/`: `POST /dashboard/login {code}` sets the session cookie;
 * with it, `GET /dashboard/api/{status,spend,providers,learning,settings}`, `DELETE
 * /dashboard/api/patches/<id>`, and `GET /dashboard/api/live` (Server-Sent Events: `decision` and
 * `usage`, from the same events as `router.decision` and `router.usage`). A browser Origin other
 * than a loopback or allowed one gets 403, as on the WebSocket; without the cookie, 401.
 */
export class Dashboard {
  readonly sessions = new DashboardSessions();
  private readonly opts: DashboardOptions;
  private readonly assets = new Map<string, Buffer>();
  private readonly live = new Set<ServerResponse>();
  private readonly onDecision = (e: unknown) => this.broadcast('decision', e);
  private readonly onProxied = (e: unknown) => {
    const frame = usageFrame(e as ProxyRequestEvent);
    if (frame) this.broadcast('usage', frame);
  };
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(opts: DashboardOptions) {
    this.opts = opts;
  }

  /** Whether `path` is the dashboard's. */
  handles(path: string): boolean {
    return path in ASSETS || path.startsWith('/dashboard/');
  }

  /** Answers one request; never throws. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (!originAllowed(req.headers.origin, this.opts.allowedOrigins())) {
      this.json(res, 403, { error: 'origin not allowed: the dashboard answers only its own page (loopback or gateway.allowedOrigins)' });
      return;
    }
    const asset = ASSETS[path];
    if (asset) {
      this.serveAsset(req, res, asset);
      return;
    }
    this.api(req, res, path).catch((err: unknown) => {
      this.opts.onError(err, path);
      if (!res.headersSent) this.json(res, 500, { error: 'internal error in smart-routerd' });
      else res.destroy();
    });
  }

  /** Closes the live streams and stops listening to events. */
  close(): void {
    for (const res of this.live) res.end();
    this.stopLive();
  }

  private async api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/dashboard/login') {
      if (req.method !== 'POST') return this.json(res, 405, { error: 'use POST /dashboard/login {code}' });
      const body = await readSmallJson(req);
      const code = typeof body?.code === 'string' ? body.code : '';
      const id = this.sessions.exchange(code);
      if (!id) return this.json(res, 401, { error: 'this code is unknown, used or expired: run `smart-routerd dashboard` again' });
      res.setHeader('set-cookie', `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${12 * 3600}`);
      return this.json(res, 200, { ok: true });
    }
    const session = cookie(req.headers.cookie, SESSION_COOKIE);
    if (!this.sessions.valid(session)) return this.json(res, 401, { error: 'not logged in: run `smart-routerd dashboard` to open this page with a code' });
    if (path === '/dashboard/logout' && req.method === 'POST') {
      this.sessions.end(session);
      res.setHeader('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
      return this.json(res, 200, { ok: true });
    }
    const s = this.opts.sources;
    const patch = /^\/dashboard\/api\/patches\/(\d+)$/.exec(path);
    if (patch) {
      if (req.method !== 'DELETE') return this.json(res, 405, { error: 'use DELETE' });
      const forgotten = await s.forget(Number(patch[1]));
      return this.json(res, forgotten ? 200 : 404, { forgotten });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.json(res, 405, { error: 'use GET' });
    switch (path) {
      case '/dashboard/api/status':
        return this.json(res, 200, s.status());
      case '/dashboard/api/spend': {
        const range = new URL(req.url ?? '/', 'http://x').searchParams.get('range');
        const spend = await s.spend(range === '7d' || range === '30d' ? range : '24h');
        return spend ? this.json(res, 200, spend) : this.json(res, 404, { error: 'the usage ledger is off (ledger.enabled: false)' });
      }
      case '/dashboard/api/providers':
        return this.json(res, 200, { upstreams: s.providers() });
      case '/dashboard/api/learning': {
        const learning = s.learning();
        return learning ? this.json(res, 200, learning) : this.json(res, 404, { error: 'no user memory (memorySearch off)' });
      }
      case '/dashboard/api/settings':
        return this.json(res, 200, s.settings());
      case '/dashboard/api/live':
        return this.openLive(req, res);
      default:
        return this.json(res, 404, { error: `no such dashboard endpoint: ${path}` });
    }
  }

  /** `GET /dashboard/api/live`: an event stream of decisions and proxied requests, never texts. */
  private openLive(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': smart-routerd live decisions\n\n');
    this.live.add(res);
    if (this.live.size === 1) this.startLive();
    req.socket.setTimeout(0);
    res.once('close', () => {
      this.live.delete(res);
      if (this.live.size === 0) this.stopLive();
    });
  }

  private startLive(): void {
    channels.decision.subscribe(this.onDecision);
    channels.proxyRequest.subscribe(this.onProxied);
    this.heartbeat = setInterval(() => {
      for (const res of this.live) res.write(': keep-alive\n\n');
    }, 15_000);
    this.heartbeat.unref();
  }

  private stopLive(): void {
    channels.decision.unsubscribe(this.onDecision);
    channels.proxyRequest.unsubscribe(this.onProxied);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private broadcast(event: 'decision' | 'usage', payload: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(event === 'decision' ? decisionView(payload as DecisionEvent) : payload)}\n\n`;
    for (const res of this.live) res.write(frame);
  }

  private serveAsset(req: IncomingMessage, res: ServerResponse, asset: { file: string; type: string }): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.json(res, 405, { error: 'use GET' });
      return;
    }
    let body = this.assets.get(asset.file);
    if (!body) {
      try {
        body = readFileSync(ASSET_DIR + asset.file);
      } catch {
        this.json(res, 503, { error: 'the dashboard page is not built: run `npm run build`' });
        return;
      }
      this.assets.set(asset.file, body);
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'content-length': body.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(res.req.method === 'HEAD' ? undefined : text);
  }
}

/** A decision as the Live view shows it (the DecisionEvent carries no text). */
function decisionView(e: DecisionEvent): Record<string, unknown> {
  return { ...e };
}

/** One cookie's value from a Cookie header, or undefined. */
function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A JSON body of at most 4 KiB, or null. */
function readSmallJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 4096) {
        req.destroy();
        resolve(null);
      }
    });
    req.on('end', () => {
      try {
        const v: unknown = JSON.parse(text);
        resolve(v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
      } catch {
        resolve(null);
      }
    });
    req.on('error', () => resolve(null));
  });
}
