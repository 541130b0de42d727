import { type BatchProgress, type Embedder, ResumableBatchEmbedder } from '../embedding/index.js';
import { buildDna, type DnaBuildReport } from './dna-build.js';
import type { Seed } from './seed.js';

/** Options of buildSpaceDna. */
export interface SpaceDnaOptions {
  embedder: Embedder;
  seed: Seed;
  /** The DNA file to write; a remote build keeps its resumable cache in `<out>.partial`. */
  out: string;
  /** Texts per request (memorySearch.remote.batchSize); ignored for synchronous embedders. */
  batchSize: number;
  /** Embedding progress of a remote build (texts done / total). */
  onProgress?: (progress: BatchProgress) => void;
  /** Training progress lines from buildDna. */
  log?: (msg: string) => void;
}

/** `<out>.partial`: the embeddings cache of an unfinished remote DNA build. */
export function partialFile(out: string): string {
  return `${out}.partial`;
}

/**
 * Builds the DNA of `embedder`'s space (issue 6 "DNA per embedding space"). A remote embedder's
 * seed embeddings go through a ResumableBatchEmbedder, so a build that failed half-way (provider
 * down, rate limit, Ctrl-C) picks up where it stopped; the cache is deleted once the DNA file is
 * written. Synchronous embedders (the built-in local one) build directly. Throws what buildDna and
 * the embedder throw (SRD_ERR_EMBED_* for provider failures).
 */
export async function buildSpaceDna(options: SpaceDnaOptions): Promise<DnaBuildReport> {
  const { embedder, seed, out } = options;
  if (embedder.embedSync) return buildDna({ embedder, seed, out, ...(options.log ? { log: options.log } : {}) });
  const resumable = new ResumableBatchEmbedder(embedder, {
    cacheFile: partialFile(out),
    batchSize: options.batchSize,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const report = await buildDna({ embedder: resumable, seed, out, ...(options.log ? { log: options.log } : {}) });
  await resumable.discard();
  return report;
}
