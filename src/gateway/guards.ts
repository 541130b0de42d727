/**
 * Limits that keep one peer from crashing, starving or hijacking the gateway (issue 15,
 * docs/security.md). Each constant says what it defends.
 */

/** Unauthenticated sockets open at once; more are refused with 1013 (bounds pre-auth memory: × 64 KiB). */
export const MAX_PREAUTH_CONNECTIONS = 256;
/** Requests one authenticated socket may have in flight; at the cap the socket stops being read. */
export const MAX_IN_FLIGHT = 64;
/** Failed `connect` attempts per peer address within AUTH_WINDOW_MS before further ones are refused unchecked. */
export const MAX_AUTH_FAILURES = 10;
/** The sliding window of MAX_AUTH_FAILURES, ms. */
export const AUTH_WINDOW_MS = 60_000;
/** Peer addresses the throttle remembers; the stalest is forgotten first. */
const MAX_TRACKED_PEERS = 4096;

/** What `AuthThrottle.check` says about a peer. */
export type ThrottleVerdict = { limited: false } | { limited: true; retryAfterMs: number };

interface PeerFailures {
  /** Failure times, ms, oldest first, within the window. */
  times: number[];
  /** When the last summary line was logged for this peer, ms (0 = never). */
  loggedAt: number;
  /** Failures since that line. */
  unlogged: number;
}

/**
 * Failed-auth throttle per peer address (issue 15, finding 3: 3,941 token guesses/s, each logged).
 * After MAX_AUTH_FAILURES failures within AUTH_WINDOW_MS, a peer's connects are refused without
 * comparing the token (`AUTH_RATE_LIMITED`, retryable, with retryAfterMs) until the oldest failure
 * leaves the window. `recordFailure` says when to log, so a flood costs one log line per peer per
 * window. Memory is bounded: at most MAX_TRACKED_PEERS addresses.
 */
export class AuthThrottle {
  private readonly peers = new Map<string, PeerFailures>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Whether `peer` is over the limit now. */
  check(peer: string): ThrottleVerdict {
    const entry = this.peers.get(peer);
    if (!entry) return { limited: false };
    this.expire(entry);
    if (entry.times.length < MAX_AUTH_FAILURES) return { limited: false };
    return { limited: true, retryAfterMs: Math.max(1, entry.times[0]! + AUTH_WINDOW_MS - this.now()) };
  }

  /**
   * Records a failed connect from `peer`. Returns the number of failures to log now (the first
   * failure at once, then a summary at most once per window), or 0 to stay quiet.
   */
  recordFailure(peer: string): number {
    const t = this.now();
    let entry = this.peers.get(peer);
    if (!entry) {
      if (this.peers.size >= MAX_TRACKED_PEERS) this.peers.delete(this.peers.keys().next().value!);
      entry = { times: [], loggedAt: 0, unlogged: 0 };
    } else {
      this.peers.delete(peer); // re-inserted below: Map order = least recently failed first
    }
    this.peers.set(peer, entry);
    this.expire(entry);
    entry.times.push(t);
    if (entry.times.length > MAX_AUTH_FAILURES) entry.times.shift();
    entry.unlogged++;
    if (entry.loggedAt === 0 || t - entry.loggedAt >= AUTH_WINDOW_MS) {
      const n = entry.unlogged;
      entry.loggedAt = t;
      entry.unlogged = 0;
      return n;
    }
    return 0;
  }

  private expire(entry: PeerFailures): void {
    const floor = this.now() - AUTH_WINDOW_MS;
    while (entry.times.length > 0 && entry.times[0]! <= floor) entry.times.shift();
  }
}
