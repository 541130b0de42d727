import { CC_HAN, CC_HANGUL, CC_KANA, CC_LETTER, CC_LETTER_OR_NUMBER, CC_SPACE, CC_WORD, charClass } from './char-class.js';

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

// The tokens of the lower-cased NFKC text are the matches of TOKEN_RE (the definition the DNA was
// built with), found without running it: asciiTokens and unicodeTokens walk the text with
// charClass (char-class.ts), whose flags come from these same property escapes.
//   TOKEN_RE = /\p{Script=Han}+|[\p{Script=Hiragana}\p{Script=Katakana}]+|\p{Script=Hangul}+|[\p{L}\p{N}_]+(?:['’][\p{L}]+)?|[^\s\p{L}\p{N}]/gu
// A token with a Han character gives Han n-grams; any other token with a letter or number
// ([\p{L}\p{N}]) is a word; a token of one ASCII symbol is a symbol feature.
// biome-ignore lint/suspicious/noControlCharactersInRegex: \x00-\x7f is the whole ASCII range; the regex finds any character outside it, control characters included
const NON_ASCII_RE = /[^\x00-\x7f]/;
/** No code point below U+2E80 (CJK Radicals Supplement) is Han (test/embedding/local-golden.test.ts checks). */
const FIRST_HAN_UNIT = 0x2e80;
const SYMBOLS = new Set('{}()[];=<>#$|&*+-/\\^%~@:`"\'!?.,'.split(''));

// Character flags of a text, found in one scan (charFlags). A shape regex below runs only when
// the text has a character every match of it needs: most messages have no '_', '(', '=' or
// digit, and the flag test is much cheaper than a regex search that finds nothing.
const NON_ASCII = 1 << 0;
const DIGIT = 1 << 1;
const NEWLINE = 1 << 2;
const BACKTICK = 1 << 3;
const UNDERSCORE = 1 << 4;
const OPEN_PAREN = 1 << 5;
const EQUALS = 1 << 6;
const GREATER = 1 << 7;
const COLON = 1 << 8;
const SLASH = 1 << 9;
const PERCENT = 1 << 10;
const QUESTION = 1 << 11;
const DOUBLE_QUOTE = 1 << 12;
/** An ASCII lower-case letter directly followed by an upper-case one (`myVar`). */
const LOWER_THEN_UPPER = 1 << 13;
/** A '.' directly followed by an ASCII lower-case letter (`main.py`). */
const DOT_THEN_LOWER = 1 << 14;
/** The shape regex has no cheap necessary character: always run it. */
const ANY_TEXT = 0;

/** Flags of each ASCII character (non-ASCII characters all give NON_ASCII). */
const ASCII_FLAGS = new Uint16Array(128);
for (const [chars, flag] of [
  ['0123456789', DIGIT],
  ['\n', NEWLINE],
  ['`', BACKTICK],
  ['_', UNDERSCORE],
  ['(', OPEN_PAREN],
  ['=', EQUALS],
  ['>', GREATER],
  [':', COLON],
  ['/', SLASH],
  ['%', PERCENT],
  ['?', QUESTION],
  ['"', DOUBLE_QUOTE],
] as const) {
  for (const c of chars) ASCII_FLAGS[c.charCodeAt(0)]! |= flag;
}

/**
 * Shapes of the original (NFKC, not lower-cased) text: name, then one or more [regex, flags]
 * parts; the shape is present when a part's regex matches. A regex runs only if the text has one
 * of its flags (ANY_TEXT: none needed), each flag set read off its regex: e.g. every alternative
 * of `assign` contains '=', `percent` needs '%' or the non-ASCII 百分之. A regex test of an
 * alternation is the OR of its alternatives' tests, so `math` is split into three gated parts.
 */
