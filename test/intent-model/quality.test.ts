import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../dist/config/index.js';
import { LOCAL_MODEL, LocalEmbedder } from '../../dist/embedding/index.js';
import { type DnaModel, dnaFileName, readDnaFile, readSeed } from '../../dist/intent-model/index.js';
import { KernelPool } from '../../dist/kernel/index.js';
import { type Intent, type LearningEvent, matchPrefix, Router, type Tier } from '../../dist/routing/index.js';
import { ROOT } from '../helpers/daemon.js';
import { jaccard, trigrams } from '../helpers/similarity.js';

// Routing quality that must not regress (issue 3), through the real Router, the built DNA
// (`npm run build` writes dna/build/), a real KernelPool and the built-in local embedder.
// None of these messages, nor a close paraphrase, may be in dna/seed (last describe block).

/** The demo messages of the issue, and Chinese equivalents. */
const DEMOS: Array<[string, Tier]> = [
  ["Hey, what's up? Tell me something interesting.", 'lightweight'],
  ['Remind me tomorrow at 9am and ping Slack about the deploy', 'lightweight'],
  ['Write a Python rate limiter with the token bucket algorithm', 'flagship'],
  ['Write unit tests for the auth middleware, cover edge cases', 'flagship'],
  ['Compare WebSockets vs SSE vs polling for 10K concurrent users', 'flagship'],
  ['嘿，最近怎么样？给我讲点有意思的事吧。', 'lightweight'],
  ['明天早上9点提醒我，顺便在Slack上通知大家部署的事', 'lightweight'],
  ['用Python写一个令牌桶算法的限流器', 'flagship'],
  ['给鉴权中间件写单元测试，覆盖边界情况', 'flagship'],
  ['对比一下WebSocket、SSE和轮询，在一万并发用户下哪个更合适', 'flagship'],
];

/** Hard cases per intent and language: traps such as tech words in WRITE, numbers in TRANS. */
const HARD_CASES: Array<{ intent: Intent; text: string }> = [
  { intent: 'CHAT', text: 'ugh my train is delayed again, keep me company?' },
  { intent: 'CHAT', text: "Set a reminder for my sister's birthday on the 3rd and text her a heart emoji" },
  { intent: 'CHAT', text: 'Be honest: would you rather chat with me or help someone write boring emails?' },
  { intent: 'CHAT', text: '下午三点提醒我去取快递，再在群里说一声我晚点到' },
  { intent: 'CHAT', text: '今天下雨没带伞，淋成落汤鸡了哈哈' },
  { intent: 'CHAT', text: '你平时无聊的时候会想些什么？' },
  { intent: 'FACT', text: 'In which ocean is Madagascar?' },
  { intent: 'FACT', text: 'Who designed the Sydney Opera House?' },
  { intent: 'FACT', text: 'What does RAM stand for in a computer?' },
  { intent: 'FACT', text: '长江的入海口在哪个城市？' },
  { intent: 'FACT', text: '一海里等于多少公里？' },
  { intent: 'FACT', text: '《百年孤独》的作者是谁' },
  { intent: 'TRANS', text: 'Convert this list into a markdown table: apples 3, pears 5, plums 2' },
  { intent: 'TRANS', text: 'Translate this error message into German for our docs: "Connection refused: the server is not responding"' },
  { intent: 'TRANS', text: 'Pull every date out of this paragraph: the kickoff is on March 4, the review on April 18 and launch on May 30.' },
  { intent: 'TRANS', text: '把这句话翻译成日语：我们明天见' },
  { intent: 'TRANS', text: '把下面的名单转换成 JSON 数组：张伟、王芳、李娜' },
  { intent: 'TRANS', text: '用三句话总结下面这段：公司今年营收增长了两成，但利润下滑，主要原因是原材料涨价和新工厂的折旧。' },
  { intent: 'CODE', text: "my flask app returns 500 only in production, here's the traceback: KeyError: 'DATABASE_URL'" },
  { intent: 'CODE', text: 'my docker build takes 10 minutes every time, how do I make it cache the npm install step?' },
  { intent: 'CODE', text: 'implement binary search on a rotated sorted array in Java' },
  { intent: 'CODE', text: '这段代码报 NullPointerException，帮我看看：String s = map.get(key); s.trim();' },
  { intent: 'CODE', text: '用 TypeScript 写一个按字段分组数组的函数' },
  { intent: 'CODE', text: '用 Java 实现旋转有序数组的二分查找' },
  { intent: 'REASON', text: 'If a bacteria colony doubles every 20 minutes, how long until 1 cell becomes a million? show the steps' },
  { intent: 'REASON', text: 'Is it worth paying off a 3% mortgage early when savings accounts pay 4.5%? Think it through.' },
  { intent: 'REASON', text: 'Prove that the sum of two odd numbers is always even.' },
  { intent: 'REASON', text: '一个细菌每20分钟分裂一次，从1个变成100万个需要多久？写出推导' },
  { intent: 'REASON', text: '五个人的创业团队，认证系统是自研还是买现成的？从成本、风险和时间上分析' },
  { intent: 'REASON', text: '证明两个奇数之和一定是偶数' },
  { intent: 'WRITE', text: "Write a short poem about my grandmother's garden" },
  { intent: 'WRITE', text: "Write a LinkedIn post celebrating our team's migration to Kubernetes" },
  { intent: 'WRITE', text: 'Draft a note to parents about the school bake sale next Thursday' },
  { intent: 'WRITE', text: '写一首关于外婆菜园的小诗' },
  { intent: 'WRITE', text: '帮我写一条朋友圈，庆祝我们团队成功把系统迁移到云上' },
  { intent: 'WRITE', text: '给竹制牙刷写一段商品描述' },
];

