/**
 * A circuit breaker for one remote embedding provider, so that a provider that is down costs one
 * fast failure per message instead of a timeout per message (issue 6). The classic three states
 * (Nygard, "Release It!", Circuit Breaker; also the model of opossum and resilience4j):
 *
 *   closed ──failureThreshold consecutive failures──► open ──cooldownMs──► half-open
 *     ▲                                                 ▲                      │ one probe call
 *     └──────────────── probe succeeds ─────────────────┼──── probe fails ─────┘
 *
 * In `open`, and in `half-open` while the probe is in flight, calls are refused without touching
 * the network. A provider's Retry-After also holds the circuit open for that long (`hold`); a
 * hold alone is the server's instruction, not a verdict on its health, so when it ends the
 * circuit goes back to closed rather than half-open.
 */

/** Breaker state. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Tuning; both come from config `memorySearch.remote.breaker`. */
export interface BreakerOptions {
  /** Consecutive failures that open the circuit, integer ≥ 1. */
  failureThreshold: number;
  /** ms the circuit stays open before a probe is let through. */
  cooldownMs: number;
  /** Clock, ms since the epoch (tests inject one). Default Date.now. */
  now?: () => number;
  /** Called on every state change, after it happened. */
  onChange?: (from: BreakerState, to: BreakerState, snapshot: BreakerSnapshot) => void;
}

/** What `status` shows. Times are ms since the epoch. */
export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  failureThreshold: number;
  cooldownMs: number;
  /** When the circuit last opened, null while it never did. */
  openedAt: number | null;
  /** While open: when the next probe will be let through. */
  retryAt: number | null;
  /** Why it is open (the last failure), null when closed. */
  reason: string | null;
  /** Times it opened since start. */
  opens: number;
  /** Calls refused without a network attempt since start. */
  rejected: number;
}

/** Why admit() refused a call. */
export interface BreakerRejection {
  state: 'open' | 'half-open';
  /** ms until a probe may go through (0 while a probe is in flight). */
  retryInMs: number;
  reason: string | null;
  consecutiveFailures: number;
}

/** Circuit breaker; single-threaded (the daemon's main thread), no timers of its own. */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt: number | null = null;
  private retryAt: number | null = null;
  private reason: string | null = null;
  private probing = false;
  /** Open only because of hold(): ends in closed, not half-open. */
  private heldOnly = false;
  private opens = 0;
  private rejected = 0;
  private readonly options: BreakerOptions;
  private readonly now: () => number;

  constructor(options: BreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be an integer ≥ 1 (got ${options.failureThreshold})`);
    }
    if (!(options.cooldownMs >= 0)) throw new RangeError(`cooldownMs must be ≥ 0 (got ${options.cooldownMs})`);
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /**
   * Asks to make a call. Returns null when it may go ahead (in half-open it becomes the probe:
   * report its outcome with success/failure), else why not. Never throws.
   */
  admit(): BreakerRejection | null {
    const now = this.now();
    if (this.state === 'open' && now >= (this.retryAt ?? 0)) {
      if (this.heldOnly) {
        this.heldOnly = false;
        this.retryAt = null;
        this.transition('closed');
      } else this.transition('half-open');
    }
    if (this.state === 'closed') return null;
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return null;
    }
    this.rejected++;
    return {
      state: this.state,
      retryInMs: this.state === 'open' ? Math.max(0, (this.retryAt ?? now) - now) : 0,
      reason: this.reason,
      consecutiveFailures: this.failures,
    };
  }

  /** The provider answered usefully (or answered at all, e.g. a 400 about one input): close. */
  success(): void {
    this.failures = 0;
    this.heldOnly = false;
    this.probing = false;
    this.reason = null;
    this.retryAt = null;
    if (this.state !== 'closed') this.transition('closed');
  }

  /** A call failed in a way that says the provider is unwell (network, timeout, 5xx, 429, auth, garbage). */
  failure(reason: string): void {
    this.failures++;
    this.reason = reason;
    const wasProbe = this.state === 'half-open';
    this.probing = false;
    if (wasProbe || (this.state === 'closed' && this.failures >= this.options.failureThreshold)) {
      this.heldOnly = false;
      this.open(this.options.cooldownMs);
    }
  }

  /** Holds the circuit open for at least `ms` (a provider's Retry-After), whatever the count. */
  hold(ms: number, reason: string): void {
    this.reason = reason;
    this.probing = false;
    const until = this.now() + ms;
    if (this.state === 'open' && (this.retryAt ?? 0) >= until) return;
    this.heldOnly = this.state === 'closed' || (this.state === 'open' && this.heldOnly);
    this.open(ms);
  }

  /** Current state, with the half-open transition applied if the cooldown has passed. */
  snapshot(): BreakerSnapshot {
    const expired = this.state === 'open' && this.now() >= (this.retryAt ?? 0);
    const state: BreakerState = expired ? (this.heldOnly ? 'closed' : 'half-open') : this.state;
    return {
      state,
      consecutiveFailures: this.failures,
      failureThreshold: this.options.failureThreshold,
      cooldownMs: this.options.cooldownMs,
      openedAt: this.openedAt,
      retryAt: state === 'open' ? this.retryAt : null,
      reason: state === 'closed' ? null : this.reason,
      opens: this.opens,
      rejected: this.rejected,
    };
  }

  private open(forMs: number): void {
    const now = this.now();
    this.openedAt = now;
    this.retryAt = now + forMs;
    this.opens++;
    this.transition('open', true);
  }

  private transition(to: BreakerState, force = false): void {
    const from = this.state;
    if (from === to && !force) return;
    this.state = to;
    if (to === 'half-open') this.probing = false;
    this.options.onChange?.(from, to, this.snapshot());
  }
}
