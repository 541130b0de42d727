// Realistic assistant messages for the route bench, generated from templates here (the labelled
// evaluation set under shared/eval is deliberately not read: DESIGN.md §9). English and Chinese,
// small talk to multi-paragraph code and reasoning requests, 2 to ~120 words, a few with the
// tier prefixes. Deterministic for a given seed so runs are comparable.

/** mulberry32 (src/intent-model/dna-train.ts): a small seeded PRNG returning floats in [0, 1). */
import { mulberry32 as prng } from '../../dist/intent-model/dna-train.js';

export { prng };

const CHAT = [
  'hey there!',
  'thanks, that helped a lot',
  'good morning :)',
  'lol ok',
  'how are you doing today?',
  'nice, talk later',
  'haha that is funny',
  'can you just say hi to my sister Mia?',
  'ok cool',
  '早上好！',
  '谢谢你',
  '哈哈哈 好的',
  '今天心情不错',
  '晚安',
  'you there?',
  'sorry, wrong chat',
];
const PLACES = ['Portugal', 'Kenya', 'Vietnam', 'Chile', 'Norway', 'Mongolia', 'New Zealand', 'Morocco', '日本', '巴西'];
const THINGS = ['the printing press', 'penicillin', 'the transistor', 'TCP/IP', 'the Eiffel Tower', 'Python', 'the bicycle', '电话', '造纸术'];
const FACT = [
  (p) => `What is the capital of ${p.place}?`,
  (p) => `When was ${p.thing} invented, and by whom?`,
  (p) => `how many people live in ${p.place} roughly`,
  (p) => `What time zone is ${p.place} in?`,
  (p) => `${p.place}的首都是哪里？`,
  (p) => `${p.thing}是谁发明的？`,
  (p) => `what's the boiling point of water at ${p.n * 100} m altitude`,
];
const SENTENCES = [
  'The meeting has been moved to Thursday afternoon.',
  'Could you send me the invoice by the end of the week?',
  'I will be late because the train was cancelled.',
  'Please keep the receipt for the warranty claim.',
  '我们下周一在公司门口见。',
  '这个周末天气很好，适合去爬山。',
];
const LANGS = ['French', 'German', 'Japanese', 'Spanish', 'Chinese', 'Korean', 'Italian'];
const TRANS = [
  (p) => `Translate into ${p.lang}: "${p.sentence}"`,
  (p) => `how do you say "${p.sentence}" in ${p.lang}?`,
  (p) => `把这句话翻译成英文：${p.zh}`,
  (p) => `请把下面的内容翻译成${p.lang === 'Japanese' ? '日语' : '法语'}：${p.sentence}`,
];
const CODE_LANGS = ['TypeScript', 'Python', 'Rust', 'Go', 'SQL', 'Bash'];
const TASKS = [
  'parses an ISO-8601 date and returns the weekday',
  'deduplicates a list while keeping the original order',
  'retries an HTTP request with exponential backoff and jitter',
  'merges two sorted arrays in linear time',
  'reads a CSV file and sums the third column grouped by the first',
  'implements an LRU cache with O(1) get and put',
];
const ERRORS = [
  "TypeError: Cannot read properties of undefined (reading 'map')",
  'error[E0502]: cannot borrow `v` as mutable because it is also borrowed as immutable',
  'panic: runtime error: index out of range [3] with length 3',
  'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint',
];
const CODE = [
  (p) => `Write a ${p.codeLang} function that ${p.task}.`,
  (p) => `Why does this throw ${p.error}?\n\n\`\`\`\nconst rows = data.items.map(r => r.id)\nfor (const id of rows) { await save(id) }\n\`\`\``,
  (p) =>
    `Can you review this ${p.codeLang} snippet and suggest how to make it faster?\n\n\`\`\`\nfor i in range(len(xs)):\n    for j in range(len(xs)):\n        if xs[i] + xs[j] == target: return i, j\n\`\`\``,
  (p) => `用${p.codeLang}写一个函数，${p.task === TASKS[0] ? '解析日期字符串并返回星期几' : '对数组去重并保持原有顺序'}。`,
  (p) => `my ${p.codeLang} build fails with "${p.error}" after upgrading the compiler, what changed?`,
];
const REASON = [
  (p) =>
    `A train leaves at ${p.n}:00 going 80 km/h and another leaves an hour later at 110 km/h. When does the second catch up? Show your reasoning step by step.`,
  (p) => `Prove that the square root of ${p.prime} is irrational.`,
  (p) =>
    `We have ${p.n * 3} engineers and two projects with different deadlines and risk profiles. Walk me through a framework for deciding how to split the team, including the trade-offs and what data I should gather first.`,
  (p) => `If I invest ${p.n * 1000} dollars at 5% compounded monthly, how long until it doubles? Compare with the rule of 72 and explain the gap.`,
  (p) => `请一步一步推理：一个水池有两个进水管，单开甲管${p.n + 2}小时注满，单开乙管${p.n + 5}小时注满，同时开需要多久？`,
  (p) =>
    `Compare event sourcing and a plain CRUD model for an order system with ${p.n * 10}k writes a day; analyse consistency, auditability, operational cost and how each fails.`,
];
const TOPICS = [
  'our Q3 roadmap',
  'a delayed shipment',
  'the new parental leave policy',
  'a conference talk on WebAssembly',
  'remote onboarding',
  '团队建设活动',
  '产品发布会',
];
const WHO = ['my landlord', 'the hiring manager', 'a customer who was double-charged', 'my team', 'the school principal'];
const WRITE = [
  (p) => `Draft a polite email to ${p.who} about ${p.topic}.`,
  (p) => `Write a short blog post (about 300 words) on ${p.topic}, friendly tone, with a catchy title.`,
  (p) => `Rewrite this paragraph to sound more professional: "hey so the thing about ${p.topic} is we kinda dropped the ball, sorry, will fix asap"`,
  (p) => `写一篇关于${p.topic}的短文，大约五百字，语气轻松。`,
  (p) => `Give me a limerick about ${p.topic}.`,
];
const PREFIXES = ['F: ', 'L: ', 'Force: ', 'Fast: ', '旗舰：', '轻量：'];

