import { z } from 'zod';
import { ClusterSchema } from './cluster-schema.js';
import { LedgerSchema } from './ledger-schema.js';
import { AuthSchema, ModelsSchema, ProxySchema, RoutingSchema } from './models-schema.js';
import { DEFAULT_MODELS, KEY_REQUIRED, PROVIDERS } from './providers.js';
import { TelemetrySchema } from './telemetry-schema.js';

/**
 * The configuration schema: exactly the keys and defaults of the Smart Router documentation
 * (enabled, lightweightModels, flagshipModels, memorySearch, vectorStore, prefix, timeDecay,
 * embedding, the three thresholds, default models), plus smart-routerd's own `gateway`, `pool`
 * and `logging` sections (DESIGN.md §8). Unknown keys are rejected so a typo never goes unnoticed.
 */

const threshold = (fallback: number) => z.number().min(-1).max(1).default(fallback);

const ModelRef = z.string().min(1);

/** Circuit breaker of a remote embedding provider (docs/embedding.md "Circuit breaker"). */
export const BreakerSchema = z
  .object({
    /** Consecutive failed calls that open the circuit (then calls fail at once, no network). */
    failureThreshold: z.number().int().min(1).max(1000).default(3),
    /** ms the circuit stays open before one probe call is let through (half-open). */
    cooldownMs: z.number().int().min(100).default(30_000),
  })
  .strict();

export const RemoteSchema = z
  .object({
    /** Secret for the provider's API; never logged or printed (DESIGN.md §8). */
    apiKey: z.string().min(1).optional(),
    /** API root, e.g. https://api.openai.com/v1; default per provider (config/providers.ts); required for `custom`. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Texts per embeddings request when building DNA (Gemini caps it at 100). */
    batchSize: z.number().int().min(1).max(2048).default(32),
    /** ms budget of one batch request (DNA build); single route embeddings use embedding.timeoutMs. */
    batchTimeoutMs: z.number().int().min(100).default(30_000),
    /**
     * Ask the model for vectorStore.vectorDim dimensions (`dimensions` / `outputDimensionality`):
     * `auto` = for models known to support it, `always`, `never` (the model's native size must
     * then equal vectorStore.vectorDim).
     */
    sendDimensions: z.enum(['auto', 'always', 'never']).default('auto'),
    breaker: BreakerSchema.prefault({}),
  })
  .strict();

const MemorySearchObject = z
  .object({
    /** Embedding provider. `local` = the built-in offline embedder (Smart Router doc: memorySearch.provider). */
    provider: z.enum(PROVIDERS).default('local'),
    /** Model name within the provider; default per provider (config/providers.ts), required for `custom`. */
    model: z.string().min(1).optional(),
    /**
     * Where routing goes when the remote provider cannot embed (down, circuit open) or its DNA is
     * still being built: `local` = the built-in embedder and its DNA, `keywords` = keyword rules.
     * Either way `reasoning` says why. Ignored for provider `local`.
     */
    fallback: z.enum(['local', 'keywords']).default('local'),
    remote: RemoteSchema.prefault({}),
  })
  .strict();

/**
 * `memorySearch`: fills the provider's default model and checks what a provider needs (a model
 * and baseUrl for `custom`, an apiKey for openai/gemini/siliconflow), each as an issue on its path.
 */
export const MemorySearchSchema = MemorySearchObject.transform((v, ctx) => {
  const model = v.model ?? DEFAULT_MODELS[v.provider];
  if (model === undefined) {
    ctx.issues.push({
      code: 'custom',
      path: ['model'],
      input: undefined,
      message: `required for provider "${v.provider}" (the model name your server serves)`,
    });
  }
  if (v.provider === 'custom' && v.remote.baseUrl === undefined) {
    ctx.issues.push({
      code: 'custom',
      path: ['remote', 'baseUrl'],
      input: undefined,
      message: 'required for provider "custom" (e.g. http://127.0.0.1:11434/v1 for Ollama)',
    });
  }
  if (KEY_REQUIRED.has(v.provider) && v.remote.apiKey === undefined) {
    ctx.issues.push({
      code: 'custom',
      path: ['remote', 'apiKey'],
      input: undefined,
      message: `required for provider "${v.provider}" (run \`smart-routerd enable\`)`,
    });
  }
  return { ...v, model: model ?? '' };
});

