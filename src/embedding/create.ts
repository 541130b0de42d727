import type { Logger } from 'pino';
import { type Config, DEFAULT_BASE_URLS, type RemoteProviderName } from '../config/index.js';
import { SrdError } from '../errors.js';
import { GeminiEmbedder } from './gemini.js';
import { LocalEmbedder } from './local.js';
import { OpenAiEmbedder } from './openai.js';
import type { RemoteEmbedder } from './remote.js';
import type { Embedder } from './types.js';

/** Options of createEmbedder. */
export interface CreateEmbedderOptions {
  /** Receives breaker transitions and retries of a remote provider. */
  logger?: Logger | undefined;
}

/**
 * Models known to take a requested size (`dimensions` / `outputDimensionality`), for
 * `memorySearch.remote.sendDimensions: "auto"`. Sources: OpenAI embeddings guide (text-embedding-3
 * "dimensions"), SiliconFlow API reference (dimensions only for the Qwen3-Embedding series),
 * Gemini embeddings guide (outputDimensionality for gemini-embedding-001 and text-embedding-004/005).
 * Custom servers are not assumed to support it.
 */
const SIZABLE: Record<RemoteProviderName, RegExp | null> = {
  openai: /^text-embedding-3-/,
  siliconflow: /^Qwen\/Qwen3-Embedding-/i,
  gemini: /^(?:models\/)?(?:gemini-embedding-|text-embedding-00[45])/,
  custom: null,
};

/** Whether requests ask for vectorStore.vectorDim dimensions under the config's sendDimensions. */
export function sendsDimensions(config: Config): boolean {
  const { provider, model, remote } = config.memorySearch;
  if (provider === 'local' || remote.sendDimensions === 'never') return false;
  if (remote.sendDimensions === 'always') return true;
  return SIZABLE[provider]?.test(model) ?? false;
}

/** The API root of the configured remote provider (configured, else the provider's default). */
export function remoteBaseUrl(config: Config): string {
  const { provider, remote } = config.memorySearch;
  const url = remote.baseUrl ?? (provider === 'local' ? undefined : DEFAULT_BASE_URLS[provider]);
  if (!url) throw new SrdError('SRD_ERR_CONFIG_INVALID', `memorySearch.remote.baseUrl: required for provider "${provider}"`);
  return url.replace(/\/+$/, '');
}

/**
 * Builds the embedder the config asks for: the built-in `local` one, an OpenAI-compatible one
 * (openai, siliconflow, custom) or Gemini. Remote ones use embedding.timeoutMs / maxRetries /
 * retryDelayMs and memorySearch.remote.*. Throws SRD_ERR_CONFIG_INVALID when a remote provider
 * has no baseUrl (only possible for a config that skipped validation).
 */
export function createEmbedder(config: Config, options: CreateEmbedderOptions = {}): Embedder {
  const { provider } = config.memorySearch;
  if (provider === 'local') return new LocalEmbedder(config.vectorStore.vectorDim);
  return createRemoteEmbedder(config, options);
}

/** The remote embedder of a config whose provider is not `local` (see createEmbedder). */
export function createRemoteEmbedder(config: Config, options: CreateEmbedderOptions = {}): RemoteEmbedder {
  const { provider, model, remote } = config.memorySearch;
  if (provider === 'local') throw new TypeError('createRemoteEmbedder: provider is local');
  const common = {
    provider,
    model,
    dims: config.vectorStore.vectorDim,
    baseUrl: remoteBaseUrl(config),
    apiKey: remote.apiKey,
    timeoutMs: config.embedding.timeoutMs,
    maxRetries: config.embedding.maxRetries,
    retryDelayMs: config.embedding.retryDelayMs,
    batchSize: remote.batchSize,
    batchTimeoutMs: remote.batchTimeoutMs,
    sendDimensions: sendsDimensions(config),
    breaker: remote.breaker,
    logger: options.logger,
  };
  return provider === 'gemini' ? new GeminiEmbedder(common) : new OpenAiEmbedder(common);
}
