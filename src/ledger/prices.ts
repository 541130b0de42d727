import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ModelCost } from '../config/index.js';

/** Token counts of one answer (proxy/translate/usage.ts `TokenCounts`): `input` excludes the cache. */
export interface BilledTokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** A model's prices, USD per million tokens. */
export interface Price {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** Where the price comes from: `config` (models.<ref>.cost) or `table` (data/prices.json). */
  from: 'config' | 'table';
}

/** The shipped table's shape (data/prices.json). */
interface PriceFile {
  source: { name: string; repository: string; commit: string; path: string; date: string; license: string };
  unit: string;
  models: Record<string, ModelCost>;
}

/** data/prices.json in the package (two levels up from dist/ledger/ or src/ledger/). */
const TABLE_FILE = fileURLToPath(new URL('../../data/prices.json', import.meta.url));

let shipped: PriceFile | null = null;

/** The shipped price table (read once). Throws when the package lacks data/prices.json. */
export function priceTable(): PriceFile {
  shipped ??= JSON.parse(readFileSync(TABLE_FILE, 'utf8')) as PriceFile;
  return shipped;
}

/**
 * Prices per model (issue 14): `models.<ref>.cost` in config first, else the shipped table
 * (LiteLLM's model_prices_and_context_window.json at the commit data/prices.json records). A ref
 * the table lacks is looked up by its model id under any provider (`custom/kimi-k2.5` →
 * `moonshot/kimi-k2.5`), then without a date suffix (`claude-opus-4-5-20251101`). A cache price the
 * source lacks is the input price.
 */
export class Prices {
  private readonly config: Map<string, ModelCost>;
  private readonly table: Map<string, ModelCost>;
  /** Model id (the part after the provider) → the first table ref with it. */
  private readonly byModelId = new Map<string, ModelCost>();
  private readonly cache = new Map<string, Price | null>();

  /** `overrides`: `models.<ref>.cost` of the config, by ref. */
  constructor(overrides: Record<string, ModelCost | undefined>, table: Record<string, ModelCost> = priceTable().models) {
    this.config = new Map(Object.entries(overrides).filter((e): e is [string, ModelCost] => e[1] !== undefined));
    this.table = new Map(Object.entries(table));
    for (const [ref, cost] of this.table) {
      const id = modelId(ref);
      if (!this.byModelId.has(id)) this.byModelId.set(id, cost);
    }
  }

  /** The price of a model ref (and of the provider's model id, when the ref is an alias), or null when unknown. */
  of(ref: string, providerModel?: string): Price | null {
    const key = providerModel ? `${ref}\n${providerModel}` : ref;
    if (this.cache.has(key)) return this.cache.get(key) ?? null;
    const own = this.config.get(ref);
    let price: Price | null = own ? full(own, 'config') : null;
    if (!price) {
      const ids = [ref, modelId(ref), providerModel ?? ''].filter(Boolean);
      const found =
        this.table.get(ref) ??
        ids.map((id) => this.byModelId.get(modelId(id))).find(Boolean) ??
        ids.map((id) => this.byModelId.get(undated(modelId(id)))).find(Boolean);
      price = found ? full(found, 'table') : null;
    }
    this.cache.set(key, price);
    return price;
  }
}

/** Cost in USD of `tokens` at `price`: each count times its price per million. */
export function costOf(tokens: BilledTokens, price: Price): number {
  return (tokens.input * price.input + tokens.output * price.output + tokens.cacheRead * price.cacheRead + tokens.cacheWrite * price.cacheWrite) / 1e6;
}

function full(c: ModelCost, from: Price['from']): Price {
  return { input: c.input, output: c.output, cacheRead: c.cacheRead ?? c.input, cacheWrite: c.cacheWrite ?? c.input, from };
}

/** `openrouter/moonshotai/kimi-k2.5` → `kimi-k2.5`; `claude-opus-4-5` → itself. */
function modelId(ref: string): string {
  const i = ref.lastIndexOf('/');
  return (i === -1 ? ref : ref.slice(i + 1)).toLowerCase();
}

/** Drops a trailing date (`-20251101`, `-2025-08-07`, `-0905`) from a model id. */
function undated(id: string): string {
  return id.replace(/-(\d{8}|\d{4}-\d{2}-\d{2}|\d{4})$/, '');
}