export const VectorStoreSchema = z
  .object({
    /** Embedding dimensions (Smart Router doc: 1024). */
    vectorDim: z.number().int().min(8).max(8192).default(1024),
    enableCompaction: z.boolean().default(true),
    /** Patches after which the journal is folded into a snapshot (Smart Router doc: 1500). */
    compactionThreshold: z.number().int().min(10).default(1500),
    /**
     * Cosine at or above which compaction merges two same-tier corrections. Separate from, and far
     * above, patchSimilarityThreshold (the decision threshold): merging at the decision threshold
     * blended distinct texts into centroids, and a correction's own text could then route the
     * other way (issue 16). At 0.95 only near-duplicates merge, and each member's cosine with the
     * merged vector stays ≥ ~0.987.
     */
    mergeThreshold: z.number().min(0).max(1).default(0.95),
  })
  .strict();

export const PrefixSchema = z
  .object({
    /** Prefixes that force the flagship tier (half- or full-width colon both match). */
    flagship: z.array(z.string().min(1)).default(['旗舰:', 'Force:', 'F:']),
    /** Prefixes that force the lightweight tier. */
    lightweight: z.array(z.string().min(1)).default(['轻量:', 'Fast:', 'L:']),
  })
  .strict();

export const TimeDecaySchema = z
  .object({
    /** Decay base: weight = w0 · gamma^(ageDays / halfLifeDays) (Smart Router doc: time decay). */
    gamma: z.number().gt(0).max(1).default(0.95),
    halfLifeDays: z.number().positive().default(30),
    /** Patches whose weight falls below this are dropped at compaction. */
    deathThreshold: z.number().min(0).max(1).default(0.1),
    /** Patches kept per tier at compaction regardless of weight. */
    minRetention: z.number().int().min(0).default(3),
  })
  .strict();

export const EmbeddingSchema = z
  .object({
    /** Per-call embedding budget in ms; past it routing degrades to keywords. */
    timeoutMs: z.number().int().positive().default(1500),
    maxRetries: z.number().int().min(0).max(10).default(2),
    retryDelayMs: z.number().int().min(0).default(500),
  })
  .strict();

export const GatewaySchema = z
  .object({
    /** Listen address. A non-loopback address requires auth.token. */
    bind: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one (tests). OpenClaw's gateway default is 18789. */
    port: z.number().int().min(0).max(65535).default(18789),
    auth: z
      .object({
        /** Shared secret clients send as connect `auth.token` (or `auth.password`). */
        token: z.string().min(8).optional(),
      })
      .strict()
      .prefault({}),
    /** Interval of the protocol's `tick` event (OpenClaw server-constants: 30000). */
    tickIntervalMs: z.number().int().min(100).default(30_000),
    /** Close sockets that have not completed `connect` by then (OpenClaw: 15000). */
    handshakeTimeoutMs: z.number().int().min(100).default(15_000),
    /**
     * Browser origins (`scheme://host[:port]`, exact) allowed on the gateway port besides loopback
     * ones; any other Origin gets 403 (docs/security.md). CLI and server clients send no Origin.
     */
    allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin such as https://dashboard.example')).default([]),
  })
  .strict();

export const PoolSchema = z
  .object({
    /** Kernel worker threads kept alive; default: number of cores. */
    minThreads: z.number().int().min(1).optional(),
    maxThreads: z.number().int().min(1).optional(),
    /** ms an idle worker above minThreads lives before it exits. */
    idleTimeout: z.number().int().min(0).default(30_000),
  })
  .strict();

