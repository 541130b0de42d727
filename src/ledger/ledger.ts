import path from 'node:path';
import type { Config } from '../config/index.js';
import { VirtualKeys } from './keys.js';
import { type BilledTokens, costOf, Prices } from './prices.js';
import { SqliteLedgerStore } from './sqlite-store.js';
import type { LedgerStore, UsageFilter, UsageGroup, UsageRow, UsageTotals } from './store.js';

/** One finished request as the proxy reports it; the ledger prices it. */
export type UsageEntry = Omit<UsageRow, 'costUsd' | 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'usageReported'> & {
  /** Counts the upstream reported, or null when it reported none. */
  tokens: BilledTokens | null;
  /** The provider's own model id (for prices of aliased refs). */
  providerModel: string | null;
};

/** What `smart-routerd usage`, the `usage.status` method and `GET /v1/usage` show. */
export interface UsageReport {
  /** The window, epoch ms (`until` = now). */
  since: number | null;
  until: number;
  by: UsageGroup | null;
  groups: UsageTotals[];
  total: UsageTotals;
  /** The same tokens priced at the flagship model (Plano's "all requests to the flagship" line). */
  flagship: { model: string; costUsd: number | null };
  /** USD saved by routing (flagship cost − cost), and the share of the flagship cost. Null when the flagship has no price. */
  savedUsd: number | null;
  savedPct: number | null;
}

/**
 * The usage ledger (issue 14, DESIGN.md §10): prices each proxied request from the upstream's
 * reported usage (never an estimate when usage is reported), appends it to the store before the
 * request's answer ends, and sums it for the usage views. Also owns the virtual keys, whose spend
 * lives beside the rows.
 */
export class Ledger {
  readonly store: LedgerStore;
  readonly keys: VirtualKeys;
  private prices: Prices;
  private flagshipModel: string;
  private readonly now: () => number;

  constructor(store: LedgerStore, config: Config, now: () => number = Date.now) {
    this.store = store;
    this.now = now;
    this.keys = new VirtualKeys(store, now);
    this.prices = new Prices(costOverrides(config));
    this.flagshipModel = flagshipOf(config);
  }

  /**
   * Opens the ledger of a config (`ledger.file`, default `<stateDir>/usage.db`; in memory without a
   * state dir), or returns null when `ledger.enabled` is false. Throws when the database cannot be
   * opened (a corrupt file is moved aside instead: see `movedAside`).
   */
  static open(config: Config, stateDir: string | null, now?: () => number): { ledger: Ledger; movedAside: string | null } | null {
    if (!config.ledger.enabled) return null;
    const file = config.ledger.file ?? (stateDir ? path.join(stateDir, 'usage.db') : ':memory:');
    const store = new SqliteLedgerStore(file);
    return { ledger: new Ledger(store, config, now), movedAside: store.movedAside };
  }

  /** Applies a reloaded config (prices, flagship model). */
  configure(config: Config): void {
    this.prices = new Prices(costOverrides(config));
    this.flagshipModel = flagshipOf(config);
  }

  /** Prices an entry, appends it (durable on return) and counts its tokens towards its key's tpm. */
  async record(entry: UsageEntry): Promise<UsageRow> {
    const { tokens, providerModel, ...rest } = entry;
    const t = tokens ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    const price = entry.model ? this.prices.of(entry.model, providerModel ?? undefined) : null;
    const row: UsageRow = {
      ...rest,
      inputTokens: t.input,
      outputTokens: t.output,
      cacheReadTokens: t.cacheRead,
      cacheWriteTokens: t.cacheWrite,
      usageReported: tokens !== null,
      costUsd: price ? costOf(t, price) : 0,
    };
    await this.store.append(row);
    if (row.keyHash) await this.keys.countTokens(row.keyHash, t.input + t.output + t.cacheRead + t.cacheWrite).catch(() => undefined);
    return row;
  }

  /** Whether a model ref has a price (config or table). */
  priced(ref: string, providerModel?: string): boolean {
    return this.prices.of(ref, providerModel) !== null;
  }

  /** The price of a model ref, USD per million tokens, or null. */
  priceOf(ref: string, providerModel?: string): ReturnType<Prices['of']> {
    return this.prices.of(ref, providerModel);
  }

  /**
   * Totals over a window, grouped, with what routing saved: the same tokens priced at the flagship
   * model (Plano's demo cost table: routed vs "all requests to the flagship").
   */
  async report(filter: UsageFilter, by: UsageGroup | null): Promise<UsageReport> {
    const total = (await this.store.totals(filter, null))[0] ?? emptyTotals();
    const groups = by ? await this.store.totals(filter, by) : [];
    const price = this.prices.of(this.flagshipModel);
    const flagshipCost = price
      ? costOf({ input: total.inputTokens, output: total.outputTokens, cacheRead: total.cacheReadTokens, cacheWrite: total.cacheWriteTokens }, price)
      : null;
    const saved = flagshipCost === null ? null : flagshipCost - total.costUsd;
    return {
      since: filter.since ?? null,
      until: filter.until ?? this.now(),
      by,
      groups,
      total,
      flagship: { model: this.flagshipModel, costUsd: flagshipCost },
      savedUsd: saved,
      savedPct: saved === null || !flagshipCost ? null : (saved / flagshipCost) * 100,
    };
  }

  /**
   * Cost over time (issue 21's Spend view): per `bucketMs` bucket and group, the cost and what the
   * same tokens would have cost at the flagship model (null without its price).
   */
  async timeline(
    filter: UsageFilter,
    bucketMs: number,
    by: UsageGroup,
  ): Promise<Array<{ t: number; group: string | null; requests: number; costUsd: number; flagshipCostUsd: number | null }>> {
    const price = this.prices.of(this.flagshipModel);
    return (await this.store.series(filter, bucketMs, by)).map((r) => ({
      t: r.t,
      group: r.group,
      requests: r.requests,
      costUsd: r.costUsd,
      flagshipCostUsd: price
        ? costOf({ input: r.inputTokens, output: r.outputTokens, cacheRead: r.cacheReadTokens, cacheWrite: r.cacheWriteTokens }, price)
        : null,
    }));
  }

  /** Deletes rows older than `retentionDays` (0: keeps all); returns how many. */
  async prune(retentionDays: number): Promise<number> {
    if (retentionDays <= 0) return 0;
    return this.store.prune(this.now() - retentionDays * 86_400_000);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** `models.<ref>.cost` of a config, by ref. */
function costOverrides(config: Config): Record<string, NonNullable<Config['models'][string]>['cost']> {
  const out: Record<string, NonNullable<Config['models'][string]>['cost']> = {};
  for (const [ref, settings] of Object.entries(config.models)) {
    if (ref === 'providers') continue;
    const cost = (settings as { cost?: NonNullable<Config['models'][string]>['cost'] }).cost;
    if (cost) out[ref] = cost;
  }
  return out;
}

/** The model flagship decisions are sent to (`routing.tiers.flagship.primary`, `defaultFlagshipModel`, `flagshipModels[0]`). */
function flagshipOf(config: Config): string {
  return config.routing.tiers.flagship?.primary ?? config.defaultFlagshipModel ?? config.flagshipModels[0] ?? 'anthropic/claude-opus-4-5';
}

function emptyTotals(): UsageTotals {
  return { group: null, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };
}
