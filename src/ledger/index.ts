export { type ColumnRow, KEY_COLUMNS, keyRecord, totalsRow, usageRow } from './columns.js';
export { isDuration, windowEnd, windowStart } from './duration.js';
export { hashKey, KEY_PREFIX, KeyLimitError, type KeySpec, LocalRateLimits, MINUTE, type RateExcess, type RateLimits, VirtualKeys } from './keys.js';
export { Ledger, type UsageEntry, type UsageReport } from './ledger.js';
export { type BilledTokens, costOf, type Price, Prices, priceTable } from './prices.js';
export { openSqlite, type SqliteDb } from './sqlite.js';
export { SCHEMA_VERSION, SqliteLedgerStore } from './sqlite-store.js';
export type { KeyRecord, LedgerStore, UsageFilter, UsageGroup, UsageRow, UsageTotals } from './store.js';
