import { existsSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Failure, FailureClass } from './failures.js';

const require = createRequire(import.meta.url);

/** Cooldown settings (openclaw.json `auth.cooldowns`, hours). */
export interface CooldownSettings {
  billingBackoffHours: number;
  billingMaxHours: number;
  failureWindowHours: number;
  /** First transient cooldown, seconds (default TRANSIENT_BASE_MS / 1000). */
  transientBaseSeconds?: number;
  /** Longest transient cooldown, seconds (default TRANSIENT_MAX_MS / 1000). */
  transientMaxSeconds?: number;
}

/** The cooldown file in the state dir. */
export const COOLDOWN_FILE = 'cooldowns.json';
const HOUR = 3_600_000;
/** First cooldown of a transient failure, ms; doubles per repeat within the failure window. */
export const TRANSIENT_BASE_MS = 30_000;
/** Longest transient cooldown, ms. */
export const TRANSIENT_MAX_MS = HOUR;
/** Cooldown after a 429 that sent no retry-after, ms. */
export const RATE_LIMIT_DEFAULT_MS = 60_000;
/** Cooldown of a model an upstream says it does not serve (404), ms. */
export const NOT_FOUND_MS = HOUR;

/** One cooling (or recently failed) key: a profile (`openrouter:default`) or a (profile, model) pair. */
export interface CooldownEntry {
  /** Epoch ms when the key is ready again (≤ now: ready). */
  until: number;
  class: FailureClass;
  reason: string;
  /** Failure times within the failure window, epoch ms. */
  failures: number[];
  /** Consecutive billing cooldowns (the next doubles). */
  billingLevel: number;
}

/** A row of `status` / `models status`. */
export interface CooldownStatus {
  key: string;
  state: 'ready' | 'cooling';
  until: string | null;
  class: FailureClass;
  reason: string;
  failuresInWindow: number;
}

/** Failure classes that cool a whole profile (its key is bad or out of credit); the rest cool one (profile, model). */
const COOLS_PROFILE: ReadonlySet<FailureClass> = new Set(['billing', 'auth']);

/** The key of a (profile, model) pair; a profile alone is its own key. */
export const pairKey = (profile: string, model: string) => `${profile}|${model}`;

/**
 * Cooldowns of auth profiles and (profile, model) pairs, by failure class (issue 13,
 * docs/failover.md): rate limits for retry-after (else 60 s); billing for billingBackoffHours,
 * doubling per repeat up to billingMaxHours; transient failures for transientBaseSeconds (30 s) doubling per repeat
 * within failureWindowHours up to 1 h, jittered ±20%; a bad key (401/403) for failureWindowHours;
 * a model the upstream does not serve (404) for 1 h. The state is a small JSON file in the state
 * dir, written atomically on every change, so a cooldown survives a restart and ends at the same
 * wall-clock time. A file that cannot be read is moved aside (`.corrupt-<time>`) and reported.
 */
export class CooldownStore {
  private readonly entries = new Map<string, CooldownEntry>();
  private readonly file: string | null;
  private settings: CooldownSettings;
  private readonly now: () => number;
  private readonly random: () => number;
  /** Set when the file could not be read at open (and was moved aside). */
  readonly loadError: string | null = null;
  private readonly listeners: Array<(key: string, entry: CooldownEntry) => void> = [];

  constructor(options: { stateDir: string | null; settings: CooldownSettings; now?: () => number; random?: () => number }) {
    this.file = options.stateDir ? path.join(options.stateDir, COOLDOWN_FILE) : null;
    this.settings = options.settings;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    if (this.file && existsSync(this.file)) {
      try {
        const data = JSON.parse(readFileSync(this.file, 'utf8')) as { version?: number; entries?: Record<string, CooldownEntry> };
        if (data.version !== 1 || typeof data.entries !== 'object' || data.entries === null) throw new Error('not a version-1 cooldown file');
        for (const [k, e] of Object.entries(data.entries)) if (Number.isFinite(e.until) && Array.isArray(e.failures)) this.entries.set(k, e);
      } catch (err) {
        const aside = `${this.file}.corrupt-${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}`;
        renameSync(this.file, aside);
        this.loadError = `${this.file} could not be read (${(err as Error).message}); moved to ${aside}`;
      }
    }
  }

  /** Applies new settings (reload); cooldowns in force keep their end times. */
  configure(settings: CooldownSettings): void {
    this.settings = settings;
  }

