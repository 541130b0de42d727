import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { STRUCTURAL_FEATURES } from '../../src/embedding/features.js';
import { extractFeatures, hash32, LOCAL_MODEL, LocalEmbedder } from '../../src/embedding/index.js';
import { mulberry32 } from '../helpers/random.js'; // the fuzz corpus is the same on every machine

// Golden vectors of the built-in local embedder. Stored user patches and the packaged DNA hold
// vectors made by LOCAL_MODEL, so a change of even one output bit (feature order, float rounding,
// a regex) silently moves new queries away from old vectors. The hashes below were taken with the
// straightforward implementation before it was optimised; any change to features or hashing must
// bump LOCAL_MODEL and regenerate them (GOLDEN_PRINT=1 npx vitest run test/embedding/local-golden
// prints the current values), never only regenerate.

const SEED_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dna', 'seed');

/** Every `text` of dna/seed/{en,zh}/*.jsonl, in directory then file then line order. */
function seedTexts(): string[] {
  const texts: string[] = [];
  for (const lang of ['en', 'zh']) {
    const dir = path.join(SEED_DIR, lang);
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()) {
      for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
        if (line.trim() !== '') texts.push((JSON.parse(line) as { text: string }).text);
      }
    }
  }
  return texts;
}

/** A 10 KB pasted log: repeated traceback lines with changing numbers, paths and a URL. */
function pastedLog(): string {
  const lines: string[] = [];
  for (let i = 0; lines.join('\n').length < 10_000; i++) {
    lines.push(`2024-05-0${i % 9} 12:0${i % 10}:${10 + (i % 50)} ERROR [worker-${i % 7}] at handler (/srv/app/src/jobs/run_${i % 5}.ts:${40 + i}:${i % 13})`);
    if (i % 4 === 0) lines.push('Traceback (most recent call last):\n  File "/usr/lib/python3.11/site-packages/x.py", line 88, in <module>');
    if (i % 6 === 0) lines.push(`GET https://api.example.com/v1/items?id=${i} -> 500 (${i * 3.25}ms) 用户请求异常 报错`);
  }
  return lines.join('\n');
}

/**
 * Hand-picked inputs that exercise each branch and each Unicode corner of the tokeniser, NFKC,
 * lower-casing (which can change length), stemming, the shape regexes and the Han n-grams.
 */
