/** Character trigrams of a text, lower-cased, whitespace removed (near-duplicate checks of test messages against training texts). */
export function trigrams(text: string): Set<string> {
  const t = text.toLowerCase().replace(/\s+/g, '');
  return new Set(Array.from({ length: Math.max(0, t.length - 2) }, (_, i) => t.slice(i, i + 3)));
}

/** Jaccard similarity of two sets, in [0, 1] (0 for two empty sets). */
export function jaccard(a: Set<string>, b: Set<string>): number {
  let both = 0;
  for (const x of a) if (b.has(x)) both++;
  return both / (a.size + b.size - both || 1);
}