  /** The failure window, ms (`failureWindowHours`). */
  get failureWindowMs(): number {
    return this.settings.failureWindowHours * HOUR;
  }

  /** Calls `listener` after each cooldown this store records (a cluster shares them: cluster/redis.ts). */
  onRecord(listener: (key: string, entry: CooldownEntry) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Takes in a cooldown another instance recorded: the later end time wins and failure times are
   * merged, so adopting one's own or an older entry changes nothing. Saved like a local one.
   */
  adopt(key: string, entry: CooldownEntry): void {
    if (!Number.isFinite(entry?.until) || !Array.isArray(entry.failures)) return;
    const mine = this.entries.get(key);
    const failures = [...new Set([...(mine?.failures ?? []), ...entry.failures])].sort((a, b) => a - b);
    const newer = !mine || entry.until > mine.until;
    const next: CooldownEntry = newer ? { ...entry, failures } : { ...mine, failures };
    if (mine && !newer && failures.length === mine.failures.length) return;
    this.entries.set(key, next);
    this.save();
  }

  /** Epoch ms of the latest failure of `profile` or of (`profile`, `model`); 0 when none is remembered. */
  lastFailure(profile: string, model: string): number {
    const last = (k: string) => this.entries.get(k)?.failures.at(-1) ?? 0;
    return Math.max(last(profile), last(pairKey(profile, model)));
  }

  /** Ms until `key` is ready (0 = ready now). */
  remainingMs(key: string): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, e.until - this.now()) : 0;
  }

  /**
   * Records a failure of `profile` (and `model`) and cools the key its class names. Returns the
   * key cooled and for how long (ms), or null when the class cools nothing.
   */
  record(profile: string, model: string, failure: Failure): { key: string; ms: number } | null {
    const key = COOLS_PROFILE.has(failure.class) ? profile : pairKey(profile, model);
    if (failure.class === 'bad_request' || failure.class === 'context_length') return null;
    const t = this.now();
    const s = this.settings;
    const previous = this.entries.get(key);
    const failures = [...(previous?.failures ?? []).filter((f) => f > t - s.failureWindowHours * HOUR), t];
    let ms: number;
    let billingLevel = 0;
    switch (failure.class) {
      case 'rate_limit':
        ms = failure.retryAfterMs ?? RATE_LIMIT_DEFAULT_MS;
        break;
      case 'billing':
        // A billing failure soon after the last billing cooldown ended doubles the next one.
        billingLevel = previous?.class === 'billing' && t - previous.until < s.billingMaxHours * HOUR ? previous.billingLevel + 1 : 0;
        ms = Math.min(s.billingBackoffHours * 2 ** billingLevel, s.billingMaxHours) * HOUR;
        break;
      case 'transient':
        ms = Math.round(
          Math.min(
            (s.transientBaseSeconds ?? TRANSIENT_BASE_MS / 1000) * 1000 * 2 ** (failures.length - 1),
            (s.transientMaxSeconds ?? TRANSIENT_MAX_MS / 1000) * 1000,
          ) *
            (0.8 + 0.4 * this.random()),
        );
        break;
      case 'auth':
        ms = s.failureWindowHours * HOUR;
        break;
      default: // not_found
        ms = NOT_FOUND_MS;
    }
    const entry: CooldownEntry = { until: Math.max(previous?.until ?? 0, t + ms), class: failure.class, reason: failure.reason, failures, billingLevel };
    this.entries.set(key, entry);
    this.save();
    for (const listener of this.listeners) listener(key, entry);
    return { key, ms };
  }

  /** Every key with a cooldown or failures in the window (for `status`, `health`, `models status`). */
  status(): CooldownStatus[] {
    const t = this.now();
    const out: CooldownStatus[] = [];
    for (const [key, e] of this.entries) {
      const inWindow = e.failures.filter((f) => f > t - this.settings.failureWindowHours * HOUR).length;
      if (e.until <= t && inWindow === 0) continue;
      out.push({
        key,
        state: e.until > t ? 'cooling' : 'ready',
        until: e.until > t ? new Date(e.until).toISOString() : null,
        class: e.class,
        reason: e.reason,
        failuresInWindow: inWindow,
      });
    }
    return out;
  }

  private save(): void {
    if (!this.file) return;
    const writeFileAtomic = require('write-file-atomic') as typeof import('write-file-atomic');
    writeFileAtomic.sync(this.file, `${JSON.stringify({ version: 1, entries: Object.fromEntries(this.entries) })}\n`, { mode: 0o600 });
  }
}
