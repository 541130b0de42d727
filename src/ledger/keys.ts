import { createHash, randomBytes } from 'node:crypto';
import { windowEnd } from './duration.js';
import type { KeyRecord, LedgerStore } from './store.js';

/** The prefix of every key smart-routerd issues (LiteLLM issues `sk-…`). */
export const KEY_PREFIX = 'sk-srd-';

/** What a new key is created with: LiteLLM `/key/generate` fields, camel-cased. */
export interface KeySpec {
  alias?: string | null;
  maxBudget?: number | null;
  budgetDuration?: string | null;
  models?: string[];
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  metadata?: Record<string, unknown>;
}

/** A request a key may not make now: 429 for a limit, 403 for a model, 401 for a revoked key. */
export class KeyLimitError extends Error {
  readonly status: 401 | 403 | 429;
  /** The limit at fault, in LiteLLM's field names. */
  readonly limit: 'max_budget' | 'rpm_limit' | 'tpm_limit' | 'models' | 'revoked';
  /** When the limit resets (epoch ms), or null when it does not. */
  readonly resetAt: number | null;
  constructor(status: 401 | 403 | 429, limit: KeyLimitError['limit'], message: string, resetAt: number | null = null) {
    super(message);
    this.status = status;
    this.limit = limit;
    this.resetAt = resetAt;
  }
}

/** SHA-256 hex of a key: the only form in which keys are stored. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Length of the rpm/tpm window, ms. */
export const MINUTE = 60_000;

/** A limit a key's request would pass: which, how much is used, and when the oldest use leaves the window (epoch ms). */
export interface RateExcess {
  limit: 'rpm_limit' | 'tpm_limit';
  used: number;
  resetAt: number;
}

/**
 * Where rpm/tpm windows are counted (sliding 60 s): this process (LocalRateLimits) or Redis,
 * shared by a team's instances (cluster/redis-limits.ts, issue 20).
 */
export interface RateLimits {
  /**
   * Admits one request of key `hash` at `now` when neither limit (null: none) is reached, counting
   * it towards rpm; else resolves the excess and counts nothing.
   */
  admit(hash: string, now: number, rpmLimit: number | null, tpmLimit: number | null): Promise<RateExcess | null>;
  /** Counts `n` tokens of an answered request towards the key's tpm. */
  countTokens(hash: string, now: number, n: number): Promise<void>;
}

/** rpm/tpm windows in this process's memory: each instance counts alone. */
export class LocalRateLimits implements RateLimits {
  /** Request times in the last minute, per key hash. */
  private readonly requests = new Map<string, number[]>();
  /** Token counts in the last minute, per key hash. */
  private readonly tokens = new Map<string, Array<{ ts: number; n: number }>>();

  async admit(hash: string, now: number, rpmLimit: number | null, tpmLimit: number | null): Promise<RateExcess | null> {
    const recent = inWindow(this.requests, hash, now, (t) => t);
    if (rpmLimit !== null && recent.length >= rpmLimit) return { limit: 'rpm_limit', used: recent.length, resetAt: recent[0]! + MINUTE };
    const used = inWindow(this.tokens, hash, now, (e) => e.ts);
    const total = used.reduce((s, e) => s + e.n, 0);
    if (tpmLimit !== null && total >= tpmLimit) return { limit: 'tpm_limit', used: total, resetAt: used[0]!.ts + MINUTE };
    recent.push(now);
    this.requests.set(hash, recent);
    return null;
  }

  async countTokens(hash: string, now: number, n: number): Promise<void> {
    if (n <= 0) return;
    const list = this.tokens.get(hash) ?? [];
    list.push({ ts: now, n });
    this.tokens.set(hash, list);
  }
}

/**
 * Virtual keys with budgets and rate limits (issue 14; LiteLLM "Virtual Keys": `max_budget` per
 * `budget_duration`, reset when the window ends; `rpm_limit`, `tpm_limit` per minute; `models`).
 * Keys are `sk-srd-` + 32 random bytes (base64url), shown once and stored as SHA-256. Rate
 * windows are counted by `limits` (sliding 60 s; in memory unless a cluster shares them in Redis);
 * spend is kept in the store with the ledger rows and read fresh at every admission, so instances
 * sharing a store see each other's charges.
 */
export class VirtualKeys {
  private readonly store: LedgerStore;
  private readonly now: () => number;
  /** rpm/tpm windows; swapped by `useLimits` when a cluster's Redis comes and goes. */
  private limits: RateLimits;

  constructor(store: LedgerStore, now: () => number = Date.now, limits: RateLimits = new LocalRateLimits()) {
    this.store = store;
    this.now = now;
    this.limits = limits;
  }

  /** Counts rpm/tpm with `limits` from now on (the cluster's Redis, or back to local). */
  useLimits(limits: RateLimits): void {
    this.limits = limits;
  }

