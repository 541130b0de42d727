/**
 * Feature extraction for the built-in local embedder: what a message looks like to a router
 * with no model weights. English and Chinese are both first-class: Latin text gives words, word
 * bigrams and character trigrams (typo tolerance); Han text (no spaces) gives character uni-, bi-
 * and trigrams; the first word or Han bigram is marked again (instructions start with their
 * verb: "translate…", "write…", "将…", "解释…"); code, stack traces, maths, length and script give
 * structural features. Mixed Chinese-English text gives both kinds, so "用 Python 写" shares
 * `w:python` with English code requests.
 * Output: feature name → weight before hashing (tf already log-scaled).
 */

/**
 * Relative weight of each feature family, chosen on a held-out fifth of the seed plus 5-fold
 * held-out figures, averaged over three hash salts because a single hashing is ±0.7 points of
 * noise (issue 3): Han unigrams carry more than their count suggests (1.0 beat 0.5 and 0.8); Han
 * trigrams and word bigrams are mostly unseen at routing time and then only add collisions in
 * 1024 dims (Han trigrams 0.3 beat 0.5 and 0.6; word bigrams 0.35 beat 0.7 and matched 0); the
 * start marker helps (1.0 beat 0.5 and 0).
 */
export const FAMILY_WEIGHTS = {
  word: 1.0,
  wordBigram: 0.35,
  charTrigram: 0.3,
  han1: 1.0,
  han2: 1.0,
  han3: 0.3,
  symbol: 0.35,
  shape: 1.0,
  length: 0.5,
  script: 0.4,
  /** First word / first Han uni- and bigram (`t:write`, `t2:将这`): the instruction verb comes first. */
  start: 1.0,
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

/**
 * Every structural feature (shapes, length buckets, script, symbols): few, but present in most
 * messages. The embedder gives each its own dimension so they never collide with word features.
 */
export const STRUCTURAL_FEATURES: readonly string[] = [
  ...SHAPES.map(([name]) => `x:${name}`),
  ...Array.from({ length: 13 }, (_, i) => `len:${i}`),
  'script:latin', 'script:han', 'script:mixed',
  ...[...SYMBOLS].map((c) => `s:${c}`),
];

/** Light English suffix stripping so "tests", "testing", "tested" meet at "test" (and "cases" at "case"). */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 4) return word.slice(0, -2);
  if (/(?:ss|x|ch|sh)es$/.test(word) && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && word.length > 3) return word.slice(0, -1);
  return word;
}

/** Normalises for matching: NFKC (full-width → half-width), lower case. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/**
 * Extracts weighted features from `text`. Deterministic; no I/O.
 * Returns a map feature → weight (family weight × (1 + ln count)); families weighted 0 are left out.
 * Blank text has no features (the embedder turns it into the zero vector).
 */
export function extractFeatures(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (text.trim() === '') return counts;
  const add = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  const original = text.normalize('NFKC');
  const norm = original.toLowerCase();
  // '^' stands for the start of the message: the first word gives `t:<word>` instead of a bigram.
  let prevWord: string | null = '^';
  let atStart = true;
  let hanChars = 0;
  let latinWords = 0;

  for (const match of norm.matchAll(TOKEN_RE)) {
    const tok = match[0];
    if (HAN_RE.test(tok)) {
      prevWord = null;
      hanChars += tok.length;
      const chars = Array.from(tok);
      if (atStart) {
        add(`t1:${chars[0]}`);
        if (chars.length > 1) add(`t2:${chars[0]}${chars[1]}`);
      }
      atStart = false;
      for (let i = 0; i < chars.length; i++) {
        add(`h1:${chars[i]}`);
        if (i + 1 < chars.length) add(`h2:${chars[i]}${chars[i + 1]}`);
        if (i + 2 < chars.length) add(`h3:${chars[i]}${chars[i + 1]}${chars[i + 2]}`);
      }
      continue;
    }
    if (tok.length === 1 && SYMBOLS.has(tok)) {
      add(`s:${tok}`);
      continue;
    }
    if (!/[\p{L}\p{N}]/u.test(tok)) continue;
    latinWords++;
    const word = /^\d+(?:\.\d+)?$/.test(tok) ? '#num' : stem(tok);
    add(`w:${word}`);
    if (prevWord === '^') add(`t:${word}`);
    else if (prevWord !== null) add(`b:${prevWord} ${word}`);
    atStart = false;
    prevWord = word;
    if (tok.length >= 4 && word !== '#num') {
      const padded = `^${tok}$`;
      for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3)}`);
    }
  }

  for (const [name, re] of SHAPES) if (re.test(original)) add(`x:${name}`);
  add(`len:${Math.min(12, Math.floor(Math.log2(norm.length + 1)))}`);
  add(`script:${hanChars > 0 ? (latinWords > 0 ? 'mixed' : 'han') : 'latin'}`);

  for (const [name, count] of counts) {
    const weight = FAMILY_WEIGHTS[FAMILY_OF_PREFIX[name.slice(0, name.indexOf(':'))]!];
    // Sublinear tf: repeated features count, but a pasted log cannot drown everything else.
    if (weight > 0) counts.set(name, weight * (1 + Math.log(count)));
    else counts.delete(name);
  }
  return counts;
}

/** Family of each feature-name prefix. */
const FAMILY_OF_PREFIX: Record<string, keyof typeof FAMILY_WEIGHTS> = {
  w: 'word', b: 'wordBigram', c: 'charTrigram', h1: 'han1', h2: 'han2', h3: 'han3',
  s: 'symbol', x: 'shape', len: 'length', script: 'script', t: 'start', t1: 'start', t2: 'start',
};
