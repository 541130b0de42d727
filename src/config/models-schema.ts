import { z } from 'zod';

/**
 * The model gateway's config (DESIGN.md §10), in openclaw.json's vocabulary wherever it has a word
 * for the thing (protocol reference §9: `models.providers.<id> = {api, baseUrl, apiKey, headers,
 * models}`; model refs `provider/model`; aliases), plus smart-routerd's `routing` and `proxy`.
 */

/** Upstream wire protocols (openclaw.json `api` values this gateway speaks). */
export const UPSTREAM_APIS = ['openai-completions', 'anthropic-messages'] as const;
export type UpstreamApi = (typeof UPSTREAM_APIS)[number];

/** Intents a route may name (src/intents.ts; repeated here because config imports nothing). */
const INTENT_NAMES = ['CODE', 'REASON', 'CHAT', 'FACT', 'TRANS', 'WRITE'] as const;

/** A secret: a literal, or `env:NAME` / `${NAME}` read from the environment when used. Never logged. */
const Secret = z.string().min(1);

export const ProviderModelSchema = z.looseObject({
  /** The model id the provider knows (`claude-opus-4-5`, `moonshotai/kimi-k2.5`). */
  id: z.string().min(1),
  name: z.string().optional(),
  contextWindow: z.number().int().positive().optional(),
  maxTokens: z.number().int().positive().optional(),
});

export const ProviderSchema = z
  .object({
    /** Wire protocol of the provider (openclaw.json `api`; default openai-completions, as OpenClaw's). */
    api: z.enum(UPSTREAM_APIS).default('openai-completions'),
    /** API root: `https://api.anthropic.com` (anthropic-messages) or `…/v1` (openai-completions). */
    baseUrl: z.url({ protocol: /^https?$/ }),
    apiKey: Secret.optional(),
    /** Extra request headers (e.g. OpenRouter's HTTP-Referer). */
    headers: z.record(z.string(), z.string()).default({}),
    models: z.array(ProviderModelSchema).default([]),
  })
  .strict();
export type ProviderConfig = z.infer<typeof ProviderSchema>;

/** A model's prices, USD per million tokens; a cache price left out is the input price. */
export const ModelCostSchema = z
  .object({
    input: z.number().min(0),
    output: z.number().min(0),
    cacheRead: z.number().min(0).optional(),
    cacheWrite: z.number().min(0).optional(),
  })
  .strict();
export type ModelCost = z.infer<typeof ModelCostSchema>;

/** Per-model settings under `models.<provider/model>`. */
export const ModelSettingsSchema = z
  .object({
    /** A short name clients may send as `model` (`opus`, `kimi`), as openclaw.json's `alias`. */
    alias: z.string().min(1).optional(),
    /** Models tried, in order, when this one fails and no route or tier names a chain (issue 13). */
    fallbacks: z.array(z.string().min(1)).optional(),
    /** Tokens of context this model takes; a context-length failure moves to a fallback with more. */
    contextWindow: z.number().int().positive().optional(),
    /**
     * Prices, USD per million tokens (openclaw.json's model `cost` words: input, output, cacheRead,
     * cacheWrite); overrides the shipped price table (data/prices.json) for this model (issue 14).
     */
    cost: ModelCostSchema.optional(),
  })
  .strict();

/**
 * A model and its fallbacks, openclaw.json's `model: {primary, fallbacks}`; a list is the same with
 * its first entry as primary.
 */
export const ModelChainSchema = z.union([
  z.array(z.string().min(1)).min(1),
  z.object({ primary: z.string().min(1), fallbacks: z.array(z.string().min(1)).default([]) }).strict(),
]);
export type ModelChain = z.infer<typeof ModelChainSchema>;

