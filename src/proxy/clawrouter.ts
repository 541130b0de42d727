import type { KeyRecord, Ledger } from '../ledger/index.js';
import { windowStart } from '../ledger/index.js';
import type { ModelCatalog, Provider } from '../upstream/index.js';

/**
 * ClawRouter-compatible discovery (issue 14), so OpenClaw's bundled `clawrouter` plugin can use
 * smart-routerd as a custom deployment (`models.providers.clawrouter.baseUrl`). The contract is
 * the plugin's parser in openclaw@2026.9.6 (dist/provider-catalog-*.mjs `readCatalogRows`,
 * `parseCatalogProvider`/`Route`/`Model`/`Pricing`, `buildRoutedModel`; dist/usage-*.mjs):
 * - a provider needs `id` and a `nativeBaseUrl` under `/v1/native/`; a model needs `id`,
 *   `upstream` and a capability. `openaiCompatible` + `llm.chat` → OpenClaw posts
 *   `<root>/v1/chat/completions` with the catalog `id` as `model`; `llm.messages` + an
 *   `anthropic.messages` route → `<root><nativeBaseUrl>/v1/messages` with `upstream` as `model`.
 *   `llm.responses` would win over `llm.chat`, so the routed model does not list it.
 * - prices are micro-USD per million tokens; `pricing.maxInputTokens` is the context window.
 * - no top-level `next`/`has_more`/… keys: OpenClaw would read the catalog as paginated.
 */

/** The provider id under which the routed model is listed (`clawrouter/smart-routerd/auto` in OpenClaw). */
export const ROUTED_PROVIDER = 'smart-routerd';

/** Where a native route of `provider` lives (`/v1/native/<id>`). */
export const nativeBase = (provider: string) => `/v1/native/${provider}`;

/** Prices the catalog may show: USD per million tokens of a ref, or null. */
export type PriceOf = (ref: string, providerModel: string) => { input: number; output: number; cacheRead: number; cacheWrite: number } | null;

/**
 * `GET /v1/catalog`: the routed model under provider `smart-routerd`, then every provider that lists
 * models (configured, or built-in with a key), each model with its upstream id, capabilities by the
 * provider's wire, prices (micro-USD per million tokens) and context window.
 */
export function catalogBody(
  catalog: ModelCatalog,
  autoModel: string,
  priceOf: PriceOf,
  contextWindow: (ref: string, provider: Provider, model: string) => number | null,
): Record<string, unknown> {
  const providers: unknown[] = [
    {
      id: ROUTED_PROVIDER,
      displayName: 'smart-routerd (routed)',
      openaiCompatible: true,
      nativeBaseUrl: nativeBase(ROUTED_PROVIDER),
      routes: [
        { path: '/v1/chat/completions', requestFormat: 'openai.chat_completions', methods: ['POST'] },
        { path: '/v1/messages', requestFormat: 'anthropic.messages', methods: ['POST'] },
      ],
      models: [
        {
          id: autoModel,
          displayName: 'smart-routerd auto (flagship or lightweight per message)',
          upstream: autoModel.slice(autoModel.indexOf('/') + 1),
          capabilities: ['llm.chat', 'llm.messages', 'llm.stream'],
        },
      ],
    },
  ];
  for (const p of catalog.providers.values()) {
    if (p.models.length === 0 || (p.builtin && !p.apiKey)) continue;
    const openai = p.api === 'openai-completions';
    providers.push({
      id: p.id,
      displayName: p.id,
      openaiCompatible: openai,
      nativeBaseUrl: nativeBase(p.id),
      routes: [
        openai
          ? { path: '/v1/chat/completions', requestFormat: 'openai.chat_completions', methods: ['POST'] }
          : { path: '/v1/messages', requestFormat: 'anthropic.messages', methods: ['POST'] },
      ],
      models: p.models.map((m) => {
        const ref = `${p.id}/${m}`;
        const price = priceOf(ref, m);
        const window = contextWindow(ref, p, m);
        const pricing: Record<string, number> = {};
        if (price) {
          pricing.inputMicrosPerMillion = micros(price.input);
          pricing.outputMicrosPerMillion = micros(price.output);
          pricing.cachedInputMicrosPerMillion = micros(price.cacheRead);
          pricing.cacheWrite5mInputMicrosPerMillion = micros(price.cacheWrite);
        }
        if (window) pricing.maxInputTokens = window;
        return {
          id: ref,
          upstream: m,
          capabilities: openai ? ['llm.chat', 'llm.stream'] : ['llm.messages', 'llm.stream'],
          ...(Object.keys(pricing).length > 0 ? { pricing } : {}),
        };
      }),
    });
  }
  return { object: 'catalog', providers };
}

/**
 * `GET /v1/usage` for the caller's key, in the shape OpenClaw's clawrouter usage reader parses:
 * `budget.{configured, limitMicros, spentMicros, windowKey}` (windowKey ends in the current
 * `YYYY-MM`; OpenClaw shows a monthly reset from it) and `usage.summary.{requestCount,
 * totalTokens, actualCostMicros}`. A virtual key with `max_budget` reports its budget and the totals
 * of its current window (its own reset time in `budget.resetAt`); any other caller, this month's
 * totals of the whole gateway, unmetered.
 */
export async function usageBody(ledger: Ledger, key: KeyRecord | null, now: number): Promise<Record<string, unknown>> {
  const month = new Date(now).toISOString().slice(0, 7);
  const current = key ? ((await ledger.keys.lookup(key.hash)) ?? key) : null;
  const since =
    current?.budgetDuration && current.budgetResetAt !== null ? windowStart(current.budgetDuration, current.budgetResetAt) : windowStart('month', now);
  const t = (await ledger.store.totals({ since, ...(current ? { keyHash: current.hash } : {}) }, null))[0];
  const summary = {
    requestCount: t?.requests ?? 0,
    totalTokens: (t?.inputTokens ?? 0) + (t?.outputTokens ?? 0) + (t?.cacheReadTokens ?? 0) + (t?.cacheWriteTokens ?? 0),
    actualCostMicros: Math.round((t?.costUsd ?? 0) * 1e6),
    since: new Date(since).toISOString(),
  };
  const budget =
    current && current.maxBudget !== null
      ? {
          configured: true,
          limitMicros: micros(current.maxBudget),
          spentMicros: micros(current.spend),
          windowKey: `${current.alias ?? current.hash.slice(0, 12)}/${month}`,
          duration: current.budgetDuration,
          resetAt: current.budgetResetAt === null ? null : new Date(current.budgetResetAt).toISOString(),
        }
      : { configured: false };
  return { budget, usage: { summary } };
}

const micros = (usd: number) => Math.round(usd * 1e6);