const TRICKY: Array<[name: string, text: string]> = [
  ['empty', ''],
  ['space', ' '],
  ['whitespace mix', '\t\n  \r\n '],
  ['ideographic space', '\u3000\u3000'],
  ['nbsp', '\u00a0'],
  ['zero-width space', '\u200b'],
  ['bom', '\ufeff'],
  ['emoji', 'good morning ☀️'],
  ['emoji only', '👍'],
  ['emoji zwj', '👨‍👩‍👧‍👦 family time 🎉🎉'],
  ['flags', '🇨🇳🇺🇸 hi'],
  ['full-width', 'ＨＥＬＬＯ　ｗｏｒｌｄ！１２３ （测试） ａｂｃ＿ｄｅｆ'],
  ['full-width digits maths', '１＋１＝２ ５０％'],
  ['japanese', 'これは日本語のテストです。カタカナ、ひらがな'],
  ['japanese kanji kana', '日本語を勉強する'],
  ['korean', '안녕하세요 세계, 한국어 테스트'],
  ['mixed zh en code', '用 Python 写一个快速排序，输入是 list[int]，返回 sorted(xs) => ok'],
  ['mixed no spaces', 'git回滚咋弄'],
  ['zh question', '真的吗'],
  ['zh question mark', '好吗？ '],
  ['zh percent', '百分之三十的用户'],
  ['zh trace', '这段代码报错了，出现异常'],
  ['zh punctuation', '，。！？；：“”「」『』'],
  ['astral han', '𠀀𠀁𠀂 test 𠀀'],
  ['han single', '中'],
  ['han with compat ideograph', '豈更車'],
  ['code js', 'const getUserById = async (id) => { return await db.users.find(id); }'],
  ['code py', 'def parse_args(argv):\n    import sys\n    return argv[1:]  # snake_case_name'],
  ['code fence', '```ts\nlet x: number = 1;\nx += 2;\n```'],
  ['sql', 'SELECT name FROM users WHERE id = 3'],
  ['cpp', '#include <stdio.h>\nint main() { printf("hi"); }'],
  ['rust', 'fn main() -> Result<(), Box<dyn Error>> { std::process::exit(0) }'],
  ['url path', 'see https://example.com/a/b/c.json and /usr/local/bin and config.yaml'],
  ['trace js', "TypeError: cannot read properties of undefined (reading 'x')\n    at foo (/app/index.js:10:5)"],
  ['trace py', 'Traceback (most recent call last):\n  File "main.py", line 3\nValueError: bad'],
  ['segfault', 'Segmentation fault (core dumped) panic: runtime error'],
  ['pasted log 10 KB', pastedLog()],
  ['10 KB prose', 'The quick brown fox jumps over the lazy dog. '.repeat(230)],
  ['10 KB han', '我们明天去公园散步然后吃饭。'.repeat(730)],
  ['repeated words', 'test test test testing tested tests test'],
  ['stemming', 'flies studies running bed sing boxes churches dishes glasses bus gas cases ties tied'],
  ['numbers', '3.14 pi is 3.14159 and e is 2.71828, 1,000,000 1e10 .5 3. 3..4 007'],
  ['maths', 'x^2 + y² = r², sin(x) ≤ 1, √2 ≈ 1.414, ∑ i, 3 × 4 ÷ 2, n³'],
  ['percent', '50% of 3 % and 12 %'],
  ['apostrophes', "don't can’t it's rock'n'roll 'quoted' o'neil's ’tis dogs’"],
  ['caret dollar', "'^' and $ and ^$ and regex ^abc$ with $var, a^b, price $5, ^^^^ $$$"],
  ['caret only', '^'],
  ['dollar only', '$'],
  ['nul', 'a\u0000b \u0000'],
  ['nul only', '\u0000'],
  ['lone high surrogate', '\ud800'],
  ['lone low surrogate', 'abc\udc00def'],
  ['lone surrogate in han', '中\ud83d文'],
  ['surrogate at end', 'text\ud83d'],
  ['turkish dotted I', 'İstanbul İİİ ISTANBUL'],
  ['sharp s', 'ß straße STRASSE ẞ'],
  ['ligatures', 'ﬁle ﬂow ﬃ'],
  ['greek sigma', 'ΣΑΣ ΟΔΟΣ σοφός'],
  ['combining accent', 'cafe\u0301 café naïve'],
  ['nfkc compat', '½ ² ³ ㎏ ① Ⅻ ﹏ ™ Å'],
  ['cyrillic', 'Привет мир, как дела?'],
  ['arabic digits', 'مرحبا بالعالم ١٢٣ ٣.١٤'],
  ['thai', 'สวัสดีครับ ภาษาไทย'],
  ['devanagari', 'नमस्ते दुनिया'],
  ['underscores', '__init__ _ a_b _x_ foo_bar_baz'],
  ['digits in word', 'test123s abc1 h2o mp3s'],
  ['symbols only', '{}()[];=<>#$|&*+-/\\^%~@:`"\'!?.,'],
  ['question', 'what?  '],
  ['crlf tabs', 'line one\r\nline\ttwo\r\n'],
  ['long word', `${'a'.repeat(1500)}ing`],
  ['camel snake', 'myVarName snake_case_var HTTPServer iPhone'],
  ['assign', 'x = 5; y := [1]; z += "s"'],
  ['keywords upper', 'PUBLIC STATIC VOID Function Return'],
];

