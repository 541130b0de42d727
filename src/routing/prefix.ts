import type { Tier } from './intents.js';

/** A prefix command found at the start of a message. */
export interface PrefixMatch {
  tier: Tier;
  /** The prefix as configured. */
  prefix: string;
  /** The message with the prefix and following whitespace removed. */
  text: string;
}

/**
 * Detects a tier-forcing prefix (Smart Router doc: 旗舰:/F:/Force: → flagship, 轻量:/L:/Fast: →
 * lightweight). Matching ignores leading whitespace and Latin case, and treats the full-width
 * colon "：" as ":", so `轻量：写一个排序算法` and `f: hi` both match. Longest prefix wins.
 */
export function matchPrefix(text: string, prefixes: { flagship: string[]; lightweight: string[] }): PrefixMatch | null {
  const trimmed = text.replace(/^\s+/, '');
  const folded = fold(trimmed);
  for (const { prefix, folded: p, tier } of candidatesFor(prefixes)) {
    if (folded.startsWith(p)) return { tier, prefix, text: trimmed.slice(p.length).replace(/^\s+/, '') };
  }
  return null;
}

/** Folded prefixes, longest first, computed once per prefix config (the config object is immutable). */
const compiledPrefixes = new WeakMap<object, Array<{ prefix: string; folded: string; tier: Tier }>>();

function candidatesFor(prefixes: { flagship: string[]; lightweight: string[] }): Array<{ prefix: string; folded: string; tier: Tier }> {
  let list = compiledPrefixes.get(prefixes);
  if (!list) {
    list = [
      ...prefixes.flagship.map((prefix) => ({ prefix, folded: fold(prefix), tier: 'flagship' as Tier })),
      ...prefixes.lightweight.map((prefix) => ({ prefix, folded: fold(prefix), tier: 'lightweight' as Tier })),
    ]
      .filter((c) => c.folded.length > 0)
      .sort((a, b) => b.folded.length - a.folded.length);
    compiledPrefixes.set(prefixes, list);
  }
  return list;
}

/** Case- and width-folds without changing string length (so offsets stay valid). */
function fold(s: string): string {
  return s.replace(/：/g, ':').toLowerCase();
}
