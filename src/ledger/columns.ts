import type { KeyRecord, UsageRow, UsageTotals } from './store.js';

/**
 * The ledger's column names and row mappers, shared by both stores (SQLite here, PostgreSQL in
 * cluster/pg-ledger-store.ts): one table layout, read back the same way whichever driver returned
 * the row (SQLite gives 0/1 and JSON text, PostgreSQL booleans, bigint strings and parsed jsonb).
 */

/** A row as a driver returns it: column name → value. */
export type ColumnRow = Record<string, unknown>;

/** KeyRecord fields and their columns (updateKey). */
export const KEY_COLUMNS = {
  alias: 'alias',
  preview: 'preview',
  createdAt: 'created_at',
  revokedAt: 'revoked_at',
  maxBudget: 'max_budget',
  budgetDuration: 'budget_duration',
  budgetResetAt: 'budget_reset_at',
  spend: 'spend',
  totalSpend: 'total_spend',
  models: 'models',
  rpmLimit: 'rpm_limit',
  tpmLimit: 'tpm_limit',
  metadata: 'metadata',
} as const;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** JSON text (SQLite) or an already parsed value (PostgreSQL jsonb). */
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** A sums row (`grp`, `requests`, `errors`, `input`, `output`, `cache_read`, `cache_write`, `cost`) as UsageTotals. */
export function totalsRow(r: ColumnRow): UsageTotals {
  return {
    group: str(r.grp),
    requests: Number(r.requests ?? 0),
    errors: Number(r.errors ?? 0),
    inputTokens: Number(r.input ?? 0),
    outputTokens: Number(r.output ?? 0),
    cacheReadTokens: Number(r.cache_read ?? 0),
    cacheWriteTokens: Number(r.cache_write ?? 0),
    costUsd: Number(r.cost ?? 0),
  };
}

/** A `usage` row as UsageRow. */
export function usageRow(r: ColumnRow): UsageRow {
  return {
    id: String(r.id),
    ts: Number(r.ts),
    keyHash: str(r.key_hash),
    keyName: String(r.key_name),
    session: str(r.session),
    endpoint: String(r.endpoint),
    requestedModel: String(r.requested_model),
    model: str(r.model),
    provider: str(r.provider),
    tier: str(r.tier),
    intent: str(r.intent),
    decisionId: str(r.decision_id),
    source: String(r.source),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    usageReported: r.usage_reported === true || Number(r.usage_reported) === 1,
    costUsd: Number(r.cost_usd),
    latencyMs: Number(r.latency_ms),
    ttfbMs: num(r.ttfb_ms),
    status: Number(r.status),
    attempts: Number(r.attempts),
  };
}

/** A `keys` row as KeyRecord. */
export function keyRecord(r: ColumnRow): KeyRecord {
  return {
    hash: String(r.hash),
    alias: str(r.alias),
    preview: String(r.preview),
    createdAt: Number(r.created_at),
    revokedAt: num(r.revoked_at),
    maxBudget: num(r.max_budget),
    budgetDuration: str(r.budget_duration),
    budgetResetAt: num(r.budget_reset_at),
    spend: Number(r.spend),
    totalSpend: Number(r.total_spend),
    models: json<string[]>(r.models),
    rpmLimit: num(r.rpm_limit),
    tpmLimit: num(r.tpm_limit),
    metadata: json<Record<string, unknown>>(r.metadata),
  };
}