/** Auth profiles and cooldowns, in openclaw.json's `auth` vocabulary (issue 13). */
export const AuthSchema = z
  .object({
    /**
     * Keys per provider, `"<provider>:<name>"` → `{provider?, apiKey}` (provider defaults to the part
     * before the colon). A provider's own `apiKey` is its `<provider>:default` profile.
     */
    profiles: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9._-]*:[a-z0-9._-]+$/i, 'a profile id "<provider>:<name>"'),
        z.object({ provider: z.string().min(1).optional(), mode: z.string().optional(), apiKey: Secret }).strict(),
      )
      .default({}),
    cooldowns: z
      .object({
        /** First billing cooldown, hours; doubles per repeat (openclaw.json plan: 5). */
        billingBackoffHours: z.number().positive().default(5),
        /** Longest billing cooldown, hours (24). */
        billingMaxHours: z.number().positive().default(24),
        /** Window in which repeated failures lengthen a cooldown, hours (24). */
        failureWindowHours: z.number().positive().default(24),
        /** First cooldown after a transient failure (5xx, reset, timeout), seconds; doubles per repeat up to 1 h (30). */
        transientBaseSeconds: z.number().min(0.01).max(3600).default(30),
        /** Longest transient cooldown, seconds (3600). */
        transientMaxSeconds: z.number().min(0.01).max(86_400).default(3600),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const ModelsSchema = z
  .object({
    /** Providers by id; built-in ones (anthropic, openai, openrouter, moonshot) need no entry but a key. */
    providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'a provider id: letters, digits, . _ -'), ProviderSchema).default({}),
  })
  .catchall(ModelSettingsSchema)
  .superRefine((v, ctx) => {
    for (const key of Object.keys(v)) {
      if (key !== 'providers' && !key.includes('/'))
        ctx.addIssue({ code: 'custom', path: [key], message: 'expected a model ref "provider/model" (or "providers")' });
    }
  });

export const RoutingSchema = z
  .object({
    /**
     * Model lists per routed intent, first = the model a decision of that intent selects (e.g.
     * `{"CODE": ["anthropic/claude-opus-4-5"], "CHAT": ["kimi"]}`); an intent without a route
     * takes its tier's model (defaultFlagshipModel / defaultLightweightModel).
     */
    routes: z.partialRecord(z.enum(INTENT_NAMES), ModelChainSchema).default({}),
    /** Fallbacks per tier: `{"flagship": {"primary": "…", "fallbacks": ["…"]}}`; primary defaults to the tier's model. */
    tiers: z
      .partialRecord(
        z.enum(['flagship', 'lightweight']),
        z.object({ primary: z.string().min(1).optional(), fallbacks: z.array(z.string().min(1)).default([]) }).strict(),
      )
      .default({}),
    sticky: z
      .object({
        /** A conversation stays on its model this long after its last turn, minutes (0 = off). */
        ttlMinutes: z.number().min(0).default(30),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const ProxySchema = z
  .object({
    /** Require an API key even on loopback (Plano's "enter any value" otherwise). */
    requireKey: z.boolean().default(false),
    /** Keys accepted besides the gateway token (`Authorization: Bearer` or `x-api-key`). */
    keys: z.array(Secret).default([]),
    /**
     * The admin key of the virtual-key endpoints (`/key/*`, `/spend/logs`), LiteLLM's `master_key`;
     * default: the gateway token. A literal or `env:NAME`.
     */
    masterKey: Secret.optional(),
    /**
     * Requests one client may have in flight at once (counted per API key, or per peer address when
     * none is sent); more → 429 with retry-after, so one client cannot take every upstream slot.
     */
    maxConcurrentPerKey: z.number().int().min(1).default(64),
    /** Largest request body, bytes; larger → 413. */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .default(32 * 1024 * 1024),
    /** Model names that mean "route this request" (besides aliases of them). */
    autoModels: z.array(z.string().min(1)).default(['smart-routerd/auto', 'auto']),
    timeouts: z
      .object({
        /** TCP + TLS connect to an upstream, ms. */
        connectMs: z.number().int().min(1).default(10_000),
        /** From request sent to response headers, ms. */
        firstByteMs: z.number().int().min(1).default(120_000),
        /** Longest silence between two body chunks of a response, ms. */
        idleMs: z.number().int().min(1).default(120_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();