const SHAPES: Array<[name: string, ...parts: Array<[re: RegExp, needs: number]>]> = [
  ['fence', [/```/, BACKTICK]],
  ['newline', [/\n/, NEWLINE]],
  ['camel', [/\b[a-z]+[A-Z][a-zA-Z]*\b/, LOWER_THEN_UPPER]],
  ['snake', [/\b[a-z]+_[a-z_]+\b/, UNDERSCORE]],
  ['call', [/\b\w+(?:\.\w+)*\([^)]*\)/, OPEN_PAREN]],
  ['arrow', [/=>|->|::/, GREATER | COLON]],
  ['assign', [/\b\w+\s*(?:=|:=|\+=)\s*[\w"'[({]/, EQUALS]],
  ['keyword', [/\b(?:def|function|const|let|var|return|import|class|public|static|void|fn|func|SELECT|FROM|WHERE|#include|async|await)\b/, ANY_TEXT]],
  ['trace', [/Traceback|Exception|\bError\b:|\bat \S+ \(|panic:|line \d+|segmentation fault|undefined is not|cannot read propert|报错|异常/i, ANY_TEXT]],
  // '/' for the first alternative; every extension of the second starts with a lower-case letter.
  ['path', [/(?:\/[\w.-]+){2,}|\b[\w-]+\.(?:py|js|ts|tsx|go|rs|java|c|cpp|h|rb|php|sql|sh|ya?ml|json|toml|kt|swift)\b/, SLASH | DOT_THEN_LOWER]],
  // = /\d\s*[-+*/^×÷=<>]\s*\d|[√∑∫π∞≤≥≠±]|\b(?:sin|cos|log|ln)\b|\^\d|[xyn]\s*[²³]/
  ['math', [/\d\s*[-+*/^×÷=<>]\s*\d|\^\d/, DIGIT], [/[√∑∫π∞≤≥≠±]|[xyn]\s*[²³]/, NON_ASCII], [/\b(?:sin|cos|log|ln)\b/, ANY_TEXT]],
  ['number', [/\d/, DIGIT]],
  ['percent', [/\d\s*%|百分之/, PERCENT | NON_ASCII]],
  ['question', [/[?？]\s*$|[吗呢]\s*[?？]?\s*$/, QUESTION | NON_ASCII]],
  ['url', [/https?:\/\//, COLON]],
  ['quote', [/["“”「」『』]/, DOUBLE_QUOTE | NON_ASCII]],
];

/**
 * Every structural feature (shapes, length buckets, script, symbols): few, but present in most
 * messages. The embedder gives each its own dimension so they never collide with word features.
 */
export const STRUCTURAL_FEATURES: readonly string[] = [
  ...SHAPES.map(([name]) => `x:${name}`),
  ...Array.from({ length: 13 }, (_, i) => `len:${i}`),
  'script:latin',
  'script:han',
  'script:mixed',
  ...[...SYMBOLS].map((c) => `s:${c}`),
];

/** Light English suffix stripping so "tests", "testing", "tested" meet at "test" (and "cases" at "case"). */
export function stem(word: string): string {
  if (word.length <= 3 || hasDigit(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 4) return word.slice(0, -2);
  // endsWith first: the regex is the slow part and most words do not end in "es".
  if (word.endsWith('es') && /(?:ss|x|ch|sh)es$/.test(word) && word.length > 4) return word.slice(0, -2);
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
 * The map's order is the order in which each feature first occurs (the embedder adds them in it).
 */
export function extractFeatures(text: string): Map<string, number> {
  const features = new Map<string, number>();
  const n = sharedCollector.collect(text);
  for (let i = 0; i < n; i++) {
    const weight = sharedCollector.weight(i);
    if (weight > 0) features.set(sharedCollector.name(i), weight);
  }
  return features;
}

// Feature families as the collector stores them. A feature's identity is its family and up to
// three integers (k1, k2, k3; unused ones 0), exact so that two names never share a count:
//   WORD, START (t:)        k1 = word id (index into the message's words)
//   BIGRAM (b:)             k1, k2 = previous and current word id
//   TRIGRAM (c:)            k1, k2, k3 = UTF-16 code units of the padded word's trigram
//   HAN1/2/3, START1/2      k1… = code points (a lone surrogate is its own, as Array.from gives)
//   SYMBOL…SCRIPT           k1 = index in STRUCTURAL_FEATURES
const WORD = 0;
const START = 1;
const BIGRAM = 2;
const TRIGRAM = 3;
const HAN1 = 4;
const HAN2 = 5;
const HAN3 = 6;
const START1 = 7;
const START2 = 8;
const SYMBOL = 9;
const SHAPE = 10;
const LENGTH = 11;
const SCRIPT = 12;

/** Name prefix of each non-structural family (structural features are named by STRUCTURAL_FEATURES). */
const PREFIX = ['w:', 't:', 'b:', 'c:', 'h1:', 'h2:', 'h3:', 't1:', 't2:'];
const FAMILY_WEIGHT = [
  FAMILY_WEIGHTS.word,
  FAMILY_WEIGHTS.start,
  FAMILY_WEIGHTS.wordBigram,
  FAMILY_WEIGHTS.charTrigram,
  FAMILY_WEIGHTS.han1,
  FAMILY_WEIGHTS.han2,
  FAMILY_WEIGHTS.han3,
  FAMILY_WEIGHTS.start,
  FAMILY_WEIGHTS.start,
  FAMILY_WEIGHTS.symbol,
  FAMILY_WEIGHTS.shape,
  FAMILY_WEIGHTS.length,
  FAMILY_WEIGHTS.script,
];

/**
 * FNV-1a over UTF-16 code units, then a murmur3-style finaliser so nearby strings spread out.
 * Returns an unsigned 32-bit hash. The embedder's hash of a feature name.
 */
export function hash32(s: string): number {
  return finalise(fnvString(FNV_OFFSET, s));
}

// FNV-1a is a running hash: the state after a prefix (`c:`) continues over the rest of a name,
// so a feature is hashed from its identity (word, code points) without building its name.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const BIGRAM_SEPARATOR = 0x20; // ' ' in `b:<previous> <word>`

function fnvUnit(h: number, unit: number): number {
  return Math.imul(h ^ unit, FNV_PRIME);
}

function fnvString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** Continues over a code point's UTF-16 units (two for a supplementary one), as in the name string. */
function fnvCodePoint(h: number, cp: number): number {
  if (cp <= 0xffff) return fnvUnit(h, cp);
  return fnvUnit(fnvUnit(h, 0xd800 + ((cp - 0x10000) >> 10)), 0xdc00 + ((cp - 0x10000) & 0x3ff));
}

function finalise(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV state after each family's name prefix. */
const PREFIX_STATE = PREFIX.map((prefix) => fnvString(FNV_OFFSET, prefix));
/** hash32 of each structural feature's name (used when dims are too few to reserve them dimensions). */
const STRUCTURAL_HASH = Uint32Array.from(STRUCTURAL_FEATURES, hash32);

const slotOf = (name: string): number => STRUCTURAL_FEATURES.indexOf(name);
const SHAPE_SLOT = SHAPES.map(([name]) => slotOf(`x:${name}`));
// SHAPES' parts flattened, in order: part p tests PART_RE[p] if the text has a PART_NEEDS[p] flag,
// and gives shape PART_SHAPE[p] (a shape stops at its first matching part).
const PART_RE = SHAPES.flatMap(([, ...parts]) => parts.map(([re]) => re));
const PART_NEEDS = Int32Array.from(SHAPES.flatMap(([, ...parts]) => parts.map(([, needs]) => needs)));
const PART_SHAPE = Int32Array.from(SHAPES.flatMap(([, ...parts], s) => parts.map(() => s)));
const LENGTH_SLOT = Array.from({ length: 13 }, (_, i) => slotOf(`len:${i}`));
const SCRIPT_SLOT = { latin: slotOf('script:latin'), han: slotOf('script:han'), mixed: slotOf('script:mixed') };
/** STRUCTURAL_FEATURES index of `s:<c>` by char code; −1 for a non-symbol (all symbols are ASCII). */
const SYMBOL_SLOT = new Int8Array(128).fill(-1);
for (const c of SYMBOLS) SYMBOL_SLOT[c.charCodeAt(0)] = slotOf(`s:${c}`);

/** `prevWord` before the first word of the message (gives `t:<word>`) and after a Han run (no bigram). */
const AT_MESSAGE_START = -1;
const AFTER_HAN = -2;
const CARET = 0x5e; // '^', pads a word's start for its trigrams
const DOLLAR = 0x24; // '$', pads its end
const APOSTROPHE = 0x27;
const RIGHT_QUOTE = 0x2019; // ’, TOKEN_RE's other apostrophe

/**
 * TOKEN_RE's view of each ASCII character, for asciiTokens: whitespace (`\s`), a letter, a digit
 * or '_' (both word characters: kind ≥ WORD_CHAR), or any other character.
 */
const SPACE_CHAR = 0;
const OTHER_CHAR = 1;
const WORD_CHAR = 2;
const LETTER = 3;
const ASCII_KIND = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ASCII_KIND[c] = /[A-Za-z]/.test(ch) ? LETTER : /[0-9_]/.test(ch) ? WORD_CHAR : /\s/.test(ch) ? SPACE_CHAR : OTHER_CHAR;
}

const INITIAL_CAPACITY = 256;
const INITIAL_WORDS = 64;
/** Tables grown past this many features by one huge message are dropped on the next message. */
const MAX_KEPT_CAPACITY = 1 << 14;
/** The word every number token becomes. */
const NUM_WORD = '#num';
const LOWER_Y = 0x79; // the 'y' stem() puts back for "-ies"

/**
 * Finds and counts the features of a message without building their names: the embedder's fast
 * path, and the single definition of what extractFeatures returns. After collect(text), features
 * 0…size−1 are in the order of their first occurrence, each with a weight, a name, the name's
 * hash32 and, for structural ones, a STRUCTURAL_FEATURES slot. Keeps its tables from message to
 * message, so each user (an embedder, extractFeatures) has its own; calls are synchronous and
 * never overlap.
 *
 * Tokens and words are ranges of the normalised text, never strings of their own: a word is
 * `src[start, end)` plus the 'y' stem() appends to "-ies", hashed and compared in place (no
 * slice, no Map). Names are built only when name() asks.
 */
export class FeatureCollector {
  /** Number of distinct features found by the last collect(). */
  size = 0;

  // Per feature, in order of first occurrence: family, identity and occurrence count.
  private family = new Uint8Array(INITIAL_CAPACITY);
  private k1 = new Int32Array(INITIAL_CAPACITY);
  private k2 = new Int32Array(INITIAL_CAPACITY);
  private k3 = new Int32Array(INITIAL_CAPACITY);
  private count = new Int32Array(INITIAL_CAPACITY);
  // Open addressing, at most half full: buckets[j] = feature index + 1 (0 = empty);
  // bucketOf[i] = bucket of feature i, so a reset empties only the buckets in use.
  private buckets = new Int32Array(2 * INITIAL_CAPACITY);
  private bucketOf = new Int32Array(INITIAL_CAPACITY);

  // Words of the message by id (order of first occurrence): the stemmed word is
  // wordSrc[id].slice(wordStart[id], wordEnd[id]) + (wordY[id] ? 'y' : ''); wordHash[id] is the
  // FNV state after `w:<word>` (finalised, the WORD feature's hash). Same open addressing as above.
  private wordCount = 0;
  private wordSrc: string[] = [];
  private wordStart = new Int32Array(INITIAL_WORDS);
  private wordEnd = new Int32Array(INITIAL_WORDS);
  private wordY = new Uint8Array(INITIAL_WORDS);
  private wordHash = new Int32Array(INITIAL_WORDS);
  private wordBuckets = new Int32Array(2 * INITIAL_WORDS);
  private wordBucketOf = new Int32Array(INITIAL_WORDS);
  /** Code points of the current Han run. */
  private codePoints = new Int32Array(64);

  // Tokeniser state of the current message.
  private prevWord = AT_MESSAGE_START;
  private atStart = true;
  private hanChars = 0;
  private latinWords = 0;

  /**
   * Collects the features of `text` (any string: lone surrogates, NUL…), replacing those of the
   * previous call. Returns their number, 0 for blank text. Never throws for a string.
   */
  collect(text: string): number {
    this.reset();
    if (text.trim() === '') return 0;
    // NFKC leaves ASCII unchanged; skipping it saves a copy through ICU for most messages.
    const ascii = !NON_ASCII_RE.test(text);
    const original = ascii ? text : text.normalize('NFKC');
    const norm = original.toLowerCase();
    if (ascii) this.asciiTokens(norm);
    else this.unicodeTokens(norm);
    this.shapes(original);
    this.add(LENGTH, LENGTH_SLOT[Math.min(12, Math.floor(Math.log2(norm.length + 1)))]!);
    this.add(SCRIPT, this.hanChars > 0 ? (this.latinWords > 0 ? SCRIPT_SLOT.mixed : SCRIPT_SLOT.han) : SCRIPT_SLOT.latin);
    return this.size;
  }

  /** Weight of feature `i`: family weight × (1 + ln count), exactly as extractFeatures reports it. */
  weight(i: number): number {
    // Sublinear tf: repeated features count, but a pasted log cannot drown everything else.
    // Most features occur once, and then 1 + ln 1 is exactly 1: skip the log.
    const weight = FAMILY_WEIGHT[this.family[i]!]!;
    const count = this.count[i]!;
    return count === 1 ? weight : weight * (1 + Math.log(count));
  }

  /** Index of feature `i` in STRUCTURAL_FEATURES, or −1 for word, character and Han features. */
  structuralSlot(i: number): number {
    return this.family[i]! >= SYMBOL ? this.k1[i]! : -1;
  }

  /** Name of feature `i` (`w:test`, `b:write a`, `h2:将这`, `x:camel`…): extractFeatures' key. */
  name(i: number): string {
    const family = this.family[i]!;
    const a = this.k1[i]!;
    const b = this.k2[i]!;
    const c = this.k3[i]!;
    switch (family) {
      case WORD:
      case START:
        return PREFIX[family] + this.wordText(a);
      case BIGRAM:
        return `b:${this.wordText(a)} ${this.wordText(b)}`;
      case TRIGRAM:
        return `c:${String.fromCharCode(a, b, c)}`;
      case HAN1:
      case START1:
        return PREFIX[family] + String.fromCodePoint(a);
      case HAN2:
      case START2:
        return PREFIX[family] + String.fromCodePoint(a, b);
      case HAN3:
        return PREFIX[family] + String.fromCodePoint(a, b, c);
      default:
        return STRUCTURAL_FEATURES[a]!;
    }
  }

  /** hash32(name(i)), computed from the feature's identity without building the name. */
  nameHash(i: number): number {
    const family = this.family[i]!;
    const a = this.k1[i]!;
    if (family >= SYMBOL) return STRUCTURAL_HASH[a]!;
    const b = this.k2[i]!;
    const c = this.k3[i]!;
    const h = PREFIX_STATE[family]!;
    switch (family) {
      case WORD:
        return finalise(this.wordHash[a]!);
      case START:
        return finalise(this.fnvWord(h, a));
      case BIGRAM:
        return finalise(this.fnvWord(fnvUnit(this.fnvWord(h, a), BIGRAM_SEPARATOR), b));
      case TRIGRAM:
        return finalise(fnvUnit(fnvUnit(fnvUnit(h, a), b), c));
      case HAN1:
      case START1:
        return finalise(fnvCodePoint(h, a));
      case HAN2:
      case START2:
        return finalise(fnvCodePoint(fnvCodePoint(h, a), b));
      default: // HAN3
        return finalise(fnvCodePoint(fnvCodePoint(fnvCodePoint(h, a), b), c));
    }
  }

  /**
   * TOKEN_RE's tokens of ASCII text, found without the regex. In ASCII, TOKEN_RE reduces to: a
   * run of [A-Za-z0-9_], then optionally "'" and a run of letters; else one character that is
   * neither whitespace nor a letter or digit. No ASCII token has a Han character.
   */
  private asciiTokens(s: string): void {
    let i = 0;
    while (i < s.length) {
      const kind = ASCII_KIND[s.charCodeAt(i)]!;
      if (kind === SPACE_CHAR) {
        i++;
      } else if (kind === OTHER_CHAR) {
        this.nonHanToken(s, i, i + 1);
        i++;
      } else {
        let end = i + 1;
        while (end < s.length && ASCII_KIND[s.charCodeAt(end)]! >= WORD_CHAR) end++;
        if (s.charCodeAt(end) === APOSTROPHE && ASCII_KIND[s.charCodeAt(end + 1)] === LETTER) {
          end += 2;
          while (end < s.length && ASCII_KIND[s.charCodeAt(end)] === LETTER) end++;
        }
        this.nonHanToken(s, i, end);
        i = end;
      }
    }
  }

  /**
   * TOKEN_RE's tokens of any text, found by walking code points (as a `u` regex does: a lone
   * surrogate is one) and taking TOKEN_RE's first alternative that matches at each: a Han run, a
   * kana run, a Hangul run, a word (with one apostrophe part), else one non-space character.
   */
  private unicodeTokens(s: string): void {
    const n = s.length;
    let i = 0;
    while (i < n) {
      const cp = s.codePointAt(i)!;
      const cls = charClass(cp);
      const next = i + (cp > 0xffff ? 2 : 1);
      if ((cls & CC_HAN) !== 0) {
        const end = runOf(s, next, CC_HAN);
        this.hanRun(s, i, end);
        i = end;
      } else if ((cls & CC_KANA) !== 0) {
        const end = runOf(s, next, CC_KANA);
        this.nonHanToken(s, i, end);
        i = end;
      } else if ((cls & CC_HANGUL) !== 0) {
        const end = runOf(s, next, CC_HANGUL);
        this.nonHanToken(s, i, end);
        i = end;
      } else if ((cls & CC_WORD) !== 0) {
        let end = runOf(s, next, CC_WORD);
        const q = s.charCodeAt(end);
        if ((q === APOSTROPHE || q === RIGHT_QUOTE) && end + 1 < n && (charClass(s.codePointAt(end + 1)!) & CC_LETTER) !== 0) {
          end = runOf(s, end + 1, CC_LETTER);
        }
        if (hasHan(s, i, end)) this.hanRun(s, i, end);
        else this.nonHanToken(s, i, end);
        i = end;
      } else {
        if ((cls & CC_SPACE) === 0) this.nonHanToken(s, i, next);
        i = next;
      }
    }
  }

  /** A token `s[start, end)` without Han characters: a symbol, a word, or nothing (other punctuation, emoji…). */
  private nonHanToken(s: string, start: number, end: number): void {
    if (end - start === 1) {
      const code = s.charCodeAt(start);
      const slot = code < 128 ? SYMBOL_SLOT[code]! : -1;
      if (slot >= 0) {
        this.add(SYMBOL, slot);
        return;
      }
    }
    if (hasLetterOrNumber(s, start, end)) this.word(s, start, end);
  }

  /**
   * A token `s[start, end)` with a Han character (a Latin word glued to Han, `git回滚`, is one such
   * token): its characters give uni-, bi- and trigrams, the first two the start marks.
   */
  private hanRun(s: string, start: number, end: number): void {
    this.prevWord = AFTER_HAN;
    this.hanChars += end - start;
    const n = this.splitCodePoints(s, start, end);
    const cp = this.codePoints;
    if (this.atStart) {
      this.add(START1, cp[0]!);
      if (n > 1) this.add(START2, cp[0]!, cp[1]!);
    }
    this.atStart = false;
    for (let i = 0; i < n; i++) {
      this.add(HAN1, cp[i]!);
      if (i + 1 < n) this.add(HAN2, cp[i]!, cp[i + 1]!);
      if (i + 2 < n) this.add(HAN3, cp[i]!, cp[i + 1]!, cp[i + 2]!);
    }
  }

  /** A word `s[start, end)` (Latin, kana, Hangul, digits…): the stemmed word, its start mark or bigram, its trigrams. */
  private word(s: string, start: number, end: number): void {
    this.latinWords++;
    const isNumber = isDigits(s, start, end);
    let id: number;
    if (isNumber) {
      id = this.wordId(NUM_WORD, 0, NUM_WORD.length, 0);
    } else {
      const stemmed = stemEnd(s, start, end);
      id = this.wordId(s, start, stemmed >> 1, stemmed & 1);
    }
    this.add(WORD, id);
    if (this.prevWord === AT_MESSAGE_START) this.add(START, id);
    else if (this.prevWord !== AFTER_HAN) this.add(BIGRAM, this.prevWord, id);
    this.atStart = false;
    this.prevWord = id;
    if (end - start >= 4 && !isNumber) this.trigrams(s, start, end);
  }

  /** Character trigrams of `^tok$` (typo tolerance), from the unstemmed token `s[start, end)`. */
  private trigrams(s: string, start: number, end: number): void {
    let a = CARET;
    let b = s.charCodeAt(start);
    for (let i = start + 1; i < end; i++) {
      const c = s.charCodeAt(i);
      this.add(TRIGRAM, a, b, c);
      a = b;
      b = c;
    }
    this.add(TRIGRAM, a, b, DOLLAR);
  }

  /** The shape features of the original text, in SHAPES order. */
  private shapes(original: string): void {
    const flags = charFlags(original);
    let found = -1;
    for (let p = 0; p < PART_RE.length; p++) {
      const shape = PART_SHAPE[p]!;
      if (shape === found) continue;
      const needs = PART_NEEDS[p]!;
      if ((needs === ANY_TEXT || (flags & needs) !== 0) && PART_RE[p]!.test(original)) {
        this.add(SHAPE, SHAPE_SLOT[shape]!);
        found = shape;
      }
    }
  }

  /** Counts one occurrence of a feature, numbering it if it is new. */
  private add(family: number, a: number, b = 0, c = 0): void {
    if (this.size === this.count.length) this.grow();
    const mask = this.buckets.length - 1;
    for (let j = mix(family, a, b, c) & mask; ; j = (j + 1) & mask) {
      const entry = this.buckets[j]!;
      if (entry === 0) {
        const i = this.size++;
        this.family[i] = family;
        this.k1[i] = a;
        this.k2[i] = b;
        this.k3[i] = c;
        this.count[i] = 1;
        this.buckets[j] = i + 1;
        this.bucketOf[i] = j;
        return;
      }
      const i = entry - 1;
      if (this.k1[i] === a && this.k2[i] === b && this.k3[i] === c && this.family[i] === family) {
        this.count[i]!++;
        return;
      }
    }
  }

  /** Doubles the feature capacity and re-buckets the features found so far. */
  private grow(): void {
    const capacity = 2 * this.count.length;
    const family = new Uint8Array(capacity);
    family.set(this.family);
    this.family = family;
    this.k1 = resized(this.k1, capacity);
    this.k2 = resized(this.k2, capacity);
    this.k3 = resized(this.k3, capacity);
    this.count = resized(this.count, capacity);
    this.buckets = new Int32Array(2 * capacity);
    this.bucketOf = new Int32Array(capacity);
    const mask = this.buckets.length - 1;
    for (let i = 0; i < this.size; i++) {
      let j = mix(this.family[i]!, this.k1[i]!, this.k2[i]!, this.k3[i]!) & mask;
      while (this.buckets[j] !== 0) j = (j + 1) & mask;
      this.buckets[j] = i + 1;
      this.bucketOf[i] = j;
    }
  }

  /** Forgets the previous message; drops tables that one huge message grew. */
  private reset(): void {
    if (this.count.length > MAX_KEPT_CAPACITY) {
      this.family = new Uint8Array(INITIAL_CAPACITY);
      this.k1 = new Int32Array(INITIAL_CAPACITY);
      this.k2 = new Int32Array(INITIAL_CAPACITY);
      this.k3 = new Int32Array(INITIAL_CAPACITY);
      this.count = new Int32Array(INITIAL_CAPACITY);
      this.buckets = new Int32Array(2 * INITIAL_CAPACITY);
      this.bucketOf = new Int32Array(INITIAL_CAPACITY);
    } else {
      for (let i = 0; i < this.size; i++) this.buckets[this.bucketOf[i]!] = 0;
    }
    if (this.wordStart.length > MAX_KEPT_CAPACITY) {
      this.wordStart = new Int32Array(INITIAL_WORDS);
      this.wordEnd = new Int32Array(INITIAL_WORDS);
      this.wordY = new Uint8Array(INITIAL_WORDS);
      this.wordHash = new Int32Array(INITIAL_WORDS);
      this.wordBuckets = new Int32Array(2 * INITIAL_WORDS);
      this.wordBucketOf = new Int32Array(INITIAL_WORDS);
    } else {
      for (let id = 0; id < this.wordCount; id++) this.wordBuckets[this.wordBucketOf[id]!] = 0;
    }
    if (this.codePoints.length > MAX_KEPT_CAPACITY) this.codePoints = new Int32Array(64);
    this.size = 0;
    this.wordCount = 0;
    this.wordSrc.length = 0;
    this.prevWord = AT_MESSAGE_START;
    this.atStart = true;
    this.hanChars = 0;
    this.latinWords = 0;
  }

  /**
   * Id of the word `src[start, end)` + ('y' if `y`), numbering it if it is new. Words are equal
   * when their text is: "happy" and "happ"+'y' (from "happies") are one word.
   */
  private wordId(src: string, start: number, end: number, y: number): number {
    let h = PREFIX_STATE[WORD]!;
    for (let i = start; i < end; i++) h = Math.imul(h ^ src.charCodeAt(i), FNV_PRIME);
    if (y) h = fnvUnit(h, LOWER_Y);
    const length = end - start + y;
    const mask = this.wordBuckets.length - 1;
    let j = mix(WORD, h, length, 0) & mask;
    for (; ; j = (j + 1) & mask) {
      const entry = this.wordBuckets[j]!;
      if (entry === 0) break;
      const id = entry - 1;
      if (this.wordHash[id] === h && this.sameWord(id, src, start, end, y)) return id;
    }
    if (this.wordCount === this.wordStart.length) {
      this.growWords();
      return this.wordId(src, start, end, y);
    }
    const id = this.wordCount++;
    this.wordSrc[id] = src;
    this.wordStart[id] = start;
    this.wordEnd[id] = end;
    this.wordY[id] = y;
    this.wordHash[id] = h;
    this.wordBuckets[j] = id + 1;
    this.wordBucketOf[id] = j;
    return id;
  }

  /** Whether word `id` is the text `src[start, end)` + ('y' if `y`). */
  private sameWord(id: number, src: string, start: number, end: number, y: number): boolean {
    const length = end - start + y;
    const s2 = this.wordSrc[id]!;
    const start2 = this.wordStart[id]!;
    const end2 = this.wordEnd[id]!;
    const y2 = this.wordY[id]!;
    if (end2 - start2 + y2 !== length) return false;
    for (let k = 0; k < length; k++) {
      const c1 = start + k < end ? src.charCodeAt(start + k) : LOWER_Y;
      const c2 = start2 + k < end2 ? s2.charCodeAt(start2 + k) : LOWER_Y;
      if (c1 !== c2) return false;
    }
    return true;
  }

  /** Doubles the word capacity and re-buckets the words found so far. */
  private growWords(): void {
    const capacity = 2 * this.wordStart.length;
    this.wordStart = resized(this.wordStart, capacity);
    this.wordEnd = resized(this.wordEnd, capacity);
    this.wordHash = resized(this.wordHash, capacity);
    const y = new Uint8Array(capacity);
    y.set(this.wordY);
    this.wordY = y;
    this.wordBuckets = new Int32Array(2 * capacity);
    this.wordBucketOf = new Int32Array(capacity);
    const mask = this.wordBuckets.length - 1;
    for (let id = 0; id < this.wordCount; id++) {
      let j = mix(WORD, this.wordHash[id]!, this.wordEnd[id]! - this.wordStart[id]! + this.wordY[id]!, 0) & mask;
      while (this.wordBuckets[j] !== 0) j = (j + 1) & mask;
      this.wordBuckets[j] = id + 1;
      this.wordBucketOf[id] = j;
    }
  }

  /** FNV state `h` continued over word `id`'s text. */
  private fnvWord(h: number, id: number): number {
    const src = this.wordSrc[id]!;
    const end = this.wordEnd[id]!;
    for (let i = this.wordStart[id]!; i < end; i++) h = Math.imul(h ^ src.charCodeAt(i), FNV_PRIME);
    return this.wordY[id] ? fnvUnit(h, LOWER_Y) : h;
  }

  /** Word `id` as a string (for name()). */
  private wordText(id: number): string {
    const text = this.wordSrc[id]!.slice(this.wordStart[id]!, this.wordEnd[id]!);
    return this.wordY[id] ? `${text}y` : text;
  }

  /** Code points of `s[start, end)` into codePoints, as Array.from splits the token; returns their number. */
  private splitCodePoints(s: string, start: number, end: number): number {
    const length = end - start;
    if (this.codePoints.length < length) this.codePoints = new Int32Array(Math.max(length, 2 * this.codePoints.length));
    let n = 0;
    for (let i = start; i < end; n++) {
      let cp = s.charCodeAt(i);
      // A pair only when both halves are in the token (the token string ended at `end`).
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < end) {
        const low = s.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      this.codePoints[n] = cp;
      i++;
    }
    return n;
  }
}

/** Collector behind extractFeatures (synchronous, so one is enough). */
const sharedCollector = new FeatureCollector();

/** Bucket hash of a feature identity (murmur3-style mixing; any spread will do, probing settles collisions). */
function mix(family: number, a: number, b: number, c: number): number {
  let h = Math.imul(family + 1, 0x9e3779b1) ^ a;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ c;
  h = Math.imul(h ^ (h >>> 16), 0x27d4eb2f);
  return h ^ (h >>> 15);
}

function resized(a: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(length);
  out.set(a);
  return out;
}

/** `/\d/.test(s.slice(start, end))` without the cost of a regex call (stem runs on every word). */
function hasDigit(s: string, start = 0, end = s.length): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) return true;
  }
  return false;
}

/**
 * stem(s.slice(start, end)) as a range: (end of the kept part) × 2 + 1 if a 'y' follows it. The
 * same rules in the same order as stem(); `/(?:ss|x|ch|sh)es$/` read off the last four units.
 */
function stemEnd(s: string, start: number, end: number): number {
  const length = end - start;
  if (length <= 3 || hasDigit(s, start, end)) return end * 2;
  const c1 = s.charCodeAt(end - 1);
  const c2 = s.charCodeAt(end - 2);
  const c3 = s.charCodeAt(end - 3);
  if (c3 === 0x69 && c2 === 0x65 && c1 === 0x73 && length > 4) return (end - 3) * 2 + 1; // -ies → -y
  if (c3 === 0x69 && c2 === 0x6e && c1 === 0x67 && length > 5) return (end - 3) * 2; // -ing
  if (c2 === 0x65 && c1 === 0x64 && length > 4) return (end - 2) * 2; // -ed
  if (c2 === 0x65 && c1 === 0x73 && length > 4) {
    const c4 = s.charCodeAt(end - 4);
    // sses, xes, ches, shes
    if (c3 === 0x78 || (c3 === 0x73 && (c4 === 0x73 || c4 === 0x63)) || (c3 === 0x68 && (c4 === 0x63 || c4 === 0x73))) return (end - 2) * 2;
  }
  if (c1 === 0x73 && c2 !== 0x73 && length > 3) return (end - 1) * 2; // -s, not -ss
  return end * 2;
}

/** The end of the run of code points with class `flag` that starts at `i` (i itself if none). */
function runOf(s: string, i: number, flag: number): number {
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    if ((charClass(cp) & flag) === 0) break;
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

/** `/\p{Script=Han}/u.test(s.slice(start, end))`: no code point below U+2E80 is Han. */
function hasHan(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; ) {
    const unit = s.charCodeAt(i);
    if (unit < FIRST_HAN_UNIT) {
      i++;
      continue;
    }
    const cp = codePointIn(s, i, end);
    if ((charClass(cp) & CC_HAN) !== 0) return true;
    i += cp > 0xffff ? 2 : 1;
  }
  return false;
}

/** `/[\p{L}\p{N}]/u.test(s.slice(start, end))`, deciding ASCII characters without a lookup. */
function hasLetterOrNumber(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; ) {
    const c = s.charCodeAt(i);
    if (c <= 0x7f) {
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a)) return true;
      i++;
      continue;
    }
    const cp = codePointIn(s, i, end);
    if ((charClass(cp) & CC_LETTER_OR_NUMBER) !== 0) return true;
    i += cp > 0xffff ? 2 : 1;
  }
  return false;
}

/** The code point at `i` of the token `s[…, end)`: a surrogate pair only if both halves lie before `end`. */
function codePointIn(s: string, i: number, end: number): number {
  const cp = s.codePointAt(i)!;
  return cp > 0xffff && i + 1 >= end ? s.charCodeAt(i) : cp;
}

/**
 * Whether a word token is a number (`#num`): only ASCII digits (`\d`). Tokens never contain '.',
 * a token of its own, so this is the `^\d+(?:\.\d+)?$` test the feature set was defined with.
 */
function isDigits(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** The character flags (NON_ASCII, DIGIT, …) of `s`, for the shape regexes' necessary characters. */
function charFlags(s: string): number {
  let flags = 0;
  let prev = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) {
      flags |= NON_ASCII;
    } else {
      flags |= ASCII_FLAGS[c]!;
      if (c >= 0x41 && c <= 0x5a && prev >= 0x61 && prev <= 0x7a) flags |= LOWER_THEN_UPPER;
      else if (c >= 0x61 && c <= 0x7a && prev === 0x2e) flags |= DOT_THEN_LOWER;
    }
    prev = c;
  }
  return flags;
}
