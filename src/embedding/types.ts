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
  /** Embeds many texts (DNA build); same errors as embed. */
  embedBatch(texts: string[]): Promise<Float32Array[]>;
}

/** Same space? (provider, model and dims all equal.) */
export function sameSpace(a: EmbeddingSpace, b: EmbeddingSpace): boolean {
  return a.provider === b.provider && a.model === b.model && a.dims === b.dims;
}

/** `provider/model/dims`, for logs and file names. */
export function spaceId(space: EmbeddingSpace): string {
  return `${space.provider}/${space.model}/${space.dims}`;
}