/** Pieces the fuzz strings are glued from: each family of the tokeniser and the shapes, and Unicode corners. */
const FUZZ_PIECES = [
  'the',
  'Write',
  'testing',
  'cases',
  'flies',
  'boxes',
  'getUser',
  'snake_case',
  'foo.bar(x)',
  'x = 1',
  'def',
  'SELECT',
  '3.14',
  '42',
  '1e9',
  '50%',
  '百分之',
  '^',
  '$',
  "'",
  '’',
  "don't",
  '"',
  '“',
  '「',
  '```',
  '\n',
  '\r\n',
  '\t',
  ' ',
  '  ',
  '\u3000',
  '\u00a0',
  '\u200b',
  '\u0000',
  '\ud800',
  '\udc00',
  '\ud83d',
  '😀',
  '☀️',
  '👨‍👩‍👧',
  'ＡＢＣ',
  '１２',
  '（',
  '）',
  'ﬁ',
  'İ',
  'ß',
  'Σ',
  'ς',
  'e\u0301',
  '½',
  '²',
  '㎏',
  'Ⅻ',
  '中',
  '文',
  '写',
  '代码',
  '报错',
  '异常',
  '吗',
  '呢',
  '？',
  '?',
  '𠀀',
  '𠀁',
  'カタ',
  'ひら',
  '한국',
  'Привет',
  '١٢٣',
  'ส',
  'ี',
  'न',
  '्',
  '=>',
  '->',
  '::',
  '+=',
  ':=',
  '/usr/lib/a',
  'a.py',
  'https://x.io',
  'Traceback',
  'Error:',
  'at f (',
  'line 7',
  'panic:',
  'sin',
  '√',
  '≤',
  'x²',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ';',
  '#',
  '|',
  '&',
  '*',
  '+',
  '-',
  '/',
  '\\',
  '~',
  '@',
  ':',
  '`',
  '!',
  '.',
  ',',
  '_',
  '__',
  'ies',
  'ing',
];

/** 2,000 deterministic strings of 0–60 pieces, with or without spaces between them. */
function fuzzTexts(): string[] {
  const rand = mulberry32(0x5eed);
  const texts: string[] = [];
  for (let n = 0; n < 2000; n++) {
    const pieces = Math.floor(rand() * 61);
    const spaced = rand() < 0.5;
    let s = '';
    for (let i = 0; i < pieces; i++) {
      if (spaced && i > 0) s += ' ';
      s += FUZZ_PIECES[Math.floor(rand() * FUZZ_PIECES.length)];
    }
    texts.push(s);
  }
  return texts;
}

/** ASCII pieces: the embedder tokenises pure-ASCII text without the regex, so this path gets its own fuzz. */
const ASCII_PIECES = [
  "'",
  'a',
  'Z',
  'ing',
  'es',
  'ies',
  '0',
  '9',
  '_',
  ' ',
  '\t',
  '\n',
  '\r',
  '\v',
  '\f',
  '\u0000',
  '\u0001',
  '\u001c',
  '\u007f',
  '.',
  ',',
  '(',
  ')',
  '=',
  '>',
  ':',
  '/',
  '%',
  '?',
  '"',
  '`',
  '^',
  '$',
  '-',
  'sin',
  'x',
  'Test',
  "don't",
  'aB',
  'a_b',
  'a.py',
  '3.14',
];

/** 2,000 deterministic pure-ASCII strings: pieces and any of the 128 ASCII characters. */
function asciiFuzzTexts(): string[] {
  const rand = mulberry32(0xa5c11);
  const texts: string[] = [];
  for (let n = 0; n < 2000; n++) {
    const pieces = Math.floor(rand() * 41);
    let s = '';
    for (let i = 0; i < pieces; i++) s += rand() < 0.7 ? ASCII_PIECES[Math.floor(rand() * ASCII_PIECES.length)] : String.fromCharCode(Math.floor(rand() * 128));
    texts.push(s);
  }
  return texts;
}