export const LoggingSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export const ConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    lightweightModels: z.array(ModelRef).default(['anthropic/claude-haiku-4-5']),
    flagshipModels: z.array(ModelRef).default(['anthropic/claude-opus-4-5']),
    memorySearch: MemorySearchSchema.prefault({}),
    vectorStore: VectorStoreSchema.prefault({}),
    prefix: PrefixSchema.prefault({}),
    timeDecay: TimeDecaySchema.prefault({}),
    embedding: EmbeddingSchema.prefault({}),
    /** Decay-weighted cosine at which a user patch decides (Smart Router doc: 0.55). */
    patchSimilarityThreshold: threshold(0.55),
    /**
     * Cosine at which the best DNA intent decides (Smart Router doc: 0.60, tuned for remote
     * embedding models). Unset means "the value recorded in the DNA file for its embedding
     * space", which for the built-in local embedder is calibrated at `dna build`; see docs/config.md.
     */
    dnaSimilarityThreshold: z.number().min(-1).max(1).optional(),
    /** When the two best DNA intents of different tiers are closer than this, keywords break the tie. */
    softPartitionThreshold: z.number().min(0).max(2).default(0.1),
    /**
     * Route with the supervised intent classifier in the built-in local embedding space (issue 16;
     * the model is data/intent-classifier.bin, rebuilt by `npm run train`). It decides after user
     * patches and before the DNA; false leaves the DNA to decide, as remote embedding spaces always do.
     */
    intentClassifier: z.boolean().default(true),
    /**
     * Calibrated tier probability below which an intent-classifier decision is not trusted and
     * `lowConfidenceTier` decides instead (docs/pipeline.md). In [0.5, 1]; 0.5 never falls back.
     */
    lowConfidenceThreshold: z.number().min(0.5).max(1).default(0.65),
    /**
     * Tier of a low-confidence classifier decision: "auto" = flagship when CODE+REASON together are
     * more probable than the other four intents, else lightweight; or a fixed tier ("flagship" for
     * quality first, "lightweight" for cost first).
     */
    lowConfidenceTier: z.enum(['auto', 'flagship', 'lightweight']).default('auto'),
    /** Model for lightweight decisions; default: lightweightModels[0]. */
    defaultLightweightModel: ModelRef.optional(),
    /** Model for flagship decisions; default: flagshipModels[0]. */
    defaultFlagshipModel: ModelRef.optional(),
    gateway: GatewaySchema.prefault({}),
    /** Model gateway: providers (openclaw.json `models.providers`) and per-model settings (`models.<ref>`). */
    models: ModelsSchema.prefault({}),
    /** Intent routes and sticky sessions of routed requests. */
    routing: RoutingSchema.prefault({}),
    /** Auth profiles (several keys per provider) and cooldowns, as openclaw.json's `auth`. */
    auth: AuthSchema.prefault({}),
    /** The model API on the gateway port: inbound keys, limits, timeouts. */
    proxy: ProxySchema.prefault({}),
    pool: PoolSchema.prefault({}),
    logging: LoggingSchema.prefault({}),
    /** OpenTelemetry traces (off unless an OTLP endpoint is set). */
    telemetry: TelemetrySchema.prefault({}),
    /** The usage ledger (tokens, cost, budgets of proxied requests). */
    ledger: LedgerSchema.prefault({}),
    /** Team gateway: PostgreSQL and Redis shared by several instances (off unless a URL is set). */
    cluster: ClusterSchema.prefault({}),
  })
  .strict();

/** The validated configuration with every default filled in. */
export type Config = z.infer<typeof ConfigSchema>;

/** Documented DNA threshold for spaces whose DNA file records none (Smart Router doc). */
export const DOCUMENTED_DNA_THRESHOLD = 0.6;

/** Keys renamed or commonly mistyped, pointing at the supported key (STYLE §13). */
export const RENAMED_KEYS: Record<string, string> = {
  'embedding.timeout': 'embedding.timeoutMs',
  'embedding.retries': 'embedding.maxRetries',
  'embedding.apiKey': 'memorySearch.remote.apiKey',
  'embedding.model': 'memorySearch.model',
  'embedding.baseUrl': 'memorySearch.remote.baseUrl',
  'memorySearch.apiKey': 'memorySearch.remote.apiKey',
  'memorySearch.baseUrl': 'memorySearch.remote.baseUrl',
  'memorySearch.remote.key': 'memorySearch.remote.apiKey',
  'memorySearch.remote.dimensions': 'vectorStore.vectorDim (and memorySearch.remote.sendDimensions)',
  'vectorStore.dims': 'vectorStore.vectorDim',
  'gateway.host': 'gateway.bind',
  'gateway.token': 'gateway.auth.token',
  smartRouting: '(top level: smart-routerd reads the smartRouting keys at the top level of its own config.json)',
};
