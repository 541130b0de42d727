/** mulberry32 (src/routing/dna-train.ts): a deterministic PRNG in [0, 1), so a failing run can be replayed with its seed. */
export { mulberry32 } from '../../src/intent-model/dna-train.js';
