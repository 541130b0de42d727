import { randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a one-time code may be exchanged, ms. */
export const CODE_TTL_MS = 120_000;
/** How long a dashboard session lasts, ms (12 h). */
export const SESSION_TTL_MS = 12 * 3_600_000;

/**
 * One-time login codes and the sessions they open (issue 21). `smart-routerd dashboard` asks the
 * daemon for a code over the authenticated WebSocket and opens `/#code=<code>` in the browser: a URL
 * fragment never reaches a server log or a Referer. The page exchanges the code, once, for a session
 * id held in an HttpOnly, SameSite=Strict cookie. Codes and sessions live in memory only: a restart
 * logs everyone out.
 */
export class DashboardSessions {
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** A new one-time code (32 random bytes, base64url) and when it expires (epoch ms). */
  issueCode(): { code: string; expiresAt: number } {
    this.sweep();
    const code = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + CODE_TTL_MS;
    this.codes.set(code, expiresAt);
    return { code, expiresAt };
  }

  /** Exchanges a code for a new session id; null when the code is unknown, used or expired. */
  exchange(code: string): string | null {
    this.sweep();
    const expiresAt = this.codes.get(code);
    if (expiresAt === undefined) return null;
    this.codes.delete(code);
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, this.now() + SESSION_TTL_MS);
    return id;
  }

  /** Whether a session id is live (compared in constant time against each live id). */
  valid(id: string | undefined): boolean {
    if (!id) return false;
    const now = this.now();
    const wanted = Buffer.from(id);
    for (const [live, until] of this.sessions) {
      if (until <= now) continue;
      const b = Buffer.from(live);
      if (b.length === wanted.length && timingSafeEqual(b, wanted)) return true;
    }
    return false;
  }

  /** Ends a session. */
  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [c, until] of this.codes) if (until <= now) this.codes.delete(c);
    for (const [s, until] of this.sessions) if (until <= now) this.sessions.delete(s);
  }
}
