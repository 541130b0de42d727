import { extractFeatures } from './features.js';
import type { Embedder, EmbeddingSpace } from './types.js';

/** Model name of the current local embedder; bump it whenever features or hashing change. */
export const LOCAL_MODEL = 'local-hash-v1';

/**
 * FNV-1a over UTF-16 code units, then a murmur3-style finaliser so nearby strings spread out.
 * Returns an unsigned 32-bit hash.
 */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The built-in `local` embedder (the default): signed feature hashing of word, character,
 * Han n-gram and code/maths shape features into `dims` buckets, L2-normalised. Deterministic,
 * no network, no model weights; English and Chinese (CJK needs no spaces).
 */
export class LocalEmbedder implements Embedder {
  readonly space: EmbeddingSpace;

  constructor(dims = 1024) {
    if (!Number.isInteger(dims) || dims < 8) throw new RangeError(`local embedder dims must be an integer ≥ 8 (got ${dims})`);
    this.space = { provider: 'local', model: LOCAL_MODEL, dims };
  }

  /** Embeds synchronously; the empty string gives the zero vector. */
  embedSync(text: string): Float32Array {
    const dims = this.space.dims;
    const v = new Float32Array(dims);
    for (const [name, weight] of extractFeatures(text)) {
      const h = hash32(name);
      // The top bit picks the sign so collisions cancel in expectation instead of piling up.
      v[h % dims]! += h & 0x80000000 ? -weight : weight;
    }
    let norm = 0;
    for (let i = 0; i < dims; i++) norm += v[i]! * v[i]!;
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < dims; i++) v[i]! *= inv;
    }
    return v;
  }

  /** Never rejects: the local embedder has no failure modes besides bugs. */
  async embed(text: string): Promise<Float32Array> {
    return this.embedSync(text);
  }

  async embedBatch(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedSync(t));
  }
}
