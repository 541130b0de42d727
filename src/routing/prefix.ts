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
  const candidates: Array<[string, Tier]> = [
    ...prefixes.flagship.map((p): [string, Tier] => [p, 'flagship']),
    ...prefixes.lightweight.map((p): [string, Tier] => [p, 'lightweight']),
  ].sort((a, b) => b[0].length - a[0].length);
  for (const [prefix, tier] of candidates) {
    const p = fold(prefix);
    if (p.length > 0 && folded.startsWith(p)) {
      return { tier, prefix, text: trimmed.slice(p.length).replace(/^\s+/, '') };
    }
  }
  return null;
}

/** Case- and width-folds without changing string length (so offsets stay valid). */
function fold(s: string): string {
  return s.replace(/：/g, ':').toLowerCase();
}
