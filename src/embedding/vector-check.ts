import { SrdError } from '../errors.js';

/**
 * Turns one vector from a provider's JSON into an L2-normalised Float32Array, or throws
 * SrdError SRD_ERR_EMBED_BAD_RESPONSE naming `where` (e.g. `openai input 3`) when it is not an
 * array of exactly `dims` finite numbers (also after rounding to float32, where 1e39 becomes
 * Infinity) or has zero length. Normalised because DNA rows and patches are unit vectors and the
 * kernel's score is a plain dot product (DESIGN.md §4); Gemini's reduced-size outputs are not
 * normalised by the provider (Gemini API embeddings guide).
 */
export function toUnitVector(values: unknown, dims: number, where: string): Float32Array {
  if (!Array.isArray(values)) throw bad(`${where}: expected an array of numbers (got ${describe(values)})`);
  if (values.length !== dims) {
    throw new SrdError('SRD_ERR_EMBED_BAD_RESPONSE', `${where}: got ${values.length} dimensions, expected ${dims} (vectorStore.vectorDim)`, {
      details: { got: values.length, expected: dims },
    });
  }
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = values[i];
    if (typeof x !== 'number') throw bad(`${where}: value ${i} is ${describe(x)}, expected a number`);
    v[i] = x;
    if (!Number.isFinite(v[i])) throw bad(`${where}: value ${i} is not a finite float32 (${String(x)})`);
    norm += v[i]! * v[i]!;
  }
  if (!(norm > 0) || !Number.isFinite(norm)) throw bad(`${where}: vector has zero or infinite length`);
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < dims; i++) v[i]! *= inv;
  return v;
}

function bad(message: string): SrdError {
  return new SrdError('SRD_ERR_EMBED_BAD_RESPONSE', message);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'string') return `a string`;
  return typeof x;
}
