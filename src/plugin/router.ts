import { RequestFailure, RouterConnection, type SocketFactory } from './connection.js';
import type { Tier } from './prefix.js';

/** The fields of the daemon's `route` answer the plugin uses (DESIGN.md §2 step 5). */
export interface Decision {
  decisionId?: string;
  modelTier: Tier;
  selectedModel?: string;
  confidence?: number;
  source?: string;
  intent?: string | null;
  latencyMs?: number;
}

/** A turn's outcome: a decision, or why there is none (the turn then keeps OpenClaw's model). */
export type RouteOutcome = { ok: true; decision: Decision; ms: number } | { ok: false; kind: 'unavailable' | 'timeout' | 'error'; reason: string; ms: number };

/** Where the plugin logs: OpenClaw's `api.logger` (PluginLogger). */
export interface Logger {
  debug?: (message: string) => void;
  info: (message: string) => void;
  warn: (message: string) => void;
}

/** Options of a SmartRouter. */
export interface RouterOptions {
  url: string;
  token: () => string | undefined;
  socket: SocketFactory;
  logger: Logger;
  /** `client.version` in `connect`. */
  version: string;
  backoff?: { initialMs: number; maxMs: number };
  connectTimeoutMs?: number;
  /** A turn arriving while disconnected retries at once when the last attempt is this old (default 1000 ms). */
  retryOnTurnMs?: number;
  /** Prefixed messages kept for the daemon while it is away (default 100; the oldest go first). */
  maxQueuedLearning?: number;
}

/**
 * The plugin's view of smart-routerd: one kept-open connection, `route` with a hard deadline
 * (fail open: the outcome says why there is no decision, it never throws), and one log line per
 * outage. An outage starts with the first failure (cannot connect, connection lost, no answer
 * within the budget, an error answer) and ends with the next connection or decision; the warning
 * is logged when it starts and an info line when it ends, never per turn. Prefixed messages that
 * cannot reach the daemon are kept (bounded) and sent once it is back, so the correction is
 * still learned.
 */
export class SmartRouter {
  private readonly conn: RouterConnection;
  private readonly logger: Logger;
  private readonly url: string;
  private readonly retryOnTurnMs: number;
  private readonly maxQueued: number;
  private outage: { since: number; reason: string; turns: number } | null = null;
  private readonly learningQueue: string[] = [];
  private droppedLearning = 0;
  private connectedOnce = false;
  /** Counters for tests and `logDecisions`. */
  readonly stats = { routed: 0, failedOpen: 0, outages: 0, learningSent: 0 };

  constructor(options: RouterOptions) {
    this.logger = options.logger;
    this.url = options.url;
    this.retryOnTurnMs = options.retryOnTurnMs ?? 1000;
    this.maxQueued = options.maxQueuedLearning ?? 100;
    this.conn = new RouterConnection({
      url: options.url,
      token: options.token,
      socket: options.socket,
      version: options.version,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      onDown: (reason) => this.down(reason),
      onUp: () => this.up(),
    });
  }

  /** Connects ahead of the first turn (OpenClaw's `full` registration, i.e. gateway start-up). */
  warm(): void {
    this.conn.start();
  }

  /** True while an outage is open. */
  get unavailable(): boolean {
    return this.outage !== null;
  }