const TIER_OF: Record<Intent, Tier> = {
  CHAT: 'lightweight',
  FACT: 'lightweight',
  TRANS: 'lightweight',
  WRITE: 'lightweight',
  CODE: 'flagship',
  REASON: 'flagship',
};

const embedder = new LocalEmbedder();
const learned: LearningEvent[] = [];
let pool: KernelPool;
let dna: DnaModel;
let router: Router;

beforeAll(async () => {
  dna = await readDnaFile(path.join(ROOT, 'dna', 'build', dnaFileName(embedder.space)), embedder.space);
  pool = new KernelPool({ minThreads: 1, maxThreads: 1 });
  const region = pool.load(dna.data, dna.rows, dna.dims);
  router = new Router({
    config: ConfigSchema.parse({}),
    embedder,
    dna,
    scanDna: async (query) => (await pool.scan(query, region, 0, true)).all!,
    onLearn: async (event) => {
      learned.push(event);
    },
  });
});

afterAll(async () => {
  await pool.close();
});

describe('demo messages', () => {
  it.each(DEMOS)('routes %j to %s on DNA', async (text, tier) => {
    const decision = await router.route(text, { learn: false });
    expect(decision.source).toBe('dna');
    expect(decision.modelTier).toBe(tier);
  });
});

describe('hard cases', () => {
  it.each(HARD_CASES)('routes the $intent case $text to its intent and tier', async ({ intent, text }) => {
    const decision = await router.route(text, { learn: false });
    expect([decision.intent, decision.modelTier]).toEqual([intent, TIER_OF[intent]]);
  });

  it('reports a confidence in (0.5, 1] for the tier it chose, and per-intent cosines', async () => {
    const decision = await router.route('Write a Python rate limiter with the token bucket algorithm', { learn: false });
    expect(decision.confidence).toBeGreaterThan(0.5);
    expect(decision.confidence).toBeLessThanOrEqual(1);
    expect(Object.keys(decision.scores ?? {}).sort()).toEqual(['CHAT', 'CODE', 'FACT', 'REASON', 'TRANS', 'WRITE']);
  });
});

