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
const MINUTE = 60_000;

/**
 * Virtual keys with budgets and rate limits (issue 14; LiteLLM "Virtual Keys": `max_budget` per
 * `budget_duration`, reset when the window ends; `rpm_limit`, `tpm_limit` per minute; `models`).
 * Keys are `sk-srd-` + 32 random bytes (base64url), shown once and stored as SHA-256. Rate
 * windows are kept in memory (sliding 60 s); spend is kept in the store with the ledger rows.
 */
export class VirtualKeys {
  private readonly store: LedgerStore;
  private readonly now: () => number;
  /** Request times in the last minute, per key hash. */
  private readonly requests = new Map<string, number[]>();
  /** Token counts in the last minute, per key hash. */
  private readonly tokens = new Map<string, Array<{ ts: number; n: number }>>();

  constructor(store: LedgerStore, now: () => number = Date.now) {
    this.store = store;
    this.now = now;
  }

  /** Creates a key; returns it (the only time it is seen) and its record. Throws RangeError for a bad spec. */
  create(spec: KeySpec): { key: string; record: KeyRecord } {
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
    this.store.insertKey(record);
    return { key, record };
  }

  /** The record of a presented key (by its hash), or null when it was never issued. */
  find(key: string): KeyRecord | null {
    return this.store.key(hashKey(key));
  }

  /** A key by its hash or alias (for `keys info` / `/key/info`), current window applied. */
  lookup(hashOrAlias: string): KeyRecord | null {
    const byHash = this.store.key(hashOrAlias) ?? this.store.key(hashKey(hashOrAlias));
    const found = byHash ?? this.store.keys().find((k) => k.alias === hashOrAlias) ?? null;
    return found ? this.current(found) : null;
  }

  /** Every key, current windows applied. */
  list(): KeyRecord[] {
    return this.store.keys().map((k) => this.current(k));
  }

  /** Revokes a key by hash; returns the record, or null when there is none. */
  revoke(hash: string): KeyRecord | null {
    const k = this.store.key(hash);
    if (!k) return null;
    return k.revokedAt !== null ? k : this.store.updateKey(hash, { revokedAt: this.now() });
  }

  /**
   * Admits one request of `key` for `models` (the names the request may be known by: as asked,
   * and its resolved ref), or throws KeyLimitError: 401 revoked; 403 a model outside the key's
   * `models`; 429 over `max_budget` in this window, or `rpm_limit` / `tpm_limit` in the last minute
   * (naming the limit and when it resets). An admitted request counts towards rpm at once.
   */
  admit(key: KeyRecord, models: readonly string[]): KeyRecord {
    if (key.revokedAt !== null) throw new KeyLimitError(401, 'revoked', `this key was revoked at ${new Date(key.revokedAt).toISOString()}`);
    const now = this.now();
    const k = this.current(key);
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
    const recent = inWindow(this.requests, k.hash, now, (t) => t);
    if (k.rpmLimit !== null && recent.length >= k.rpmLimit) {
      const reset = recent[0]! + MINUTE;
      throw new KeyLimitError(
        429,
        'rpm_limit',
        `rate limit: rpm_limit ${k.rpmLimit} requests per minute reached; resets at ${new Date(reset).toISOString()}`,
        reset,
      );
    }
    const used = inWindow(this.tokens, k.hash, now, (e) => e.ts);
    const total = used.reduce((s, e) => s + e.n, 0);
    if (k.tpmLimit !== null && total >= k.tpmLimit) {
      const reset = used[0]!.ts + MINUTE;
      throw new KeyLimitError(
        429,
        'tpm_limit',
        `rate limit: tpm_limit ${k.tpmLimit} tokens per minute reached (${total} used); resets at ${new Date(reset).toISOString()}`,
        reset,
      );
    }
    recent.push(now);
    this.requests.set(k.hash, recent);
    return k;
  }

  /** Counts an answered request's tokens towards its key's tpm. */
  countTokens(hash: string, n: number): void {
    if (n <= 0) return;
    const list = this.tokens.get(hash) ?? [];
    list.push({ ts: this.now(), n });
    this.tokens.set(hash, list);
  }

  /** The key with its budget window rolled forward when it ended (spend back to 0; stored). */
  private current(k: KeyRecord): KeyRecord {
    if (k.budgetDuration === null || k.budgetResetAt === null) return k;
    const now = this.now();
    if (now < k.budgetResetAt) return k;
    let end = k.budgetResetAt;
    while (end <= now) end = windowEnd(k.budgetDuration, end);
    return this.store.updateKey(k.hash, { spend: 0, budgetResetAt: end }) ?? k;
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
