import type { Tier } from './intents.js';

/**
 * Bilingual keyword fallback (Smart Router doc: keyword stage). Used when embedding fails or no
 * DNA intent reaches its threshold, and to break near-ties between tiers (softPartitionThreshold).
 * Each list is matched on NFKC-lower-cased text: Latin entries on word boundaries, Chinese ones
 * as substrings. Entries were checked against the seed (the lines containing one should mostly
 * be of its tier): "多少", "比较" (also "rather"), "什么时候" and "class" were dropped, about half
 * of their seed lines belong to the other tier.
 */
const FLAGSHIP_KEYWORDS = [
  // code
  'code',
  'function',
  'bug',
  'debug',
  'refactor',
  'implement',
  'algorithm',
  'compile',
  'stack trace',
  'traceback',
  'exception',
  'regex',
  'sql',
  'query',
  'script',
  'python',
  'javascript',
  'typescript',
  'java',
  'golang',
  'rust',
  'c++',
  'api endpoint',
  'unit test',
  'unit tests',
  'test case',
  'segfault',
  'null pointer',
  'dockerfile',
  'kubernetes',
  'git',
  'npm',
  'method',
  'variable',
  'recursion',
  'async',
  'deadlock',
  'memory leak',
  'optimize',
  'optimise',
  // reasoning
  'prove',
  'proof',
  'derive',
  'calculate',
  'probability',
  'equation',
  'integral',
  'derivative',
  'theorem',
  'analyze',
  'analyse',
  'trade-off',
  'tradeoff',
  'trade-offs',
  'compare',
  'versus',
  'vs',
  'architecture',
  'design a system',
  'scalability',
  'strategy',
  'step by step',
  'reasoning',
  'pros and cons',
  'solve',
  'evaluate',
  'assess',
  'estimate',
  'explain why',
  'how many ways',
  'docker',
  'nginx',
  'react',
  'node.js',
  'numpy',
  'bash',
  'shell script',
  'typeerror',
  'null',
  'tests',
  'refactor',
  'stack overflow',
  // zh
  '代码',
  '函数',
  '调试',
  '报错',
  '重构',
  '实现',
  '算法',
  '编译',
  '异常',
  '正则',
  '脚本',
  '单元测试',
  '接口',
  '内存泄漏',
  '死锁',
  '性能优化',
  '证明',
  '推导',
  '计算',
  '概率',
  '方程',
  '积分',
  '导数',
  '分析',
  '对比',
  '权衡',
  '利弊',
  '架构',
  '设计一个系统',
  '方案',
  '策略',
  '推理',
  '为什么会',
  '评估',
  '探讨',
  '优劣',
  '排查',
  '解方程',
  '逻辑题',
  '怎么选',
];

const LIGHTWEIGHT_KEYWORDS = [
  'hi',
  'hello',
  'hey',
  'thanks',
  'thank you',
  'good morning',
  'good night',
  'how are you',
  'joke',
  'weather',
  'remind',
  'reminder',
  'timer',
  'alarm',
  'schedule',
  'calendar',
  'ping',
  'text',
  'message',
  'recommend',
  'translate',
  'translation',
  'how do you say',
  'in english',
  'in chinese',
  'in french',
  'in spanish',
  'write an email',
  'email',
  'poem',
  'story',
  'caption',
  'tweet',
  'post',
  'summarize',
  'summarise',
  'rewrite',
  'polish',
  'proofread',
  'what is',
  'who is',
  'when did',
  'where is',
  'capital of',
  'define',
  'meaning of',
  'convert',
  'extract',
  'reformat',
  'tl;dr',
  'remind me',
  'slogan',
  'letter',
  "how's",
  "what's your",
  // zh
  '你好',
  '您好',
  '谢谢',
  '早上好',
  '晚安',
  '在吗',
  '笑话',
  '天气',
  '提醒',
  '闹钟',
  '日程',
  '推荐',
  '聊聊',
  '翻译',
  '英文',
  '英语',
  '中文',
  '怎么说',
  '邮件',
  '写一首',
  '诗',
  '故事',
  '文案',
  '朋友圈',
  '总结',
  '摘要',
  '润色',
  '改写',
  '是什么',
  '是谁',
  '在哪',
  '首都',
  '意思',
  '提取',
  '概括',
  '翻成',
  '整理成',
  '提醒我',
  '你觉得',
  '你喜欢',
  '哪一年',
  '口号',
  '祝福',
];

/**
 * Matchers, compiled on first use: the keyword stage decides few messages, and compiling a few
 * hundred Unicode regexes at import cost ~35 ms of every start-up (issue 7).
 */
let compiled: { flagship: Array<(text: string) => boolean>; lightweight: Array<(text: string) => boolean> } | null = null;

function matchers(): NonNullable<typeof compiled> {
  compiled ??= { flagship: FLAGSHIP_KEYWORDS.map(toMatcher), lightweight: LIGHTWEIGHT_KEYWORDS.map(toMatcher) };
  return compiled;
}

function toMatcher(keyword: string): (text: string) => boolean {
  if (/[\p{Script=Han}]/u.test(keyword)) return (text) => text.includes(keyword);
  const escaped = keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(?:^|[^\\p{L}\\p{N}])${escaped}(?=$|[^\\p{L}\\p{N}])`, 'u');
  // The substring test first: most keywords are absent, and includes() is far cheaper than a
  // Unicode regex (a fallback route ran ~200 of them).
  return (text) => text.includes(keyword) && re.test(text);
}

/** A keyword verdict: the tier with more hits, and the keywords that decided it. */
export interface KeywordMatch {
  tier: Tier;
  hits: string[];
  /** Hits of the winning tier minus hits of the other. */
  margin: number;
}

/** Returns the tier whose keywords appear more often, or null on no hit or a tie. */
export function matchKeywords(text: string): KeywordMatch | null {
  const norm = text.normalize('NFKC').toLowerCase();
  const m = matchers();
  const flagship = FLAGSHIP_KEYWORDS.filter((_, i) => m.flagship[i]!(norm));
  const lightweight = LIGHTWEIGHT_KEYWORDS.filter((_, i) => m.lightweight[i]!(norm));
  if (flagship.length === lightweight.length) return null;
  return flagship.length > lightweight.length
    ? { tier: 'flagship', hits: flagship, margin: flagship.length - lightweight.length }
    : { tier: 'lightweight', hits: lightweight, margin: lightweight.length - flagship.length };
}