  /**
   * Asks the daemon for a decision within `timeoutMs` (connecting first if needed). A message
   * starting with a tier prefix is a learning event for the daemon (it records it on an
   * operator.write connection); when the daemon is unreachable it is queued instead.
   */
  async route(text: string, timeoutMs: number, isPrefixed = false): Promise<RouteOutcome> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    if (this.conn.state !== 'open') {
      this.conn.kick(this.retryOnTurnMs);
      if (!(await this.conn.waitOpen(timeoutMs))) {
        if (isPrefixed) this.queueLearning(text);
        return this.failed('unavailable', this.conn.lastFailure ?? `not connected to ${this.url}`, elapsed());
      }
    }
    try {
      const payload = await this.conn.request<unknown>('route', { text: forDaemon(text) }, Math.max(1, timeoutMs - elapsed()));
      const decision = asDecision(payload);
      if (!decision) return this.failed('error', 'the daemon answered route with something that is not a decision', elapsed());
      this.stats.routed += 1;
      this.recovered();
      return { ok: true, decision, ms: elapsed() };
    } catch (err) {
      const f = err instanceof RequestFailure ? err : new RequestFailure('error', String(err));
      if (f.kind === 'unavailable' && isPrefixed) this.queueLearning(text);
      const reason = f.kind === 'timeout' ? `no decision within ${timeoutMs} ms (${f.message})` : f.kind === 'error' ? `route failed: ${f.message}` : f.message;
      return this.failed(f.kind, reason, elapsed());
    }
  }

  /**
   * Sends a prefixed message to the daemon for learning without waiting for the answer (the turn
   * was decided from the prefix already); queued while the daemon is unreachable.
   */
  learn(text: string): void {
    if (this.conn.state !== 'open') {
      this.queueLearning(text);
      this.conn.kick(this.retryOnTurnMs);
      return;
    }
    this.sendLearning(text);
  }

  /** Stops for good (gateway_stop, plugin replaced). */
  close(): void {
    this.conn.close();
  }

  private sendLearning(text: string): void {
    this.stats.learningSent += 1;
    this.conn.request('route', { text: forDaemon(text) }, 30_000, { background: true }).catch((err: unknown) => {
      const f = err instanceof RequestFailure ? err : undefined;
      if (f?.kind === 'unavailable') this.queueLearning(text);
      else this.logger.warn(`smart-routerd: a prefix correction was not learned: ${(err as Error).message}`);
    });
  }

  private queueLearning(text: string): void {
    this.learningQueue.push(text);
    if (this.learningQueue.length > this.maxQueued) {
      this.learningQueue.shift();
      this.droppedLearning += 1;
    }
  }

  private failed(kind: 'unavailable' | 'timeout' | 'error', reason: string, ms: number): RouteOutcome {
    this.stats.failedOpen += 1;
    this.down(reason);
    this.outage!.turns += 1;
    return { ok: false, kind, reason, ms };
  }

  private down(reason: string): void {
    if (this.outage) return;
    this.outage = { since: Date.now(), reason, turns: 0 };
    this.stats.outages += 1;
    this.logger.warn(`smart-routerd unavailable: ${reason}. Agent turns use OpenClaw's configured model until it is back (logged once per outage).`);
  }

  private up(): void {
    if (!this.connectedOnce) {
      this.connectedOnce = true;
      this.logger.debug?.(`smart-routerd: connected to ${this.url}`);
    }
    this.recovered();
    if (this.droppedLearning > 0) {
      this.logger.warn(`smart-routerd: ${this.droppedLearning} prefix correction(s) made while it was away were dropped (queue full)`);
      this.droppedLearning = 0;
    }
    for (const text of this.learningQueue.splice(0)) this.sendLearning(text);
  }

  private recovered(): void {
    if (!this.outage) return;
    const { since, turns } = this.outage;
    this.outage = null;
    const secs = ((Date.now() - since) / 1000).toFixed(1);
    this.logger.info(`smart-routerd is back at ${this.url} after ${secs} s; ${turns} turn(s) used OpenClaw's configured model meanwhile.`);
  }
}

/**
 * At most MAX_ROUTE_CHARS of a message go to the daemon: a prefix and the request's intent are at
 * its start, and one long paste must not eat the turn's budget (measured on the built-in embedder:
 * 8 k characters route in about 4 ms, 100 k in about 25 ms, 400 k in about 95 ms).
 */
export const MAX_ROUTE_CHARS = 8000;

function forDaemon(text: string): string {
  if (text.length <= MAX_ROUTE_CHARS) return text;
  // Do not cut a surrogate pair in half.
  const end = /[\uD800-\uDBFF]/.test(text[MAX_ROUTE_CHARS - 1]!) ? MAX_ROUTE_CHARS - 1 : MAX_ROUTE_CHARS;
  return text.slice(0, end);
}

function asDecision(payload: unknown): Decision | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const d = payload as Record<string, unknown>;
  if (d.modelTier !== 'flagship' && d.modelTier !== 'lightweight') return null;
  if (d.selectedModel !== undefined && typeof d.selectedModel !== 'string') return null;
  return d as unknown as Decision;
}
