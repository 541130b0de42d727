import type { BreakerSnapshot } from './breaker.js';

/** An embedding space: vectors from different spaces must never be compared (DESIGN.md §5 metadata). */
export interface EmbeddingSpace {
  /** `local`, `openai`, `gemini`, `siliconflow`, `custom`. */
  provider: string;
  /** Model name within the provider. */
  model: string;
  /** Vector length. */
  dims: number;
}

/** Turns text into an L2-normalised float32 vector of `space.dims` values. */
export interface Embedder {
  readonly space: EmbeddingSpace;
  /**
   * Embeds one text. Rejects with SrdError SRD_ERR_EMBED_TIMEOUT / SRD_ERR_EMBED_FAILED;
   * the router turns a rejection into a keyword decision, never a failed route.
   */
  embed(text: string, signal?: AbortSignal): Promise<Float32Array>;
  /**
   * Synchronous embedding, for embedders that need no I/O (the built-in local one). When present
   * the router calls it directly: no timer, no promise, nothing that can time out.
   */
  embedSync?(text: string): Float32Array;
  /** Embeds many texts (DNA build); same errors as embed. Aborting `signal` stops between or during requests. */
  embedBatch(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** Provider health for `status` (remote embedders only). */
  health?(): EmbedderHealth;
  /** Releases sockets (remote embedders); idempotent. */
  close?(): Promise<void>;
}

/** What `status` shows about a remote provider. Times are ms since the epoch; no secrets. */
export interface EmbedderHealth {
  provider: string;
  model: string;
  dims: number;
  /** API root without credentials or query string. */
  baseUrl: string;
  /** Whether a key is configured; never the key. */
  apiKey: 'set' | 'unset';
  /** Whether vectorStore.vectorDim is sent as `dimensions` / `outputDimensionality`. */
  sendDimensions: boolean;
  /** Breaker closed and the last call succeeded. */
  ok: boolean;
  breaker: BreakerSnapshot;
  /** Calls admitted by the breaker, and how many of them failed for good. */
  calls: number;
  failures: number;
  lastLatencyMs: number | null;
  lastSuccessAt: number | null;
  /** Last final failure (message scrubbed of secrets). */
  lastError: { code: string; message: string; at: number } | null;
}

/** Same space? (provider, model and dims all equal.) */
export function sameSpace(a: EmbeddingSpace, b: EmbeddingSpace): boolean {
  return a.provider === b.provider && a.model === b.model && a.dims === b.dims;
}

/** `provider/model/dims`, for logs and file names. */
export function spaceId(space: EmbeddingSpace): string {
  return `${space.provider}/${space.model}/${space.dims}`;
}