/**
 * `count` messages drawn from the templates above with a seeded PRNG: intents mixed roughly as a
 * personal assistant sees them (chat and facts most common), ~3% carrying a tier prefix, some
 * with extra context sentences so lengths vary.
 */
export function generateMessages(count, seed = 7) {
  const rnd = prng(seed);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const params = () => ({
    place: pick(PLACES),
    thing: pick(THINGS),
    n: 1 + Math.floor(rnd() * 9),
    prime: pick([2, 3, 5, 7, 11, 13]),
    lang: pick(LANGS),
    sentence: pick(SENTENCES),
    zh: pick(SENTENCES.filter((s) => /[\u4e00-\u9fff]/.test(s))),
    codeLang: pick(CODE_LANGS),
    task: pick(TASKS),
    error: pick(ERRORS),
    topic: pick(TOPICS),
    who: pick(WHO),
  });
  const mix = [
    [CHAT, 0.22],
    [FACT, 0.2],
    [TRANS, 0.12],
    [CODE, 0.18],
    [REASON, 0.13],
    [WRITE, 0.15],
  ];
  const out = [];
  for (let i = 0; i < count; i++) {
    let u = rnd();
    let group = mix[0][0];
    for (const [g, w] of mix) {
      if (u < w) {
        group = g;
        break;
      }
      u -= w;
    }
    const t = pick(group);
    let text = typeof t === 'function' ? t(params()) : t;
    if (rnd() < 0.2) text = `${pick(['Quick question. ', 'Sorry to bother you again, ', 'For my homework: ', '顺便问一下，'])}${text}`;
    if (rnd() < 0.15) text += ` ${pick(['Thanks!', 'Keep it short please.', 'This is for a presentation tomorrow morning, so accuracy matters.', '谢谢！'])}`;
    if (rnd() < 0.03) text = pick(PREFIXES) + text;
    out.push(text);
  }
  return out;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * A generator of distinct nonsense phrases (5 to 10 random lowercase words of 3 to 8 letters),
 * seeded. Used as learning-event texts: they are not near-duplicates of each other (local
 * embedder cosine ≤ ~0.3, so compaction would not merge them) nor of generateMessages() texts
 * (so a route never hits one as a patch), and carry no tier prefix.
 */
export function randomPhrases(seed = 11) {
  const rnd = prng(seed);
  const word = () => {
    let w = '';
    const n = 3 + Math.floor(rnd() * 6);
    for (let i = 0; i < n; i++) w += LETTERS[Math.floor(rnd() * LETTERS.length)];
    return w;
  };
  return () => Array.from({ length: 5 + Math.floor(rnd() * 6) }, word).join(' ');
}