/** SHA-256 (hex) of the vectors' bytes, concatenated in input order. */
function hashVectors(embedder: LocalEmbedder, texts: readonly string[]): string {
  const h = createHash('sha256');
  for (const text of texts) {
    const v = embedder.embedSync(text);
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return h.digest('hex');
}

/** SHA-256 (hex) of extractFeatures' entries in iteration order: name as UTF-16 code units, weight as float64. */
function hashFeatures(texts: readonly string[]): string {
  const h = createHash('sha256');
  const weight = new Float64Array(1);
  for (const text of texts) {
    for (const [name, w] of extractFeatures(text)) {
      h.update(Buffer.from(name, 'utf16le'));
      weight[0] = w;
      h.update(new Uint8Array(weight.buffer));
    }
    h.update('\u0002');
  }
  return h.digest('hex');
}

/**
 * The embedding defined from extractFeatures, exactly as the first local-hash-v2 embedder did
 * it: features in map order, float32 accumulation, norm over touched dimensions in first-touch
 * order. The embedder may take a faster path but must agree with this bit for bit.
 */
function embedFromFeatures(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  const reserved = dims >= 4 * STRUCTURAL_FEATURES.length ? STRUCTURAL_FEATURES.length : 0;
  const hashed = dims - reserved;
  const touched: number[] = [];
  for (const [name, weight] of extractFeatures(text)) {
    const slot = reserved ? STRUCTURAL_FEATURES.indexOf(name) : -1;
    if (slot >= 0) {
      v[hashed + slot]! += weight;
      touched.push(hashed + slot);
      continue;
    }
    const h = hash32(name);
    v[h % hashed]! += h & 0x80000000 ? -weight : weight;
    touched.push(h % hashed);
  }
  const seen = new Set<number>();
  let norm = 0;
  for (const i of touched) {
    if (!seen.has(i)) {
      seen.add(i);
      norm += v[i]! * v[i]!;
    }
  }
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (const i of seen) v[i]! *= inv;
  }
  return v;
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Values recorded with the pre-optimisation implementation (see the top of the file). */
const GOLDEN = {
  /**
   * Of the seed texts themselves: if this fails, dna/seed changed, not the embedder. The seed*
   * values were re-recorded when issue 16 added 159 seed lines (6,692 → 6,851); the embedder did
   * not change (the tricky and fuzz values are the originals).
   */
  seedTexts: '0dfa35dd8258325f4af0b779ae069ee200d10f96cf79c9c883cd49aca8f7028c',
  seedCount: 6851,
  seedVectors1024: 'abed82befb558c35301727a570613aa00ef3406560c45977d192ea53484aba41',
  seedVectors64: '6f66ed0e803ff109a641c9c8b6d0a7b57c64b39d5938a381ca8cc01be3f76af1',
  seedVectors252: '031a41efba11cfc04378ce3c5b5e370cc3eef02b0c2ce44ab469357b2be57695',
  seedFeatures: '192aebb1b843d75fb26954e90abf5fe6fa51f4346bddf2d163b779860e89d9a9',
  fuzzTexts: 'fc42d487595783538231ade9d7a131636725625f55b54d258ae1427a284872d4',
  fuzzVectors1024: '8dcc8e7ae74f759e46dce6cc710227b744b25df21d5a6ab4cea6503c9558a078',
  fuzzVectors8: '264c44f90448a37386ade7211a011d7fb06924def3ce0cf04b0ba3f386b34483',
  fuzzVectors251: '5168539430953d653edb07d99ec72ae42cfdef4eddac63eb2ecbcb1012d6d3d7',
  fuzzFeatures: 'c60367b0dc20a3140f31ef00848fd1e686091fc1dd0ef90be81113e8b588145c',
  asciiFuzzTexts: '890b5b8fb12693cfb88e762b9c844a7d5563ebda16ce8254134ca4b6444cf55a',
  asciiFuzzVectors1024: 'cbe286ffea7994361fe65baa68a00a7d68399e2366f618b4f0c86dea2f059c2e',
  asciiFuzzFeatures: '3505ae93816fd52169205c7fb7fac145a20c081c4429a3585996503c1e7ed7a2',
  trickyFeatures: '4c447cadddad77362c37b7883b99d6e782bce9700e5147365585b106f15a0e37',
  /** First 16 hex digits of the SHA-256 of each tricky input's 1024-dim vector. */
  tricky: {
    empty: 'ad7facb2586fc6e9',
    space: 'ad7facb2586fc6e9',
    'whitespace mix': 'ad7facb2586fc6e9',
    'ideographic space': 'ad7facb2586fc6e9',
    nbsp: 'ad7facb2586fc6e9',
    'zero-width space': '9eb36aa78be49c8f',
    bom: 'ad7facb2586fc6e9',
    emoji: '804dfa92273b5850',
    'emoji only': '9eb36aa78be49c8f',
    'emoji zwj': 'aad37bdddbefe67d',
    flags: '0880191c554b79c2',
    'full-width': '3eb913a482fe55a5',
    'full-width digits maths': '41ddb0a86c20a4dc',
    japanese: 'f4b6b4a6fd6c2640',
    'japanese kanji kana': '4cf2385dce3f781f',
    korean: 'dabb8154eead324c',
    'mixed zh en code': '46f993225bc17c75',
    'mixed no spaces': '93a6345b501d844d',
    'zh question': '7e1d31534fb5dc0b',
    'zh question mark': '6ee2c05787086edd',
    'zh percent': '55ac64231aba2431',
    'zh trace': '1afcdc3ec8d1cb78',
    'zh punctuation': '6dc46af0ddbe0e5d',
    'astral han': 'be4ce0fca14db157',
    'han single': '223a807d097b0abf',
    'han with compat ideograph': '68ff02ed899c3859',
    'code js': 'ea39b2f24ce573fb',
    'code py': '7e6955ba5934a6cb',
    'code fence': 'be02055647e458be',
    sql: 'dfcdb472ca95d6bf',
    cpp: 'a6a902323f1cc625',
    rust: 'ce9b050f0a06b9cc',
    'url path': '84f4523131d5ad3e',
    'trace js': '74422d88cd3e85de',
    'trace py': 'c9c680b769d8fbd4',
    segfault: '954583f5f12ef26c',
    'pasted log 10 KB': 'b7d5092c825644f1',
    '10 KB prose': '6cfc68aaa827c467',
    '10 KB han': 'b513805575fdda2c',
    'repeated words': '6153fcc87921e856',
    stemming: 'f74b3b26076b1ca9',
    numbers: '14f0043384a4dd02',
    maths: '7ae2dbf85b7c89eb',
    percent: 'e684e808ae23a152',
    apostrophes: 'd848d9d6b2ec9b4c',
    'caret dollar': 'bbb46dfaaeef6941',
    'caret only': '532498cea7dfc8f1',
    'dollar only': '6c333c77ca33e5c0',
    nul: '37e43cd42fc7fd29',
    'nul only': '9eb36aa78be49c8f',
    'lone high surrogate': '9eb36aa78be49c8f',
    'lone low surrogate': '940ddc5e4fb05d15',
    'lone surrogate in han': '75e970cf22eeba6b',
    'surrogate at end': 'f9007008bc053ffe',
    'turkish dotted I': '4ec0a52e324c2d05',
    'sharp s': '401d34208666022e',
    ligatures: '252bedcc984d6f7c',
    'greek sigma': '4de0725b6f0eab26',
    'combining accent': '32c8d98286f12ff8',
    'nfkc compat': '954eb6cfd74586cb',
    cyrillic: '45aa67417fb2d747',
    'arabic digits': '17b05d0c2109538c',
    thai: '4a9d1ffb8d486ff4',
    devanagari: '4876b6b533f06d6f',
    underscores: 'f08736c5260f31c5',
    'digits in word': 'fea00316eb504d0a',
    'symbols only': '436638f348179e5a',
    question: 'bbe169119cbe29e6',
    'crlf tabs': '03339b1a70fe9dd9',
    'long word': 'f4f5700ba451eec8',
    'camel snake': '06775215c215f78e',
    assign: '08e5d53b442c0f6b',
    'keywords upper': '6c0ce3bf7d50183a',
  } as Record<string, string>,
};

const print = process.env.GOLDEN_PRINT === '1';
const seed = seedTexts();
const fuzz = fuzzTexts();
const asciiFuzz = asciiFuzzTexts();
const trickyTexts = TRICKY.map(([, text]) => text);

describe(`local embedder golden vectors (${LOCAL_MODEL})`, () => {
  it('keeps the model name the golden vectors were made with', () => {
    expect(LOCAL_MODEL).toBe('local-hash-v2');
  });

  it('reads the same seed texts as when the golden hashes were recorded', () => {
    const actual = {
      seedTexts: sha256(seed.join('\u0000')),
      seedCount: seed.length,
      fuzzTexts: sha256(fuzz.join('\u0000')),
      asciiFuzzTexts: sha256(asciiFuzz.join('\u0000')),
    };
    if (print) console.log(JSON.stringify(actual, null, 2));
    expect(actual).toEqual({ seedTexts: GOLDEN.seedTexts, seedCount: GOLDEN.seedCount, fuzzTexts: GOLDEN.fuzzTexts, asciiFuzzTexts: GOLDEN.asciiFuzzTexts });
  });

  it('gives bit-identical vectors for every seed text (1024, 252 and 64 dims)', () => {
    const actual = {
      seedVectors1024: hashVectors(new LocalEmbedder(1024), seed),
      seedVectors252: hashVectors(new LocalEmbedder(252), seed),
      seedVectors64: hashVectors(new LocalEmbedder(64), seed),
    };
    if (print) console.log(JSON.stringify(actual, null, 2));
    expect(actual).toEqual({ seedVectors1024: GOLDEN.seedVectors1024, seedVectors252: GOLDEN.seedVectors252, seedVectors64: GOLDEN.seedVectors64 });
  });

  it('gives bit-identical vectors for each tricky input', () => {
    const embedder = new LocalEmbedder();
    const actual: Record<string, string> = {};
    for (const [name, text] of TRICKY) {
      const v = embedder.embedSync(text);
      actual[name] = sha256(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).slice(0, 16);
    }
    if (print) console.log(JSON.stringify(actual, null, 2));
    expect(actual).toEqual(GOLDEN.tricky);
  });

  it('gives bit-identical vectors for 2,000 fuzz strings (1024, 251 and 8 dims)', () => {
    const actual = {
      fuzzVectors1024: hashVectors(new LocalEmbedder(1024), fuzz),
      fuzzVectors251: hashVectors(new LocalEmbedder(251), fuzz),
      fuzzVectors8: hashVectors(new LocalEmbedder(8), fuzz),
    };
    if (print) console.log(JSON.stringify(actual, null, 2));
    expect(actual).toEqual({ fuzzVectors1024: GOLDEN.fuzzVectors1024, fuzzVectors251: GOLDEN.fuzzVectors251, fuzzVectors8: GOLDEN.fuzzVectors8 });
  });

  it('gives bit-identical vectors for 2,000 pure-ASCII fuzz strings (control characters included)', () => {
    const actual = { asciiFuzzVectors1024: hashVectors(new LocalEmbedder(1024), asciiFuzz) };
    if (print) console.log(JSON.stringify(actual, null, 2));
    expect(actual).toEqual({ asciiFuzzVectors1024: GOLDEN.asciiFuzzVectors1024 });
  });

  it('extractFeatures returns the same names, weights and order', () => {
    const actual = {
      seedFeatures: hashFeatures(seed),
      trickyFeatures: hashFeatures(trickyTexts),
      fuzzFeatures: hashFeatures(fuzz),
      asciiFuzzFeatures: hashFeatures(asciiFuzz),
    };
    if (print) console.log(JSON.stringify(actual, null, 2));
    expect(actual).toEqual({
      seedFeatures: GOLDEN.seedFeatures,
      trickyFeatures: GOLDEN.trickyFeatures,
      fuzzFeatures: GOLDEN.fuzzFeatures,
      asciiFuzzFeatures: GOLDEN.asciiFuzzFeatures,
    });
  });

  it('embedSync agrees bit for bit with the embedding defined from extractFeatures', () => {
    for (const dims of [1024, 252, 64]) {
      const embedder = new LocalEmbedder(dims);
      for (const text of [...trickyTexts, ...fuzz, ...asciiFuzz, ...seed.filter((_, i) => i % 7 === 0)]) {
        const fast = embedder.embedSync(text);
        const reference = embedFromFeatures(text, dims);
        if (sha256(new Uint8Array(fast.buffer)) !== sha256(new Uint8Array(reference.buffer))) {
          expect.fail(`dims ${dims}: embedSync differs from the extractFeatures reference for ${JSON.stringify(text.slice(0, 200))}`);
        }
      }
    }
  });

  it('relies on no code point below U+2E80 being Han (the tokeniser skips the Han regex below it)', () => {
    const han = /\p{Script=Han}/u;
    for (let cp = 0; cp < 0x2e80; cp++) {
      if (han.test(String.fromCodePoint(cp))) expect.fail(`U+${cp.toString(16)} is Han`);
    }
  });

  it('returns a fresh vector each call (callers keep and mutate them)', () => {
    const embedder = new LocalEmbedder();
    const a = embedder.embedSync('write a function');
    const copy = a.slice();
    const b = embedder.embedSync('write a function');
    expect(b).not.toBe(a);
    expect(b.buffer).not.toBe(a.buffer);
    a.fill(0);
    expect(b).toEqual(copy);
    expect(embedder.embedSync('write a function')).toEqual(copy);
  });
});

/**
 * Corners of the tokeniser walk that replaced TOKEN_RE's exec (char-class.ts): apostrophes after
 * kana, Hangul and Han, letters outside the BMP, Han characters that are not letters, words glued
 * across scripts, stems that end in 'y' either way. The hashes were recorded with the regex
 * tokeniser (commit d096e3c) and the walk must keep them.
 */
const TOKENISER_CORNERS: Array<[name: string, text: string, vectorHash: string]> = [
  ['kana apostrophe', "カタカナ’s and ひらがな's", 'a9cbe33aaeacd6fc'],
  ['hangul apostrophe', "한국’어 한국's", '2b47700ff1f975f0'],
  ['word apostrophe han', "abc’中文 it's中 o’中", '911ce4331bcfbf9b'],
  ['han apostrophe', "中’s 中'x", 'a76fc0881b46c1a7'],
  ['apostrophe astral letter', "x’𠀀 y'𝒜bc", '317dc9228d5f2f95'],
  ['prolonged sound mark', 'コーヒー ラーメン ー', '20b1aa76dbf66e06'],
  ['han symbols', '〇々〆 〡〢 ⺀⺁ 々々', '9e8a13ca9b7e0767'],
  ['astral letters', '𝒜𝒷𝒸 test 𝟙𝟚 𐐀𐐨', 'bf3229b02bf8ff3e'],
  ['mixed scripts glued', 'testカタ中文한국abc123_x', '1e86eccb4a3ff9e3'],
  ['underscore han', '_中_ a_中 中_a', '296dbc055070b6bc'],
  ['stem corners', 'happies happy ties axes boxes passes churches wishes bus ss sss less cries', 'efa0296af448b139'],
  ['ies y word', 'candies candy candy candies', 'e57fde62bf03fedb'],
  ['digits unicode', '١٢٣abc ⅻing ½es', '8ad7afe19ba4bad3'],
  ['emoji in word', 'a😀b 😀😀 中😀文', '19240972fce57ee2'],
  ['lone surrogates glued', 'ab\ud800cd \udc00中 中\ud800', '3aa724fe5e659fbb'],
  ['combining marks', 'ña\u0303ing i\u0307s', '02a5f83e5a0957b6'],
];
const TOKENISER_CORNER_FEATURES = 'b7d26c8618e55a127d04cc252a140b88c03019baa4e2befbc23c9e5105ba9944';

describe('local embedder tokeniser corners (golden from the regex tokeniser)', () => {
  it('gives the vectors the regex tokeniser gave', () => {
    const embedder = new LocalEmbedder();
    const actual: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [name, text, hash] of TOKENISER_CORNERS) {
      const v = embedder.embedSync(text);
      actual[name] = sha256(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).slice(0, 16);
      expected[name] = hash;
    }
    expect(actual).toEqual(expected);
  });

  it('gives the feature names, weights and order the regex tokeniser gave', () => {
    expect(hashFeatures(TOKENISER_CORNERS.map(([, text]) => text))).toBe(TOKENISER_CORNER_FEATURES);
  });
});
