#!/usr/bin/env node
// Builds corpus/build/corpus.jsonl, the intent classifier's training corpus (issue 16), from public,
// license-compatible labelled sources pinned in corpus/sources.json (repository + commit + paths + sha256).
// Plain Node ESM, no dependencies. Deterministic: every choice (sampling, templates, split) is a hash.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LABELS = ['CHAT', 'FACT', 'TRANS', 'CODE', 'REASON', 'WRITE'];
const LANGS = ['en', 'zh'];
const MAX_CHARS = 2000;
const MIN_CHARS = 2;

const HELP = `Usage: node scripts/build-corpus.mjs [options]

Builds corpus/build/corpus.jsonl ({"text","label","lang","source","split"} a line) from the sources
pinned in corpus/sources.json. Each source file is read from a local mirror when one is given and holds
the pinned commit (git --git-dir=<mirror>/<owner>+<name>/repo show <commit>:<path>), else downloaded from
https://raw.githubusercontent.com/<repo>/<commit>/<path> and cached under .cache/corpus-sources/.

Options:
  --mirror DIR        directory of bare mirrors (<owner>+<name>/repo[/.git]), e.g. /work/.mirror
  --out FILE          output file (default corpus/build/corpus.jsonl)
  --sources FILE      provenance table (default corpus/sources.json)
  --cache DIR         download cache (default .cache/corpus-sources)
  --eval-dir DIR      measurement-only eval sets used to decontaminate (default ../shared/eval);
                      corpus items equal to, or containing, one of their texts (normalized) are dropped
  --no-decontam       skip decontamination
  --only ID[,ID]      build only these sources (for debugging; does not write --out unless --out given)
  --update-sources    record each source's sha256 and the counts taken into the sources file
  --table             print the markdown count tables for docs/quality.md
  --sample N          print N random (hash-chosen) items per intent x language cell, for spot checks
  --help              this text

A source whose file is missing, or whose content no longer matches its pinned sha256, stops the build
with an error naming the source.`;

// ---------------------------------------------------------------------------------------------- utils

function parseArgs(argv) {
  const o = { mirror: null, out: null, sources: 'corpus/sources.json', cache: '.cache/corpus-sources', evalDir: '../shared/eval' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--mirror') o.mirror = val();
    else if (a === '--out') o.out = val();
    else if (a === '--sources') o.sources = val();
    else if (a === '--cache') o.cache = val();
    else if (a === '--eval-dir') o.evalDir = val();
    else if (a === '--no-decontam') o.noDecontam = true;
    else if (a === '--only') o.only = val().split(',');
    else if (a === '--update-sources') o.updateSources = true;
    else if (a === '--table') o.table = true;
    else if (a === '--sample') o.sample = Number(val());
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  return o;
}

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
/** A number in [0, 1) from a string, stable across runs and machines. */
const unit = (s) => createHash('sha256').update(s).digest().readUInt32BE(0) / 2 ** 32;
/** Picks one element of `arr` by hash of `key`. */
const pick = (arr, key) => arr[Math.floor(unit(key) * arr.length)];

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/g;
const cjkRatio = (s) => {
  const letters = s.replace(/[\s\p{P}\p{S}\p{N}]/gu, '');
  if (letters.length === 0) return 0;
  return (s.match(CJK) || []).length / letters.length;
};

/** Normalized form used for dedupe, splits and decontamination: NFKC, lower case, no spaces or punctuation. */
export function normalize(s) {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '');
}

function splitOf(norm) {
  const u = unit(`split\u0000${norm}`);
  return u < 0.8 ? 'train' : u < 0.9 ? 'calib' : 'dev';
}

const clean = (s) =>
  String(s ?? '')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\u00a0\u3000]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

function decodeEntities(s) {
  const named = {
    nbsp: ' ',
    lt: '<',
    gt: '>',
    amp: '&',
    quot: '"',
    apos: "'",
    le: '≤',
    ge: '≥',
    ne: '≠',
    times: '×',
    minus: '−',
    hellip: '…',
    mdash: '—',
    ndash: '–',
    rarr: '→',
    larr: '←',
  };
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return named[e.toLowerCase()] ?? m;
  });
}

const stripHtml = (s) =>
  decodeEntities(
    s
      .replace(/<sup>(.*?)<\/sup>/g, '^$1')
      .replace(/<\/(p|li|pre|div|ul|ol)>/g, '\n')
      .replace(/<li>/g, '- ')
      .replace(/<br\s*\/?>/g, '\n')
      .replace(/<[^>]+>/g, ''),
  );