describe('prefixes', () => {
  it('forces flagship with "F: hi" and learns the text without the prefix', async () => {
    learned.length = 0;
    const decision = await router.route('F: hi');
    expect([decision.modelTier, decision.source, decision.confidence]).toEqual(['flagship', 'prefix', 1]);
    expect(learned.map((e) => [e.text, e.tier, e.origin])).toEqual([['hi', 'flagship', 'prefix']]);
  });

  it('forces lightweight with "轻量：写一个排序算法" (full-width colon) and learns the text without the prefix', async () => {
    learned.length = 0;
    const decision = await router.route('轻量：写一个排序算法');
    expect([decision.modelTier, decision.source, decision.confidence]).toEqual(['lightweight', 'prefix', 1]);
    expect(learned.map((e) => [e.text, e.tier, e.origin])).toEqual([['写一个排序算法', 'lightweight', 'prefix']]);
  });

  it('overrides what DNA would decide in both directions, in both languages', async () => {
    const config = ConfigSchema.parse({}).prefix;
    const cases = ['Force: 你好', '旗舰: hello there', 'L: write a compiler in Rust', 'Fast：证明费马小定理'];
    const tiers = await Promise.all(cases.map(async (text) => (await router.route(text, { learn: false })).modelTier));
    expect(tiers).toEqual(['flagship', 'flagship', 'lightweight', 'lightweight']);
    expect(cases.map((text) => matchPrefix(text, config)?.text)).toEqual(['你好', 'hello there', 'write a compiler in Rust', '证明费马小定理']);
  });
});

describe('the built DNA', () => {
  it('is named after the embedder version, so DNA of an older embedder is never loaded', () => {
    expect(dnaFileName(embedder.space)).toBe(`local-${LOCAL_MODEL}-1024.vctr`);
    expect(dna.space.model).toBe(LOCAL_MODEL);
  });

  it('has several unit rows per intent', () => {
    const perIntent = new Map<string, number>();
    for (const label of dna.labels) perIntent.set(label, (perIntent.get(label) ?? 0) + 1);
    expect([...perIntent.keys()].sort()).toEqual(['CHAT', 'CODE', 'FACT', 'REASON', 'TRANS', 'WRITE']);
    expect(Math.min(...perIntent.values())).toBeGreaterThan(1);
    const norms = Array.from({ length: dna.rows }, (_, r) => Math.hypot(...dna.data.subarray(r * dna.dims, (r + 1) * dna.dims)));
    expect(norms.every((n) => Math.abs(n - 1) < 1e-4)).toBe(true);
  });

  it('records a calibrated temperature and a DNA threshold for the local space', () => {
    expect(dna.temperature).toBeGreaterThan(5);
    expect(dna.threshold).toBeGreaterThan(0);
    expect(dna.threshold).toBeLessThan(0.3);
  });

  it('records k-fold held-out figures that meet the issue 3 bar', () => {
    const held = dna.heldOut ?? {};
    expect(held.tierAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(held.labelAccuracy).toBeGreaterThanOrEqual(0.8);
    expect(held.flagshipRecall).toBeGreaterThanOrEqual(0.88);
    expect(held.expectedCalibrationError).toBeLessThanOrEqual(0.05);
  });
});

describe('the local embedder', () => {
  it('is deterministic and L2-normalised', () => {
    const a = embedder.embedSync('把这段 JSON 转成 YAML, please');
    const b = new LocalEmbedder().embedSync('把这段 JSON 转成 YAML, please');
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
  });

  it('embeds the empty string as the zero vector', () => {
    expect(Math.hypot(...embedder.embedSync(''))).toBe(0);
  });
});

describe('the seed', () => {
  const seed = readSeed(path.join(ROOT, 'dna', 'seed'));

  it('has at least 250 utterances per intent and language', () => {
    const counts = new Map<string, number>();
    for (const r of seed.records) counts.set(`${r.label}.${r.lang}`, (counts.get(`${r.label}.${r.lang}`) ?? 0) + 1);
    const thin = [...counts].filter(([, n]) => n < 250);
    expect(counts.size).toBe(12);
    expect(thin).toEqual([]);
  });

  it('contains none of the pinned messages nor a close paraphrase (character-trigram Jaccard < 0.45)', () => {
    const grams = seed.records.map((r) => trigrams(r.text));
    const close = [...DEMOS.map(([text]) => text), ...HARD_CASES.map((c) => c.text)]
      .map((text) => {
        const g = trigrams(text);
        return { text, similarity: Math.max(...grams.map((h) => jaccard(g, h))) };
      })
      .filter((c) => c.similarity >= 0.45);
    expect(close).toEqual([]);
  });
});
