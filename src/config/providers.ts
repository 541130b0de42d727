/**
 * Facts about the embedding providers `memorySearch.provider` may name: their default model and
 * endpoint. They live in the config room because the schema fills defaults from them and the
 * embedding room builds clients from them (imports only go downwards, DESIGN.md §1).
 */

/** Every value of `memorySearch.provider`. */
export const PROVIDERS = ['local', 'openai', 'gemini', 'siliconflow', 'custom'] as const;
/** An embedding provider name. */
export type ProviderName = (typeof PROVIDERS)[number];
/** Providers reached over HTTP. */
export type RemoteProviderName = Exclude<ProviderName, 'local'>;

/**
 * Model used when `memorySearch.model` is unset. `custom` has none (the server decides what it
 * serves). Sources: OpenAI embeddings guide (text-embedding-3-small), SiliconFlow model list
 * (Qwen/Qwen3-Embedding-0.6B, the model the Smart Router thresholds were tuned on), Gemini API
 * embeddings guide (gemini-embedding-001). For `local` it is the built-in embedder's current
 * version (LOCAL_MODEL in src/embedding/local.ts; test/config/config.test.ts keeps the two equal);
 * the local embedder always reports its own version whatever is configured.
 */
export const DEFAULT_MODELS: Readonly<Record<ProviderName, string | undefined>> = {
  local: 'local-hash-v2',
  openai: 'text-embedding-3-small',
  siliconflow: 'Qwen/Qwen3-Embedding-0.6B',
  gemini: 'gemini-embedding-001',
  custom: undefined,
};

/**
 * Endpoint used when `memorySearch.remote.baseUrl` is unset; `custom` requires one (Ollama:
 * http://127.0.0.1:11434/v1, LM Studio: http://127.0.0.1:1234/v1). Sources: each provider's API
 * reference (OpenAI `/v1`, SiliconFlow `/v1`, Gemini `/v1beta`).
 */
export const DEFAULT_BASE_URLS: Readonly<Record<RemoteProviderName, string | undefined>> = {
  openai: 'https://api.openai.com/v1',
  siliconflow: 'https://api.siliconflow.cn/v1',
  gemini: 'https://generativelanguage.googleapis.com/v1beta',
  custom: undefined,
};

/** Providers that refuse requests without an API key (a local OpenAI-compatible server may not). */
export const KEY_REQUIRED: ReadonlySet<ProviderName> = new Set(['openai', 'gemini', 'siliconflow']);
