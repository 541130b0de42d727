/**
 * What the local embedder's tokeniser regex (TOKEN_RE in features.ts) sees in one code point, as
 * bit flags, so the tokeniser can walk a text with integer tests instead of running the regex:
 * exec() allocates a match array and a string per token, and on Chinese text it was a fifth of
 * the embedder's time. Each flag is decided by the very property escape the regex uses, once per
 * code point, then cached, so the walk cannot disagree with the regex
 * (test/embedding/local-golden.test.ts pins the vectors).
 */

/** `\p{Script=Han}`. */
export const CC_HAN = 1;
/** `[\p{Script=Hiragana}\p{Script=Katakana}]`. */
export const CC_KANA = 2;
/** `\p{Script=Hangul}`. */
export const CC_HANGUL = 4;
/** `[\p{L}\p{N}_]`: a word character. */
export const CC_WORD = 8;
/** `\p{L}`: may follow an apostrophe inside a word. */
export const CC_LETTER = 16;
/** `[\p{L}\p{N}]` (LETTER_OR_NUMBER_RE). */
export const CC_LETTER_OR_NUMBER = 32;
/** `\s` in a `u` regex. */
export const CC_SPACE = 64;
/** Set on every computed entry of the BMP table (0 there means "not computed yet"). */
const KNOWN = 128;

const HAN_RE = /^\p{Script=Han}$/u;
const KANA_RE = /^[\p{Script=Hiragana}\p{Script=Katakana}]$/u;
const HANGUL_RE = /^\p{Script=Hangul}$/u;
const WORD_RE = /^[\p{L}\p{N}_]$/u;
const LETTER_RE = /^\p{L}$/u;
const LETTER_OR_NUMBER_RE = /^[\p{L}\p{N}]$/u;
const SPACE_RE = /^\s$/u;

/** Flags of each BMP code point, filled on first sight (a 64 KiB table; a message meets few code points). */
const BMP = new Uint8Array(0x10000);
/** Flags of supplementary code points met so far (emoji, Han extension B…). */
const ASTRAL = new Map<number, number>();

function compute(cp: number): number {
  // A lone surrogate is a code point of its own to a `u` regex; String.fromCodePoint keeps it lone.
  const ch = String.fromCodePoint(cp);
  return (
    (HAN_RE.test(ch) ? CC_HAN : 0) |
    (KANA_RE.test(ch) ? CC_KANA : 0) |
    (HANGUL_RE.test(ch) ? CC_HANGUL : 0) |
    (WORD_RE.test(ch) ? CC_WORD : 0) |
    (LETTER_RE.test(ch) ? CC_LETTER : 0) |
    (LETTER_OR_NUMBER_RE.test(ch) ? CC_LETTER_OR_NUMBER : 0) |
    (SPACE_RE.test(ch) ? CC_SPACE : 0)
  );
}

/** The CC_* flags of code point `cp` (0…0x10FFFF, lone surrogates included). */
export function charClass(cp: number): number {
  if (cp < 0x10000) {
    const known = BMP[cp]!;
    if (known !== 0) return known & ~KNOWN;
    const flags = compute(cp);
    BMP[cp] = flags | KNOWN;
    return flags;
  }
  let flags = ASTRAL.get(cp);
  if (flags === undefined) {
    flags = compute(cp);
    ASTRAL.set(cp, flags);
  }
  return flags;
}
