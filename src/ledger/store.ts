/**
 * The ledger's storage interface (issue 14): what the ledger and the virtual keys need of a
 * database, so that a server backend (PostgreSQL, issue 20) can stand beside the embedded SQLite
 * one (sqlite-store.ts) without the callers changing.
 */

/** One proxied request, as the ledger records it. Times are epoch ms, durations ms, costs USD. */
export interface UsageRow {
  /** Request id (`req_…`), also the `x-request-id` answered. */
  id: string;
  ts: number;
  /** SHA-256 hex of the virtual key used, or null (gateway token, configured key, or none). */
  keyHash: string | null;
  /** The key's alias, `master`, `config-key` or `anonymous`. */
  keyName: string;
  session: string | null;
  /** `/v1/chat/completions`, `/v1/messages`, `/v1/responses`. */
  endpoint: string;
  /** The model as the client named it (`smart-routerd/auto`, `opus`, …). */
  requestedModel: string;
  /** The model ref that answered (null: none did). */
  model: string | null;
  provider: string | null;
  tier: string | null;
  intent: string | null;
  decisionId: string | null;
  /** Who decided the model: the router stage, `sticky`, or `explicit`. */
  source: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Whether the upstream reported the counts (false: none reported, counts are 0 or estimated). */
  usageReported: boolean;
  costUsd: number;
  latencyMs: number;
  ttfbMs: number | null;
  /** HTTP status answered to the client. */
  status: number;
  /** Candidates tried. */
  attempts: number;
}

/** Token and cost sums of a set of rows (one group of a summary). */
export interface UsageTotals {
  /** The group's value (model, tier, intent or key name); null for the whole set. */
  group: string | null;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

/** Rows selected by time (epoch ms, `since` inclusive, `until` exclusive) and key. */
export interface UsageFilter {
  since?: number;
  until?: number;
  keyHash?: string;
}

/** A summary's grouping column. */
export type UsageGroup = 'model' | 'tier' | 'intent' | 'key';

/** A virtual key as stored: never the key itself, only its SHA-256. */
export interface KeyRecord {
  hash: string;
  alias: string | null;
  /** `sk-srd-…` and the key's last 4 characters, for lists. */
  preview: string;
  createdAt: number;
  revokedAt: number | null;
  /** USD per budget window (null: no budget). LiteLLM `max_budget`. */
  maxBudget: number | null;
  /** LiteLLM `budget_duration` (`30s`, `1h`, `30d`, `1mo`), null: the budget never resets. */
  budgetDuration: string | null;
  /** When the current window ends (epoch ms), null without a duration. LiteLLM `budget_reset_at`. */
  budgetResetAt: number | null;
  /** USD spent in the current window. */
  spend: number;
  /** USD spent since the key was created. */
  totalSpend: number;
  /** Models the key may use (refs, aliases or `smart-routerd/auto`); empty: all. */
  models: string[];
  rpmLimit: number | null;
  tpmLimit: number | null;
  metadata: Record<string, unknown>;
}

/**
 * The storage a ledger runs on: embedded SQLite (sqlite-store.ts) or PostgreSQL shared by a team's
 * instances (cluster/pg-ledger-store.ts, issue 20). Every method is async so a server backend fits;
 * methods reject with the backend's own errors.
 */
export interface LedgerStore {
  /** `sqlite (better-sqlite3)`, `sqlite (node:sqlite)`, `postgresql 15.x`, … */
  readonly backend: string;
  /**
   * Appends a row and, in the same transaction, adds its cost to its key's spend (an atomic
   * increment: concurrent writers never lose a charge). Durable on resolve. Idempotent by `row.id`:
   * a row already stored is neither stored nor charged again (a replayed queue cannot double-bill).
   */
  append(row: UsageRow): Promise<void>;
  /** Rows newest first. */
  rows(filter: UsageFilter & { limit: number; offset?: number }): Promise<UsageRow[]>;
  /** Sums over the rows, grouped by `by` (null: one group). */
  totals(filter: UsageFilter, by: UsageGroup | null): Promise<UsageTotals[]>;
  /** Sums per time bucket (`bucketMs` wide, aligned to the epoch) and group, oldest first. */
  series(filter: UsageFilter, bucketMs: number, by: UsageGroup): Promise<Array<UsageTotals & { t: number }>>;
  /** Deletes rows older than `before` (epoch ms); resolves how many. */
  prune(before: number): Promise<number>;
  insertKey(key: KeyRecord): Promise<void>;
  key(hash: string): Promise<KeyRecord | null>;
  /** Keys by creation, revoked ones included. */
  keys(): Promise<KeyRecord[]>;
  /** Sets fields of a key; resolves the key as stored after, or null when there is none. */
  updateKey(hash: string, patch: Partial<Omit<KeyRecord, 'hash'>>): Promise<KeyRecord | null>;
  /**
   * Starts a key's next budget window: spend 0 and `budgetResetAt` = `to`, only if the window
   * still ends at `from` (compare-and-set, so two instances rolling the same window reset it
   * once). Resolves the key as stored after, or null when there is none.
   */
  rollWindow(hash: string, from: number, to: number): Promise<KeyRecord | null>;
  close(): Promise<void>;
}