function jsonLines(buf) {
  return buf
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** Minimal ZIP reader (stored and deflated entries), enough for the dataset archives used here. */
function unzip(buf) {
  const out = new Map();
  let eocd = -1;
  for (let i = buf.length - 22; i >= 0; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const lNameLen = buf.readUInt16LE(local + 26);
    const lExtraLen = buf.readUInt16LE(local + 28);
    const start = local + 30 + lNameLen + lExtraLen;
    const data = buf.subarray(start, start + csize);
    out.set(name, method === 0 ? data : zlib.inflateRawSync(data));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

// ------------------------------------------------------------------------------------------- fetching

function mirrorGitDir(mirror, repo) {
  if (!mirror) return null;
  const base = path.join(mirror, repo.replace('/', '+'), 'repo');
  for (const d of [path.join(base, '.git'), base]) {
    if (fs.existsSync(path.join(d, 'HEAD')) && fs.existsSync(path.join(d, 'objects'))) return d;
  }
  return null;
}

/** Reads many blobs of one commit from a bare mirror with one `git cat-file --batch`. */
function readFromMirror(gitDir, commit, paths) {
  const input = `${paths.map((p) => `${commit}:${p}`).join('\n')}\n`;
  const out = execFileSync('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { input, maxBuffer: 2 ** 31 - 1 });
  const files = new Map();
  let pos = 0;
  for (const p of paths) {
    const nl = out.indexOf(10, pos);
    const header = out.toString('utf8', pos, nl);
    if (header.endsWith(' missing')) {
      files.set(p, null);
      pos = nl + 1;
      continue;
    }
    const size = Number(header.split(' ')[2]);
    files.set(p, out.subarray(nl + 1, nl + 1 + size));
    pos = nl + 1 + size + 1;
  }
  return files;
}

async function download(repo, commit, p, cacheDir) {
  const file = path.join(cacheDir, repo.replace('/', '+'), commit, p);
  if (fs.existsSync(file)) return fs.readFileSync(file);
  const url = `https://raw.githubusercontent.com/${repo}/${commit}/${p.split('/').map(encodeURIComponent).join('/')}`;
  const res = await fetch(url);
  if (!res.ok) return null;
  const buf = Buffer.from(await res.arrayBuffer());
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, buf);
  return buf;
}

function sourcePaths(src) {
  if (Array.isArray(src.paths)) return src.paths;
  const manifest = path.join(ROOT, src.paths.manifest);
  if (!fs.existsSync(manifest)) throw new Error(`source ${src.id}: manifest ${src.paths.manifest} is missing`);
  return fs.readFileSync(manifest, 'utf8').split('\n').filter(Boolean);
}

async function loadSource(src, opts) {
  const paths = sourcePaths(src);
  const gitDir = mirrorGitDir(opts.mirror, src.repository);
  let files;
  let via;
  if (gitDir && spawnOk('git', ['--git-dir', gitDir, 'cat-file', '-e', `${src.commit}^{commit}`])) {
    files = readFromMirror(gitDir, src.commit, paths);
    via = 'mirror';
  } else {
    files = new Map();
    const queue = [...paths];
    const workers = Array.from({ length: 8 }, async () => {
      while (queue.length) {
        const p = queue.shift();
        files.set(p, await download(src.repository, src.commit, p, path.join(ROOT, opts.cache)));
      }
    });
    await Promise.all(workers);
    via = 'download';
  }
  const missing = paths.filter((p) => !files.get(p));
  if (missing.length) {
    throw new Error(
      `source ${src.id}: ${missing.length} file(s) missing at ${src.repository}@${src.commit} (via ${via}), e.g. ${missing.slice(0, 3).join(', ')}`,
    );
  }
  const h = createHash('sha256');
  for (const p of paths) h.update(`${p}\u0000${sha256(files.get(p))}\n`);
  const digest = h.digest('hex');
  if (src.sha256 && src.sha256 !== digest && !opts.updateSources) {
    throw new Error(`source ${src.id}: content of ${src.repository}@${src.commit} changed (sha256 ${digest}, pinned ${src.sha256})`);
  }
  return { files, paths, digest, via };
}

function spawnOk(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------------------ templates

/** Fills `{x}` slots. */
const fill = (t, vars) => t.replace(/\{(\w+)\}/g, (_, k) => vars[k]);

export const TEMPLATES = {
  leetcodeEn: [
    '{q}',
    '{q}',
    'Solve this in Python:\n{q}',
    'Write a function that solves the following problem.\n{q}',
    'Can you help me with this LeetCode problem?\n{q}',
    'Implement a solution in Java:\n{q}',
    'Give me an efficient algorithm and the code for this:\n{q}',
    'How would I solve this in C++?\n{q}',
    '{q}\nPlease write the code and explain its time complexity.',
    'I need a TypeScript solution for this coding problem:\n{q}',
    'Write Go code for this task:\n{q}',
  ],
  leetcodeZh: [
    '{q}',
    '{q}',
    '用 Python 解决这道题：\n{q}',
    '请写一个函数解决下面的问题。\n{q}',
    '这道力扣题怎么做？\n{q}',
    '用 Java 实现：\n{q}',
    '给出高效的算法和代码：\n{q}',
    '帮我用 C++ 写一下这道题：\n{q}',
    '{q}\n请写出代码并分析时间复杂度。',
    '请用 Go 语言实现下面的题目：\n{q}',
    '我在刷题，卡在这道题了，能给个代码吗？\n{q}',
  ],
  // Tatoeba pair, English request (lang en).
  transEn: [
    'Translate into Chinese: {en}',
    'Translate this sentence into Chinese: "{en}"',
    'How do you say "{en}" in Chinese?',
    'Translate to French: {en}',
    'Translate the following into Spanish:\n{en}',
    'Can you translate "{en}" into German?',
    'Please translate this into Japanese: {en}',
    'What is "{en}" in Mandarin?',
    'Translate into English: {zh}',
    'What does "{zh}" mean in English?',
    'Translate from Chinese to English:\n{zh}',
    'Render this in Italian: {en}',
    'Translate "{en}" to Korean.',
    'Give me the Portuguese translation of: {en}',
  ],
  // Tatoeba pair, Chinese request (lang zh).
  transZh: [
    '把这句话翻译成英文：{zh}',
    '请将下面的句子译成英语：\n{zh}',
    '“{zh}”用英语怎么说？',
    '翻译成英文：{zh}',
    '帮我把这句话翻成英语：{zh}',
    '请翻译成日语：{zh}',
    '把“{zh}”翻译成法语。',
    '英译中：{en}',
    '请把下面这句英文翻译成中文：\n{en}',
    '“{en}”是什么意思？帮我翻译一下。',
    '帮我把这句英文翻成中文：{en}',
    '翻译：{en}',
    '这句英语怎么翻译成中文？{en}',
  ],
  // English sentence from Wikipedia (clinc150 all_wiki_sents.txt), English transformation request.
  wikiEn: [
    'Paraphrase this sentence: {s}',
    'Rewrite the following sentence in plain, simple English:\n{s}',
    'Fix the capitalization and punctuation of this sentence: {s}',
    'Extract all names of people, places and organizations from this sentence: {s}',
    'Translate this sentence into Chinese: {s}',
    'Classify the topic of this sentence (history, sports, science, arts, politics or other): {s}',
    'Rewrite this in a more formal tone:\n{s}',
    'Convert this sentence to passive voice if possible: {s}',
    'List the key facts in this sentence as bullet points: {s}',
    'Translate into French: {s}',
    'Summarize this in five words or fewer: {s}',
    'Extract the dates and numbers mentioned here, as JSON: {s}',
  ],
  // Chinese passage (CMRC 2018 context, KdConv knowledge text), Chinese transformation request.
  passageZh: [
    '请总结下面这段话：\n{p}',
    '用一句话概括这段文字的主要内容：\n{p}',
    '从下面这段文字中提取所有的人名、地名和机构名：\n{p}',
    '把下面这段话翻译成英文：\n{p}',
    '请把这段话改写得更通俗易懂：\n{p}',
    '下面这段文字中提到了哪些时间和日期？请以列表形式列出。\n{p}',
    '将以下内容整理成要点：\n{p}',
    '帮我把这段话缩写到50字以内：\n{p}',
    '请为下面这段文字提取3个关键词：\n{p}',
    '把下面的内容整理成表格（字段：名称、时间、人物）：\n{p}',
    '这段文字属于什么类别（体育、娱乐、历史、科技、地理、其他）？\n{p}',
    '{p}\n\n请概括上文。',
  ],
  // Topics (entity names) from a source, English composition requests (lang en).
  writeTopicEn: [
    'Write a 1200-word report on {t}.',
    'Write a short essay about {t}.',
    'Write a poem about {t}.',
    'Write a blog post introducing {t} to beginners.',
    'Compose a tweet about {t}.',
    'Write a short story involving {t}.',
    'Draft a five-minute speech about {t}.',
    'Write a limerick about {t}.',
    'Write a persuasive essay on why more people should know about {t}.',
    'Please write a research report on {t}, about 1,000 words, with an introduction and a conclusion.',
    'Write an Instagram caption about {t}.',
    "Write a children's story featuring {t}.",
    'Write a newsletter article about {t}.',
    'Write a haiku about {t}.',
    'Write a LinkedIn post about what {t} taught me.',
    'Write the opening paragraph of a novel set around {t}.',
  ],
  factTopicEn: [
    'Explain {t}.',
    'Tell me about {t}.',
    'Give me a brief overview of {t}.',
    'What is {t} known for?',
    'Explain {t} in simple terms.',
    'Who or what is {t}?',
  ],
  // SGD slot values by kind, English composition requests.
  writeSlotEn: {
    restaurant: [
      'Write a glowing Yelp review of {t}.',
      'Write a text inviting my friends to dinner at {t} on Friday.',
      'Draft an email to {t} asking to book a private room for a birthday party.',
      'Write a short Instagram post about our lunch at {t}.',
    ],
    movie: [
      'Write a short, spoiler-free review of the movie {t}.',
      'Write a tweet recommending {t}.',
      'Write a poem inspired by the film {t}.',
      'Write a movie-night invitation for {t} to send to my book club.',
    ],
    event: [
      'Write an invitation email for {t}.',
      "Write a social media post announcing that I'm going to {t}.",
      'Write a short blog recap of {t}.',
      'Write a message asking my coworkers to join me at {t}.',
    ],
    city: [
      'Write a travel blog post about a weekend in {t}.',
      'Write a postcard message from {t} to my grandmother.',
      'Write a short poem about {t} at night.',
      'Write a tourism slogan for {t}.',
      'Write a short story set in {t}.',
    ],
    hotel: ['Write a hotel review for {t}.', 'Write a complaint letter to {t} about a noisy room.', 'Write a thank-you note to the staff of {t}.'],
    artist: ['Write a fan letter to {t}.', 'Write song lyrics in the style of {t}.', 'Write a short concert announcement for {t}.'],
  },
  // A sentence as a story seed (Tatoeba), composition requests in either language.
  writeSeedEn: [
    'Write a short story that begins with: "{en}"',
    'Use "{en}" as the first line of a poem.',
    'Write a 300-word story that ends with the sentence "{en}"',
    'Write a dialogue scene that includes the line "{en}"',
    'Continue this story: {en}',
    'Write a flash fiction piece inspired by this line: {en}',
  ],
  writeSeedZh: [
    '以“{zh}”开头写一个小故事。',
    '用“{zh}”作为第一句，写一首现代诗。',
    '写一篇300字的短文，结尾是“{zh}”',
    '续写：{zh}',
    '以“{zh}”为灵感写一段微小说。',
    '写一段对话，其中要有这句台词：“{zh}”',
  ],
  // Topics (CMRC 2018 article titles), Chinese requests.
  writeTopicZh: [
    '以《{t}》为题写一篇800字的文章。',
    '写一篇介绍{t}的科普短文。',
    '为{t}写一段宣传文案。',
    '写一首关于{t}的诗。',
    '请写一篇关于{t}的研究报告，1200字左右。',
    '写一篇关于{t}的公众号推文。',
    '围绕{t}写一篇演讲稿。',
    '帮我写一段关于{t}的朋友圈文案。',
    '以{t}为背景写一个短篇故事。',
    '写一篇关于{t}的读后感或观后感。',
  ],
  factTopicZh: ['介绍一下{t}。', '{t}是什么？', '简单解释一下{t}。', '{t}有什么特点？', '{t}以什么闻名？', '请简要说明{t}。'],
  writeKdconv: {
    film: ['写一篇关于{t}的影评。', '为{t}写一段推荐语。', '以{t}为主题写一篇公众号文章。', '写一段关于{t}的朋友圈文案。'],
    music: ['为{t}写一段乐评。', '写一首献给{t}的歌词。', '给{t}写一封粉丝来信。', '写一段推荐{t}的短文。'],
    travel: ['写一篇{t}的游记。', '为{t}写一段导游词。', '写一条去{t}打卡的朋友圈文案。', '以{t}为背景写一首小诗。'],
  },
  writeCrosswoz: {
    景点: ['写一篇游览{t}的游记。', '为{t}写一段导游词。', '写一条去{t}玩的朋友圈文案。', '给{t}写一句宣传标语。'],
    餐馆: ['为{t}写一段大众点评风格的好评。', '帮{t}写一则开业宣传文案。', '写一条邀请朋友去{t}吃饭的微信消息。'],
    酒店: ['为{t}写一段酒店介绍文案。', '写一封给{t}的投诉信，房间隔音太差。', '写一段住{t}的体验分享。'],
  },
};

// ----------------------------------------------------------------------------------- source parsers
// Each parser gets the loaded files and the source entry, and returns [{text, label, lang, key}].
// `key` is a stable id of the raw row (for hash sampling); text is the user message.

const PARSERS = {
  clinc150(files, src) {
    const d = JSON.parse(files.get(src.paths[0]).toString('utf8'));
    const fact = new Set(src.mapping.factIntents);
    const trans = new Set(src.mapping.transIntents);
    const out = [];
    for (const part of ['train', 'val', 'test']) {
      for (const [text, intent] of d[part]) {
        const label = trans.has(intent) ? 'TRANS' : fact.has(intent) ? 'FACT' : 'CHAT';
        out.push({ text, label, lang: 'en', key: `${part}:${text}`, group: intent });
      }
    }
    return out;
  },

  clincWiki(files, src) {
    const lines = files.get(src.paths[0]).toString('utf8').split('\n');
    const out = [];
    for (const line of lines) {
      const s = line.trim();
      if (s.split(' ').length < 6) continue;
      out.push({ text: fill(pick(TEMPLATES.wikiEn, `t:${s}`), { s }), label: 'TRANS', lang: 'en', key: s });
    }
    return out;
  },

  sgd(files, src) {
    const out = [];
    const slots = new Map();
    for (const p of sourcePaths(src)) {
      for (const dlg of JSON.parse(files.get(p).toString('utf8'))) {
        dlg.turns.forEach((t, i) => {
          for (const f of t.frames ?? []) {
            for (const a of f.actions ?? []) {
              const kind = src.mapping.writeSlots[a.slot];
              for (const v of kind ? (a.values ?? []) : []) slots.set(`${kind}\u0000${v}`, [kind, v]);
            }
          }
          if (t.speaker !== 'USER') return;
          out.push({ text: t.utterance, label: 'CHAT', lang: 'en', key: `${dlg.dialogue_id}:${i}`, group: dlg.dialogue_id });
        });
      }
    }
    // Restaurants, films, events, cities, hotels and artists named in the dialogues: composition requests.
    for (const [k, [kind, v]] of [...slots].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.push({ text: fill(pick(TEMPLATES.writeSlotEn[kind], `t:${k}`), { t: v }), label: 'WRITE', lang: 'en', key: `slot:${k}` });
    }
    return out;
  },

  webquestions(files, src) {
    const out = [];
    const topics = new Set();
    for (const p of src.paths) {
      if (p.startsWith('d-freebase/')) {
        for (const q of JSON.parse(files.get(p).toString('utf8'))) topics.add(q.freebaseKey);
        continue;
      }
      for (const q of JSON.parse(files.get(p).toString('utf8'))) {
        const t = q.qText.trim();
        out.push({ text: t.charAt(0).toUpperCase() + t.slice(1), label: 'FACT', lang: 'en', key: q.qId });
      }
    }
    // The questions' Freebase topics: composition requests (WRITE) or "explain/tell me about" (FACT).
    for (const k of [...topics].sort()) {
      const t = k
        .split('_')
        .map((w) => (w.length > 2 || /^[a-z]+$/.test(w) === false ? w.charAt(0).toUpperCase() + w.slice(1) : w))
        .join(' ');
      const fact = unit(`use:${k}`) < src.mapping.topicFactShare;
      const text = fill(pick(fact ? TEMPLATES.factTopicEn : TEMPLATES.writeTopicEn, `t:${k}`), { t });
      out.push({ text, label: fact ? 'FACT' : 'WRITE', lang: 'en', key: `topic:${k}` });
    }
    return out;
  },

  mathHarness(files, src) {
    const out = [];
    for (const p of src.paths) {
      const rows = jsonLines(files.get(p));
      rows.forEach((r, i) => {
        let text;
        if (p.includes('/svamp/')) text = `${r.Body.trim()}${/[.?!]$/.test(r.Body.trim()) ? '' : '.'} ${r.Question.trim()}`;
        else if (p.includes('/mathqa/')) text = r.problem.charAt(0).toUpperCase() + r.problem.slice(1);
        else text = r.problem;
        out.push({ text, label: 'REASON', lang: 'en', key: `${p}:${i}` });
      });
    }
    return out;
  },

  leetcode(files, src) {
    const out = [];
    for (const p of sourcePaths(src)) {
      const md = files.get(p).toString('utf8');
      const m = md.match(/<!-- description:start -->([\s\S]*?)<!-- description:end -->/);
      if (!m) continue;
      let desc = stripHtml(m[1]);
      const cut = desc.search(/(^|\n)\s*(Example\s*1|示例\s*1|示例：|Example:|示例 1|Examples?\b|\*\*示例)/);
      if (cut > 0) desc = desc.slice(0, cut);
      desc = clean(desc);
      if (desc.length < 20 || desc.length > src.mapping.maxStatementChars) continue;
      const en = p.endsWith('README_EN.md');
      const lang = en ? 'en' : 'zh';
      const text = fill(pick(en ? TEMPLATES.leetcodeEn : TEMPLATES.leetcodeZh, `t:${p}`), { q: desc });
      out.push({ text, label: 'CODE', lang, key: p });
    }
    return out;
  },

  tatoebaCmn(files, src) {
    const out = [];
    for (const line of files
      .get(src.paths[0])
      .toString('utf8')
      .replace(/^\ufeff/, '')
      .split('\n')) {
      const [en, zh] = line.split('\t');
      if (!en || !zh) continue;
      const e = en.trim();
      const z = zh.trim();
      // Each pair gives one request, in English or in Chinese, by hash.
      const lang = unit(`lang:${e}`) < 0.5 ? 'en' : 'zh';
      // A share of the sentences become story/poem seeds (WRITE) in the request's language instead.
      if (unit(`use:${e}`) < src.mapping.writeShare) {
        const text = fill(pick(lang === 'en' ? TEMPLATES.writeSeedEn : TEMPLATES.writeSeedZh, `t:${e}`), { en: e, zh: z });
        out.push({ text, label: 'WRITE', lang, key: `seed:${e}` });
        continue;
      }
      const text = fill(pick(lang === 'en' ? TEMPLATES.transEn : TEMPLATES.transZh, `t:${e}`), { en: e, zh: z });
      out.push({ text, label: 'TRANS', lang, key: e });
    }
    return out;
  },

  crosswoz(files, src) {
    const out = [];
    for (const p of src.paths) {
      if (p.endsWith('_db.json')) {
        // Attractions, restaurants and hotels of the database: Chinese composition requests.
        for (const [name, info] of JSON.parse(files.get(p).toString('utf8'))) {
          const tpl = TEMPLATES.writeCrosswoz[info.领域];
          if (tpl) out.push({ text: fill(pick(tpl, `t:${name}`), { t: name }), label: 'WRITE', lang: 'zh', key: `db:${name}` });
        }
        continue;
      }
      const zip = unzip(files.get(p));
      for (const [, data] of zip) {
        const d = JSON.parse(data.toString('utf8'));
        for (const [id, dlg] of Object.entries(d)) {
          dlg.messages.forEach((m, i) => {
            if (m.role === 'usr') out.push({ text: m.content, label: 'CHAT', lang: 'zh', key: `${id}:${i}`, group: id });
          });
        }
      }
    }
    return out;
  },

  kdconv(files, src) {
    const out = [];
    for (const p of src.paths) {
      const dlgs = JSON.parse(files.get(p).toString('utf8'));
      const domain = p.split('/')[1];
      dlgs.forEach((dlg, di) => {
        if (dlg.name) {
          const fact = unit(`use:${dlg.name}`) < src.mapping.topicFactShare;
          const tpl = fact ? TEMPLATES.factTopicZh : TEMPLATES.writeKdconv[domain];
          out.push({ text: fill(pick(tpl, `t:${dlg.name}`), { t: dlg.name }), label: fact ? 'FACT' : 'WRITE', lang: 'zh', key: `topic:${dlg.name}` });
        }
        dlg.messages.forEach((m, i) => {
          // The speaker who opens the dialogue: questions and comments, not knowledge-base recitals.
          if (i % 2 === 0 && m.message.length <= src.mapping.maxChars) {
            out.push({ text: m.message, label: 'CHAT', lang: 'zh', key: `${p}:${di}:${i}`, group: `${p}:${di}` });
          }
          // Knowledge texts the dialogue grounds on: raw material for Chinese transformation requests.
          for (const a of m.attrs ?? []) {
            if (a.attrname === 'Information' && a.attrvalue.length >= 80 && a.attrvalue.length <= src.mapping.maxKnowledgeChars) {
              const t = fill(pick(TEMPLATES.passageZh, `t:${a.attrvalue}`), { p: a.attrvalue });
              out.push({ text: t, label: 'TRANS', lang: 'zh', key: `kb:${a.attrvalue}` });
            }
          }
        });
      });
    }
    return out;
  },

  cmrc2018(files, src) {
    const out = [];
    const deixis = new RegExp(src.mapping.dropQuestionsMatching);
    for (const p of src.paths) {
      for (const art of JSON.parse(files.get(p).toString('utf8')).data) {
        if (art.title) {
          const fact = unit(`use:${art.title}`) < src.mapping.topicFactShare;
          const text = fill(pick(fact ? TEMPLATES.factTopicZh : TEMPLATES.writeTopicZh, `t:${art.title}`), { t: art.title });
          out.push({ text, label: fact ? 'FACT' : 'WRITE', lang: 'zh', key: `title:${art.title}` });
        }
        for (const para of art.paragraphs) {
          for (const qa of para.qas) {
            const q = qa.question.trim();
            if (deixis.test(q)) continue;
            out.push({ text: q, label: 'FACT', lang: 'zh', key: qa.id });
          }
          const c = para.context;
          if (c.length >= 80 && c.length <= src.mapping.maxContextChars) {
            out.push({ text: fill(pick(TEMPLATES.passageZh, `t:${c}`), { p: c }), label: 'TRANS', lang: 'zh', key: `ctx:${para.id}` });
          }
        }
      }
    }
    return out;
  },

  ape210k(files, src) {
    const out = [];
    for (const p of src.paths) {
      for (const r of jsonLines(files.get(p))) {
        const text = r.original_text.replace(/．$/, '。');
        // One operation on numbers written in a short question ("72的12倍是多少？", "120除以20得多少") is
        // trivial arithmetic: lightweight FACT, as issue 16 asks. Everything else is a word problem: REASON.
        const rhs = r.equation.replace(/^x=/, '');
        const ops = (rhs.match(/[-+*/^]/g) || []).length;
        const nums = rhs.match(/\d+(\.\d+)?/g) || [];
        const trivial = ops === 1 && r.original_text.length <= src.mapping.trivialMaxChars && nums.every((n) => r.original_text.includes(n));
        out.push({ text, label: trivial ? 'FACT' : 'REASON', lang: 'zh', key: r.id });
      }
    }
    return out;
  },
};

// ----------------------------------------------------------------------------------------- the build

const EXCLUDED = [
  // The project's held-out evaluation sources (issue 16): no item of these may enter the corpus.
  /mt[-_ ]?bench/i,
  /vicuna/i,
  /bayling/i,
  /alignbench/i,
  /chinese-llama-alpaca/i,
  /llmzoo|zh100/i,
  /naturalcodebench/i,
  /longbench/i,
  /writingbench/i,
  /hellobench/i,
  /eq-?bench/i,
  /gsm[-_]?8k|grade-school-math|gsm[-_]?hard/i,
  /human[-_]?eval/i,
  /mbpp/i,
  /wizardlm/i,
  /code[-_]?alpaca/i,
  /natural[-_]?questions|nq[-_]?open/i,
  /truthful[-_]?qa/i,
  /daily[-_]?dialog/i,
  /lccc|cdial/i,
  /wmt[-_]?22|newstest2022/i,
  /cascadeflow|semantic[-_]?router|clawrouter|litellm/i,
  /belle.*eval|eval.*belle/i,
];

function checkExclusions(src) {
  const hay = [src.id, src.repository, ...(Array.isArray(src.paths) ? src.paths : [src.paths.manifest])].join(' ');
  for (const re of EXCLUDED) {
    if (re.test(hay)) throw new Error(`source ${src.id} matches the exclusion list (${re}): held-out evaluation data may not enter the corpus`);
  }
  if (/\bNC\b|noncommercial|non-commercial/i.test(src.license)) throw new Error(`source ${src.id}: non-commercial license ${src.license}`);
}

function loadEvalNorms(dir) {
  const abs = path.resolve(ROOT, dir);
  if (!fs.existsSync(abs)) return null;
  const norms = new Set();
  for (const f of fs.readdirSync(abs)) {
    if (!f.endsWith('.jsonl')) continue;
    for (const line of fs.readFileSync(path.join(abs, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const n = normalize(JSON.parse(line).text ?? '');
      if (n.length >= 2) norms.add(n);
    }
  }
  return norms;
}

function acceptText(text, lang) {
  if (text.length < MIN_CHARS || text.length > MAX_CHARS) return false;
  const r = cjkRatio(text);
  if (lang === 'zh') return r >= 0.2;
  return r < 0.5;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(HELP);
    return;
  }
  const sourcesFile = path.resolve(ROOT, opts.sources);
  const table = JSON.parse(fs.readFileSync(sourcesFile, 'utf8'));
  const outFile = path.resolve(ROOT, opts.out ?? 'corpus/build/corpus.jsonl');
  const selected = table.sources.filter((s) => !opts.only || opts.only.includes(s.id));
  if (opts.only && !opts.out) console.log('--only: not writing the corpus file (give --out to write)');

  const all = [];
  for (const src of selected) {
    checkExclusions(src);
    const parser = PARSERS[src.parser];
    if (!parser) throw new Error(`source ${src.id}: unknown parser ${src.parser}`);
    const t0 = performance.now();
    const { files, digest, via } = await loadSource(src, opts);
    src.sha256 = digest;
    let rows = parser(files, src).map((r) => ({ ...r, text: clean(r.text) }));
    const raw = rows.length;
    rows = rows.filter((r) => acceptText(r.text, r.lang));
    // Per (label, lang) caps, by hash of the row key: a stable, seedless sample.
    const caps = src.caps ?? {};
    const groups = new Map();
    for (const r of rows) {
      const k = `${r.label}/${r.lang}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(r);
    }
    const taken = [];
    for (const [k, g] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
      g.sort((a, b) => unit(`${src.id}\u0000${a.key}`) - unit(`${src.id}\u0000${b.key}`) || (a.key < b.key ? -1 : 1));
      const cap = caps[k] ?? caps['*'] ?? Number.POSITIVE_INFINITY;
      taken.push(...g.slice(0, cap));
    }
    for (const r of taken) all.push({ text: r.text, label: r.label, lang: r.lang, source: src.id, norm: normalize(r.text) });
    console.log(`${src.id}: ${raw} rows, ${rows.length} kept by length/language, ${taken.length} taken (${via}, ${Math.round(performance.now() - t0)} ms)`);
  }

  // Exact and near-exact (normalized) dedupe. A text that two sources label differently is dropped.
  const byNorm = new Map();
  for (const r of all) {
    if (r.norm.length < 2) continue;
    const prev = byNorm.get(r.norm);
    if (!prev) byNorm.set(r.norm, r);
    else if (prev.label !== r.label) prev.conflict = true;
  }
  let items = [...byNorm.values()];
  const conflicts = items.filter((r) => r.conflict).length;
  items = items.filter((r) => !r.conflict);
  console.log(`dedupe: ${all.length} taken, ${all.length - byNorm.size} duplicates removed, ${conflicts} texts dropped for conflicting labels`);

  // Decontamination against the measurement-only eval sets (only dropping; nothing is copied from them).
  let decontam = { exact: 0, contained: 0, evalTexts: 0 };
  if (!opts.noDecontam) {
    const norms = loadEvalNorms(opts.evalDir);
    if (!norms) console.log(`decontamination: ${opts.evalDir} not found, skipped`);
    else {
      const long = [...norms].filter((n) => n.length >= 12);
      const keep = [];
      for (const r of items) {
        if (norms.has(r.norm)) decontam.exact++;
        else if (long.some((n) => r.norm.includes(n))) decontam.contained++;
        else keep.push(r);
      }
      decontam = { ...decontam, evalTexts: norms.size };
      items = keep;
      console.log(`decontamination: ${decontam.exact} exact/near-exact and ${decontam.contained} containing matches of ${norms.size} eval texts dropped`);
    }
  }

  for (const r of items) r.split = splitOf(r.norm);
  items.sort((a, b) => (a.norm < b.norm ? -1 : a.norm > b.norm ? 1 : 0));

  const counts = countCells(items);
  printCounts(counts, items);

  if (!opts.only || opts.out) {
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    const body = items.map((r) => JSON.stringify({ text: r.text, label: r.label, lang: r.lang, source: r.source, split: r.split })).join('\n');
    fs.writeFileSync(outFile, `${body}\n`);
    console.log(
      `wrote ${items.length} items to ${path.relative(ROOT, outFile)} (${(fs.statSync(outFile).size / 1e6).toFixed(1)} MB, sha256 ${sha256(`${body}\n`).slice(0, 16)}…)`,
    );
  }

  if (opts.updateSources) {
    for (const src of selected) {
      const per = {};
      for (const r of items) if (r.source === src.id) per[`${r.label}/${r.lang}`] = (per[`${r.label}/${r.lang}`] ?? 0) + 1;
      src.countTaken = Object.fromEntries(Object.entries(per).sort());
    }
    if (!opts.only) table.decontamination = decontam;
    fs.writeFileSync(sourcesFile, `${JSON.stringify(table, null, 2)}\n`);
    console.log(`updated ${path.relative(ROOT, sourcesFile)}`);
  }
  if (opts.table) printTables(counts, items, table, decontam);
  if (opts.sample) printSample(items, opts.sample);
}

function countCells(items) {
  const c = {};
  for (const l of LABELS) for (const g of LANGS) c[`${l}/${g}`] = 0;
  for (const r of items) c[`${r.label}/${r.lang}`]++;
  return c;
}

function printCounts(counts) {
  const line = LABELS.map((l) => `${l} ${counts[`${l}/en`]}/${counts[`${l}/zh`]}`).join('  ');
  console.log(`cells (en/zh): ${line}`);
}

function printTables(counts, items, table, decontam) {
  const md = [];
  md.push('| intent | tier | en | zh | total |', '|---|---|--:|--:|--:|');
  const tier = { CODE: 'flagship', REASON: 'flagship' };
  for (const l of LABELS) {
    const en = counts[`${l}/en`];
    const zh = counts[`${l}/zh`];
    md.push(`| ${l} | ${tier[l] ?? 'lightweight'} | ${en} | ${zh} | ${en + zh} |`);
  }
  const ten = LABELS.reduce((s, l) => s + counts[`${l}/en`], 0);
  const tzh = LABELS.reduce((s, l) => s + counts[`${l}/zh`], 0);
  md.push(`| all | | ${ten} | ${tzh} | ${ten + tzh} |`, '');
  md.push('| split | items | en | zh |', '|---|--:|--:|--:|');
  for (const s of ['train', 'calib', 'dev']) {
    const x = items.filter((r) => r.split === s);
    md.push(`| ${s} | ${x.length} | ${x.filter((r) => r.lang === 'en').length} | ${x.filter((r) => r.lang === 'zh').length} |`);
  }
  md.push('', '| source | items | cells (label/lang: count) |', '|---|--:|---|');
  for (const src of table.sources) {
    const x = items.filter((r) => r.source === src.id);
    const per = {};
    for (const r of x) per[`${r.label}/${r.lang}`] = (per[`${r.label}/${r.lang}`] ?? 0) + 1;
    md.push(
      `| ${src.id} | ${x.length} | ${Object.entries(per)
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')} |`,
    );
  }
  md.push('', `Decontamination: ${decontam.exact} exact/near-exact and ${decontam.contained} containing matches dropped (${decontam.evalTexts} eval texts).`);
  console.log(`\n${md.join('\n')}\n`);
}

function printSample(items, n) {
  for (const l of LABELS) {
    for (const g of LANGS) {
      const cell = items.filter((r) => r.label === l && r.lang === g);
      cell.sort((a, b) => unit(`sample\u0000${a.norm}`) - unit(`sample\u0000${b.norm}`));
      console.log(`\n=== ${l}/${g} (${cell.length})`);
      for (const r of cell.slice(0, n)) console.log(`[${r.source}] ${r.text.replace(/\n/g, ' ⏎ ').slice(0, 220)}`);
    }
  }
}

main().catch((e) => {
  console.error(`build-corpus: ${e.message}`);
  process.exit(1);
});
