import { FeatureCollector, STRUCTURAL_FEATURES } from './features.js';
import type { Embedder, EmbeddingSpace } from './types.js';

/**
 * Model name of the current local embedder; bump it whenever features or hashing change (the DNA
 * file name and user patches carry it, so vectors of two versions are never compared).
 * v2 (issue 3): start-of-message features, re-weighted families, structural features in their own
 * dimensions, blank text → zero vector.
 */
export const LOCAL_MODEL = 'local-hash-v2';

/** hash32 (FNV-1a + finaliser) lives with the features, which hash their names without building them. */
export { hash32 } from './features.js';

/**
 * The built-in `local` embedder (the default): signed feature hashing of word, character,
 * Han n-gram and code/maths shape features into `dims` buckets, L2-normalised. Deterministic,
 * no network, no model weights; English and Chinese (CJK needs no spaces). When dims ≥ 4× their
 * number, the structural features (STRUCTURAL_FEATURES: shapes, length, script, symbols) get the
 * last dims to themselves: they occur in most messages, and hashed among words they leaked the
 * same bias into every query (measured: +0.3 tier points on held-out seed, +0.5 tier and +2
 * label points on the shared eval set).
 * Median CPU cost per call (bench/micro/embed.mjs): about 5 µs for an English and 7 µs for a
 * Chinese message of 40–80 characters, 9 µs over the route bench's mix; of that, about 1–2 µs is
 * the fresh 4 KiB output vector. Keeps scratch buffers between calls (embedSync is synchronous,
 * so calls never overlap).
 */
export class LocalEmbedder implements Embedder {
  readonly space: EmbeddingSpace;
  private readonly features = new FeatureCollector();
  /** Dimensions touched by the current message, each once, in order of first touch. */
  private readonly touched: Int32Array;
  /** 1 for a dimension in `touched`; back to all 0 after each call. */
  private readonly isTouched: Uint8Array;

  /** `dims`: vector length, an integer ≥ 8 (RangeError otherwise). */
  constructor(dims = 1024) {
    if (!Number.isInteger(dims) || dims < 8) throw new RangeError(`local embedder dims must be an integer ≥ 8 (got ${dims})`);
    this.space = { provider: 'local', model: LOCAL_MODEL, dims };
    this.touched = new Int32Array(dims);
    this.isTouched = new Uint8Array(dims);
  }

  /**
   * Embeds synchronously: a fresh Float32Array (own buffer) of `dims` values, L2-normalised, or
   * all zeros for blank text. Any string is accepted (lone surrogates, NUL…); never throws for a
   * string. Bit for bit the hashing of extractFeatures(text) in its order, as float32 sums and the
   * norm depend on the order (test/embedding/local-golden.test.ts).
   */
  embedSync(text: string): Float32Array {
    const dims = this.space.dims;
    const v = new Float32Array(dims);
    const reserved = dims >= 4 * STRUCTURAL_FEATURES.length ? STRUCTURAL_FEATURES.length : 0;
    const hashed = dims - reserved;
    const features = this.features;
    const touched = this.touched;
    const isTouched = this.isTouched;
    let touchedCount = 0;
    const n = features.collect(text);
    for (let i = 0; i < n; i++) {
      const weight = features.weight(i);
      if (!(weight > 0)) continue; // extractFeatures leaves these out
      const slot = reserved ? features.structuralSlot(i) : -1;
      let d: number;
      if (slot >= 0) {
        d = hashed + slot;
        v[d] += weight;
      } else {
        const h = features.nameHash(i);
        d = h % hashed;
        // The top bit picks the sign so collisions cancel in expectation instead of piling up.
        v[d] += h & 0x80000000 ? -weight : weight;
      }
      if (isTouched[d] === 0) {
        isTouched[d] = 1;
        touched[touchedCount++] = d;
      }
    }
    // Normalising only the touched dimensions keeps a short message at ~100 operations instead
    // of two passes over every dimension. The norm sums them in order of first touch.
    let norm = 0;
    for (let k = 0; k < touchedCount; k++) norm += v[touched[k]!]! * v[touched[k]!]!;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = 0; k < touchedCount; k++) {
      const d = touched[k]!;
      if (norm > 0) v[d] *= inv;
      isTouched[d] = 0;
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
