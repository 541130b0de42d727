/** What a session is pinned to. */
export interface StickyEntry {
  model: string;
  tier: 'flagship' | 'lightweight';
  /** Epoch ms after which the pin lapses. */
  expiresAt: number;
}

/**
 * Where a team's instances share their sessions' pins (cluster/redis.ts RedisSticky): `get` answers
 * null when it has none or cannot be reached (the local pin then stands), `set` never throws.
 */
export interface StickyRemote {
  get(session: string): Promise<StickyEntry | null>;
  set(session: string, entry: StickyEntry): void;
}

/** Sessions remembered at once; the least recently used is forgotten first. */
const MAX_SESSIONS = 10_000;

/** The outcome of `StickySessions.decide`. */
export interface StickyOutcome {
  model: string;
  tier: 'flagship' | 'lightweight';
  /** Why stickiness changed (or kept) the router's choice, for `reasoning`; null when it did not matter. */
  note: string | null;
}

/**
 * Sticky sessions (issue 12): a provider's prompt cache is lost when a conversation hops between
 * models, so later turns of a conversation stay on the model its session is pinned to, for
 * `ttlMinutes` after its last turn. Exceptions: a prefix command moves the session, and a
 * flagship decision upgrades a lightweight session; a session never moves down within the TTL.
 */
export class StickySessions {
  private readonly sessions = new Map<string, StickyEntry>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private remote: StickyRemote | null = null;

  constructor(ttlMinutes: number, now: () => number = Date.now) {
    this.ttlMs = ttlMinutes * 60_000;
    this.now = now;
  }

  /** Shares pins with other instances from now on (null: this instance's alone). */
  share(remote: StickyRemote | null): void {
    this.remote = remote;
  }

  /**
   * Applies the session's pin to the router's choice and records the outcome. `forced` = the
   * decision came from a prefix command. With a TTL of 0, or no key, the router's choice stands.
   * With a remote (a team's Redis), the pin another instance set for the session counts too (the
   * one that expires later wins), and this outcome is written back.
   */
  async decide(key: string | null, choice: { model: string; tier: 'flagship' | 'lightweight'; forced: boolean }): Promise<StickyOutcome> {
    if (key === null || this.ttlMs === 0) return { ...choice, note: null };
    const shared = this.remote ? await this.remote.get(key) : null;
    const t = this.now();
    const own = this.sessions.get(key);
    const pinned = shared && (!own || shared.expiresAt > own.expiresAt) ? shared : own;
    let outcome: StickyOutcome = { model: choice.model, tier: choice.tier, note: null };
    if (pinned && pinned.expiresAt > t && pinned.model !== choice.model) {
      if (choice.forced) outcome.note = `prefix moved the session from ${pinned.model}`;
      else if (pinned.tier === 'lightweight' && choice.tier === 'flagship') outcome.note = `flagship decision upgraded the session from ${pinned.model}`;
      else outcome = { model: pinned.model, tier: pinned.tier, note: `sticky session: kept on ${pinned.model} (router chose ${choice.model})` };
    }
    this.sessions.delete(key);
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const entry: StickyEntry = { model: outcome.model, tier: outcome.tier, expiresAt: t + this.ttlMs };
    this.sessions.set(key, entry);
    this.remote?.set(key, entry);
    return outcome;
  }
}