  /** Creates a key; returns it (the only time it is seen) and its record. Throws RangeError for a bad spec. */
  async create(spec: KeySpec): Promise<{ key: string; record: KeyRecord }> {
    if (spec.budgetDuration) windowEnd(spec.budgetDuration, 0); // validates
    for (const [name, v] of [
      ['max_budget', spec.maxBudget],
      ['rpm_limit', spec.rpmLimit],
      ['tpm_limit', spec.tpmLimit],
    ] as const) {
      if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new RangeError(`${name}: expected a number ≥ 0`);
    }
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const now = this.now();
    const record: KeyRecord = {
      hash: hashKey(key),
      alias: spec.alias ?? null,
      preview: `${KEY_PREFIX}…${key.slice(-4)}`,
      createdAt: now,
      revokedAt: null,
      maxBudget: spec.maxBudget ?? null,
      budgetDuration: spec.budgetDuration ?? null,
      budgetResetAt: spec.budgetDuration ? windowEnd(spec.budgetDuration, now) : null,
      spend: 0,
      totalSpend: 0,
      models: spec.models ?? [],
      rpmLimit: spec.rpmLimit ?? null,
      tpmLimit: spec.tpmLimit ?? null,
      metadata: spec.metadata ?? {},
    };
    await this.store.insertKey(record);
    return { key, record };
  }

  /** The record of a presented key (by its hash), or null when it was never issued. */
  find(key: string): Promise<KeyRecord | null> {
    return this.store.key(hashKey(key));
  }

  /** A key by its hash or alias (for `keys info` / `/key/info`), current window applied. */
  async lookup(hashOrAlias: string): Promise<KeyRecord | null> {
    const byHash = (await this.store.key(hashOrAlias)) ?? (await this.store.key(hashKey(hashOrAlias)));
    const found = byHash ?? (await this.store.keys()).find((k) => k.alias === hashOrAlias) ?? null;
    return found ? this.current(found) : null;
  }

  /** Every key, current windows applied. */
  async list(): Promise<KeyRecord[]> {
    const out: KeyRecord[] = [];
    for (const k of await this.store.keys()) out.push(await this.current(k));
    return out;
  }

  /** Revokes a key by hash; returns the record, or null when there is none. */
  async revoke(hash: string): Promise<KeyRecord | null> {
    const k = await this.store.key(hash);
    if (!k) return null;
    return k.revokedAt !== null ? k : this.store.updateKey(hash, { revokedAt: this.now() });
  }

  /**
   * Admits one request of `key` for `models` (the names the request may be known by: as asked,
   * and its resolved ref), or throws KeyLimitError: 401 revoked; 403 a model outside the key's
   * `models`; 429 over `max_budget` in this window, or `rpm_limit` / `tpm_limit` in the last minute
   * (naming the limit and when it resets). An admitted request counts towards rpm at once. The
   * key's spend is read from the store again, so a charge made by another instance counts.
   */
  async admit(key: KeyRecord, models: readonly string[]): Promise<KeyRecord> {
    if (key.revokedAt !== null) throw new KeyLimitError(401, 'revoked', `this key was revoked at ${new Date(key.revokedAt).toISOString()}`);
    const now = this.now();
    const fresh = key.maxBudget !== null ? await this.store.key(key.hash) : key;
    if (fresh?.revokedAt != null) throw new KeyLimitError(401, 'revoked', `this key was revoked at ${new Date(fresh.revokedAt).toISOString()}`);
    const k = await this.current(fresh ?? key);
    if (k.models.length > 0 && !models.some((m) => k.models.includes(m))) {
      throw new KeyLimitError(403, 'models', `this key may not use ${models[0]}; its models: ${k.models.join(', ')}`);
    }
    if (k.maxBudget !== null && k.spend >= k.maxBudget) {
      const when =
        k.budgetResetAt !== null
          ? `resets at ${new Date(k.budgetResetAt).toISOString()} (budget_duration ${k.budgetDuration})`
          : 'no budget_duration, so it does not reset';
      throw new KeyLimitError(429, 'max_budget', `budget exceeded: spent $${k.spend.toFixed(6)} of max_budget $${k.maxBudget}; ${when}`, k.budgetResetAt);
    }
    const excess = await this.limits.admit(k.hash, now, k.rpmLimit, k.tpmLimit);
    if (excess?.limit === 'rpm_limit') {
      throw new KeyLimitError(
        429,
        'rpm_limit',
        `rate limit: rpm_limit ${k.rpmLimit} requests per minute reached; resets at ${new Date(excess.resetAt).toISOString()}`,
        excess.resetAt,
      );
    }
    if (excess) {
      throw new KeyLimitError(
        429,
        'tpm_limit',
        `rate limit: tpm_limit ${k.tpmLimit} tokens per minute reached (${excess.used} used); resets at ${new Date(excess.resetAt).toISOString()}`,
        excess.resetAt,
      );
    }
    return k;
  }

  /** Counts an answered request's tokens towards its key's tpm. */
  countTokens(hash: string, n: number): Promise<void> {
    return this.limits.countTokens(hash, this.now(), n);
  }

  /** The key with its budget window rolled forward when it ended (spend back to 0; stored, once across instances). */
  private async current(k: KeyRecord): Promise<KeyRecord> {
    if (k.budgetDuration === null || k.budgetResetAt === null) return k;
    const now = this.now();
    if (now < k.budgetResetAt) return k;
    let end = k.budgetResetAt;
    while (end <= now) end = windowEnd(k.budgetDuration, end);
    return (await this.store.rollWindow(k.hash, k.budgetResetAt, end)) ?? k;
  }
}

/** The entries of `map[hash]` in the last minute (older ones dropped), oldest first. */
function inWindow<T>(map: Map<string, T[]>, hash: string, now: number, ts: (e: T) => number): T[] {
  const list = map.get(hash) ?? [];
  let drop = 0;
  while (drop < list.length && ts(list[drop]!) <= now - MINUTE) drop++;
  const kept = drop > 0 ? list.slice(drop) : list;
  if (kept.length === 0) map.delete(hash);
  else map.set(hash, kept);
  return kept;
}
