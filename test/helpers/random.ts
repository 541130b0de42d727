/** mulberry32 (src/routing/dna-train.ts): a deterministic PRNG in [0, 1), so a failing run can be replayed with its seed. */
export { mulberry32 } from '../../src/intent-model/dna-train.js';

/**
 * Six random seven-letter lowercase words, the same for the same `seed`: a text no seed utterance
 * resembles, so only a learned correction (patch) can move its route.
 */
export function nonsenseText(seed: number): string {
  let x = seed * 2654435761;
  const words: string[] = [];
  for (let w = 0; w < 6; w++) {
    let word = '';
    for (let c = 0; c < 7; c++) {
      x = (x * 1103515245 + 12345) >>> 0;
      word += String.fromCharCode(97 + (x % 26));
    }
    words.push(word);
  }
  return words.join(' ');
}
