/**
 * Feature extraction for the built-in local embedder: what a message looks like to a router
 * with no model weights. English and Chinese are both first-class: Latin text gives words, word
 * bigrams and character trigrams (typo tolerance); Han text (no spaces) gives character uni-, bi-
 * and trigrams; code, stack traces and maths give structural features of their own.
 * Output: feature name → weight before hashing (tf already log-scaled).
 */

/** Relative weight of each feature family (tuned by `smart-routerd eval` on held-out seed). */
export const FAMILY_WEIGHTS = {
  word: 1.0,
  wordBigram: 0.7,
  charTrigram: 0.3,
  han1: 0.5,
  han2: 1.0,
  han3: 0.6,
  symbol: 0.35,
  shape: 1.0,
  length: 0.5,
  script: 0.4,
} as const;

const TOKEN_RE = /\p{Script=Han}+|[\p{Script=Hiragana}\p{Script=Katakana}]+|\p{Script=Hangul}+|[\p{L}\p{N}_]+(?:['’][\p{L}]+)?|[^\s\p{L}\p{N}]/gu;
const HAN_RE = /\p{Script=Han}/u;
const SYMBOLS = new Set('{}()[];=<>#$|&*+-/\\^%~@:`"\'!?.,'.split(''));

const SHAPES: Array<[string, RegExp]> = [
  ['fence', /```/],
  ['newline', /\n/],
  ['camel', /\b[a-z]+[A-Z][a-zA-Z]*\b/],
  ['snake', /\b[a-z]+_[a-z_]+\b/],
  ['call', /\b\w+(?:\.\w+)*\([^)]*\)/],
  ['arrow', /=>|->|::/],
  ['assign', /\b\w+\s*(?:=|:=|\+=)\s*[\w"'[({]/],
  ['keyword', /\b(?:def|function|const|let|var|return|import|class|public|static|void|fn|func|SELECT|FROM|WHERE|#include|async|await)\b/],
  ['trace', /Traceback|Exception|\bError\b:|\bat \S+ \(|panic:|line \d+|segmentation fault|undefined is not|cannot read propert|报错|异常/i],
  ['path', /(?:\/[\w.-]+){2,}|\b[\w-]+\.(?:py|js|ts|tsx|go|rs|java|c|cpp|h|rb|php|sql|sh|ya?ml|json|toml|kt|swift)\b/],
  ['math', /\d\s*[-+*/^×÷=<>]\s*\d|[√∑∫π∞≤≥≠±]|\b(?:sin|cos|log|ln)\b|\^\d|[xyn]\s*[²³]/],
  ['number', /\d/],
  ['percent', /\d\s*%|百分之/],
  ['question', /[?？]\s*$|[吗呢]\s*[?？]?\s*$/],
  ['url', /https?:\/\//],
  ['quote', /["“”「」『』]/],
];

/** Light English suffix stripping so "tests", "testing", "tested" meet at "test". */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 4) return word.slice(0, -2);
  if (/(?:s|x|ch|sh)es$/.test(word) && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && word.length > 3) return word.slice(0, -1);
  return word;
}

/** Normalises for matching: NFKC (full-width → half-width), lower case. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/**
 * Extracts weighted features from `text`. Deterministic; no I/O.
 * Returns a map feature → weight (family weight × (1 + ln tf)).
 */
export function extractFeatures(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (name: string, weight: number) => counts.set(name, (counts.get(name) ?? 0) + weight);
  const original = text.normalize('NFKC');
  const norm = original.toLowerCase();
  let prevWord: string | null = null;
  let hanChars = 0;
  let latinWords = 0;

  for (const match of norm.matchAll(TOKEN_RE)) {
    const tok = match[0];
    if (HAN_RE.test(tok)) {
      prevWord = null;
      hanChars += tok.length;
      const chars = Array.from(tok);
      for (let i = 0; i < chars.length; i++) {
        add(`h1:${chars[i]}`, FAMILY_WEIGHTS.han1);
        if (i + 1 < chars.length) add(`h2:${chars[i]}${chars[i + 1]}`, FAMILY_WEIGHTS.han2);
        if (i + 2 < chars.length) add(`h3:${chars[i]}${chars[i + 1]}${chars[i + 2]}`, FAMILY_WEIGHTS.han3);
      }
      continue;
    }
    if (tok.length === 1 && SYMBOLS.has(tok)) {
      add(`s:${tok}`, FAMILY_WEIGHTS.symbol);
      continue;
    }
    if (!/[\p{L}\p{N}]/u.test(tok)) continue;
    latinWords++;
    const word = /^\d+(?:\.\d+)?$/.test(tok) ? '#num' : stem(tok);
    add(`w:${word}`, FAMILY_WEIGHTS.word);
    if (prevWord !== null) add(`b:${prevWord} ${word}`, FAMILY_WEIGHTS.wordBigram);
    prevWord = word;
    if (tok.length >= 4 && word !== '#num') {
      const padded = `^${tok}$`;
      for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3)}`, FAMILY_WEIGHTS.charTrigram);
    }
  }

  for (const [name, re] of SHAPES) if (re.test(original)) add(`x:${name}`, FAMILY_WEIGHTS.shape);
  add(`len:${Math.min(12, Math.floor(Math.log2(norm.length + 1)))}`, FAMILY_WEIGHTS.length);
  add(`script:${hanChars > 0 ? (latinWords > 0 ? 'mixed' : 'han') : 'latin'}`, FAMILY_WEIGHTS.script);

  const features = new Map<string, number>();
  for (const [name, w] of counts) {
    // Sublinear tf: repeated features count, but a pasted log cannot drown everything else.
    const unit = familyWeight(name);
    const tf = w / unit;
    features.set(name, unit * (1 + Math.log(tf)));
  }
  return features;
}

function familyWeight(name: string): number {
  switch (name.slice(0, name.indexOf(':'))) {
    case 'h1': return FAMILY_WEIGHTS.han1;
    case 'h2': return FAMILY_WEIGHTS.han2;
    case 'h3': return FAMILY_WEIGHTS.han3;
    case 's': return FAMILY_WEIGHTS.symbol;
    case 'w': return FAMILY_WEIGHTS.word;
    case 'b': return FAMILY_WEIGHTS.wordBigram;
    case 'c': return FAMILY_WEIGHTS.charTrigram;
    case 'x': return FAMILY_WEIGHTS.shape;
    case 'len': return FAMILY_WEIGHTS.length;
    default: return FAMILY_WEIGHTS.script;
  }
}
