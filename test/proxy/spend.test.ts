import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedgerStore } from '../../src/ledger/index.js';
import { CLI, type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type FakeLlm, startFakeAnthropic, startFakeOpenAI } from '../helpers/fake-llm.js';

// Issue 14: prices, the usage ledger, virtual keys with budgets, and `smart-routerd usage`, against
// a real daemon and two fake upstreams that report usage in their vendors' shapes.

const run = promisify(execFile);
const KIMI = 'openrouter/moonshotai/kimi-k2.5';
const OPUS = 'anthropic/claude-opus-4-5';
/** Prices set in config (USD per million tokens), so every figure below is computed by hand. */
const OPUS_PRICE = { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 };
const KIMI_PRICE = { input: 0.6, output: 3, cacheRead: 0.1 };
/** Token counts the fakes report for every answer. */
const CLAUDE_TOKENS = { input: 1000, output: 500, cacheRead: 2000, cacheWrite: 400 };
const KIMI_TOKENS = { input: 3000, output: 200, cacheRead: 1000, cacheWrite: 0 };
/** Hand-computed: (1000·5 + 500·25 + 2000·0.5 + 400·6.25) / 1e6 and (3000·0.6 + 200·3 + 1000·0.1) / 1e6. */
const OPUS_COST = 0.021;
const KIMI_COST = 0.0025;

const PLANO = [
  { text: "Hey, what's up? Tell me something interesting.", to: KIMI },
  { text: 'Remind me tomorrow at 9am and ping Slack about the deploy', to: KIMI },
  { text: 'Write a Python rate limiter with the token bucket algorithm', to: OPUS },
  { text: 'Write unit tests for the auth middleware, cover edge cases', to: OPUS },
  { text: 'Compare WebSockets vs SSE vs polling for 10K concurrent users', to: OPUS },
] as const;

let kimi: FakeLlm;
let claude: FakeLlm;

function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    models: {
      providers: {
        openrouter: { api: 'openai-completions', baseUrl: kimi.baseUrl, apiKey: 'sk-or-fake', models: [{ id: 'moonshotai/kimi-k2.5' }] },
        anthropic: { api: 'anthropic-messages', baseUrl: claude.baseUrl, apiKey: 'sk-ant-fake', models: [{ id: 'claude-opus-4-5' }] },
      },
      [KIMI]: { alias: 'kimi', cost: KIMI_PRICE },
      [OPUS]: { alias: 'opus', cost: OPUS_PRICE },
    },
    routing: { routes: { CHAT: ['kimi'], WRITE: ['kimi'], FACT: ['kimi'], TRANS: ['kimi'], CODE: ['opus'], REASON: ['opus'] } },
    ...extra,
  };
}

beforeAll(async () => {
  kimi = await startFakeOpenAI('kimi');
  claude = await startFakeAnthropic('claude');
  kimi.tokens = KIMI_TOKENS;
  claude.tokens = CLAUDE_TOKENS;
});
afterAll(async () => {
  await kimi?.close();
  await claude?.close();
});

/** The model API of a daemon, with `key` as the API key. */
function api(d: RunningDaemon) {
  const base = `http://127.0.0.1:${d.port}`;
  return {
    chat: (body: Record<string, unknown>, key = 'anything') =>
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      }),
    messages: (body: Record<string, unknown>, key = 'anything') =>
      fetch(`${base}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ max_tokens: 64, ...body }),
      }),
    admin: (method: 'GET' | 'POST', p: string, body?: unknown, key = d.token) =>
      fetch(`${base}${p}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }),
  };
}

const user = (text: string) => ({ model: 'smart-routerd/auto', messages: [{ role: 'user', content: text }] });
type SpendLog = { request_id: string; spend: number; prompt_tokens: number; completion_tokens: number; model: string; status: string; api_key: string };
type Usage = {
  total: { requests: number; costUsd: number };
  flagship: { model: string; costUsd: number };
  savedUsd: number;
  savedPct: number;
  groups: Array<{ group: string; requests: number; costUsd: number }>;
};

describe('costs, the ledger and the savings line', () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    d = await startDaemon({ config: config() });
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('prices each answer from the usage its upstream reported, cached tokens included, streamed or not', async () => {
    const a = api(d);
    const answers = [
      await a.chat(user(PLANO[2].text)), // → opus, Anthropic upstream, translated, whole
      await a.chat({ ...user(PLANO[0].text), stream: true }), // → kimi, streamed, client did not ask for usage
      await a.messages({ ...user(PLANO[3].text), stream: true }), // → opus, Anthropic stream passed through
      await a.messages(user(PLANO[1].text)), // → kimi, OpenAI upstream translated to Anthropic
    ];
    const ids = answers.map((r) => r.headers.get('x-request-id'));
    const bodies = await Promise.all(answers.map((r) => r.text()));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    // The usage chunk smart-routerd asked kimi for is not passed to a client that did not ask for it.
    expect(bodies[1]).not.toContain('"usage"');
    expect(kimi.received.at(-2)!.json.stream_options).toEqual({ include_usage: true });
    const logs = (await (await a.admin('GET', '/spend/logs')).json()) as SpendLog[];
    const byId = new Map(logs.map((l) => [l.request_id, l]));
    const spend = ids.map((id) => byId.get(id!)?.spend);
    expect(spend[0]).toBeCloseTo(OPUS_COST, 12);
    expect(spend[1]).toBeCloseTo(KIMI_COST, 12);
    expect(spend[2]).toBeCloseTo(OPUS_COST, 12);
    expect(spend[3]).toBeCloseTo(KIMI_COST, 12);
    expect(byId.get(ids[0]!)).toMatchObject({ model: OPUS, prompt_tokens: 3400, completion_tokens: 500, status: 'success' });
    expect(byId.get(ids[1]!)).toMatchObject({ model: KIMI, prompt_tokens: 4000, completion_tokens: 200 });
  });

  it('counts tokens and cost by model in /metrics, and streams each request’s usage to `router.usage` subscribers', async () => {
    const client = await d.client();
    const frames: Array<{ event: string; payload: { requestId: string; model: string; usage: { costUsd: number; inputTokens: number } } }> = [];
    client.on('event', (f: (typeof frames)[number]) => frames.push(f));
    await client.request('router.subscribe', { events: ['router.usage'] });
    const res = await api(d).chat(user(PLANO[4].text));
    await res.text();
    for (let i = 0; i < 100 && frames.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await client.close();
    expect(frames[0]).toMatchObject({
      event: 'router.usage',
      payload: { requestId: res.headers.get('x-request-id'), model: OPUS, usage: { inputTokens: 1000, costUsd: expect.closeTo(OPUS_COST, 12) } },
    });
    const families = parsePrometheusTextFormat(await (await fetch(`http://127.0.0.1:${d.port}/metrics`)).text());
    const sample = (name: string, labels: Record<string, string>) =>
      Number(
        families
          .find((f) => f.name === name)
          ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => (m as { labels?: Record<string, string> }).labels?.[k] === v))?.value,
      );
    // Three opus answers so far in this daemon (two in the first test, one here).
    expect(sample('smart_routerd_tokens_total', { model: OPUS, type: 'cache_read' })).toBe(3 * CLAUDE_TOKENS.cacheRead);
    expect(sample('smart_routerd_tokens_total', { model: KIMI, type: 'input' })).toBe(2 * KIMI_TOKENS.input);
    expect(sample('smart_routerd_cost_usd_total', { model: OPUS })).toBeCloseTo(3 * OPUS_COST, 9);
  });

  it('`smart-routerd usage` after the five Plano messages prints the table and the all-flagship savings line', async () => {
    const fresh = await startDaemon({ config: config() });
    try {
      for (const m of PLANO) {
        const res = await api(fresh).chat(user(m.text));
        expect(res.headers.get('x-smart-router-model')).toBe(m.to);
      }
      const env = { ...process.env, SMART_ROUTERD_STATE_DIR: fresh.stateDir, SMART_ROUTERD_TOKEN: fresh.token, SMART_ROUTERD_URL: fresh.url };
      const { stdout } = await run(process.execPath, [CLI, 'usage'], { env });
      // 3 × opus + 2 × kimi; all five at opus prices: 3 × 0.021 + 2 × (3000·5 + 200·25 + 1000·0.5) / 1e6 = 0.063 + 2 × 0.0205.
      const cost = 3 * OPUS_COST + 2 * KIMI_COST;
      const flagship = 3 * OPUS_COST + 2 * 0.0205;
      expect(stdout).toMatch(new RegExp(`^${OPUS.replace(/[/.]/g, '\\$&')}\\s+3\\s+0\\s+3,000\\s+1,500\\s+6,000\\s+1,200\\s+\\$0\\.0630$`, 'm'));
      expect(stdout).toMatch(new RegExp(`^${KIMI.replace(/[/.]/g, '\\$&')}\\s+2\\s+0\\s+6,000\\s+400\\s+2,000\\s+0\\s+\\$0\\.0050$`, 'm'));
      expect(stdout).toMatch(/^total\s+5\s+0\s+9,000\s+1,900\s+8,000\s+1,200\s+\$0\.0680$/m);
      expect(stdout).toContain(`all to the flagship (${OPUS}): $${flagship.toFixed(4)}`);
      expect(stdout).toContain(`saved by routing: $${(flagship - cost).toFixed(4)} (${(((flagship - cost) / flagship) * 100).toFixed(1)}%)`);
      // The WebSocket method returns the same figures.
      const client = await fresh.client();
      const usage = await client.request<Usage>('usage.status', { by: 'tier' });
      await client.close();
      expect(usage.total.requests).toBe(5);
      expect(usage.total.costUsd).toBeCloseTo(cost, 12);
      expect(usage.flagship).toEqual({ model: OPUS, costUsd: expect.closeTo(flagship, 12) });
      expect(usage.savedUsd).toBeCloseTo(flagship - cost, 12);
      expect(usage.groups.map((g) => [g.group, g.requests])).toEqual([
        ['flagship', 3],
        ['lightweight', 2],
      ]);
    } finally {
      await fresh.stop();
    }
  });
});

describe('virtual keys', () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    d = await startDaemon({ config: config(), keepState: true });
  });
  afterAll(async () => {
    await d?.stop();
  });

  async function generate(body: Record<string, unknown>): Promise<{ key: string; token: string; budget_reset_at: string | null }> {
    const res = await api(d).admin('POST', '/key/generate', body);
    expect(res.status).toBe(200);
    return (await res.json()) as { key: string; token: string; budget_reset_at: string | null };
  }

  it('needs the master key for /key/generate, even on loopback', async () => {
    const res = await api(d).admin('POST', '/key/generate', {}, 'some-other-key');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/master key/);
  });

  it('refuses a key over max_budget with 429 naming the limit and its reset, and accepts it again once budget_duration has passed', async () => {
    const k = await generate({ key_alias: 'budget', max_budget: 0.02, budget_duration: '3s' });
    expect(Date.parse(k.budget_reset_at!)).toBeGreaterThan(Date.now());
    const a = api(d);
    expect((await a.chat(user(PLANO[2].text), k.key)).status).toBe(200); // $0.021: now over $0.02
    const refused = await a.chat(user(PLANO[2].text), k.key);
    expect(refused.status).toBe(429);
    const err = (await refused.json()) as { error: { message: string; code: string } };
    expect(err.error.code).toBe('budget_exceeded');
    expect(err.error.message).toMatch(/max_budget \$0\.02; resets at \d{4}-\d\d-\d\dT/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // In the client's own protocol for an Anthropic client.
    const anthropic = await a.messages(user(PLANO[2].text), k.key);
    expect(anthropic.status).toBe(429);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    const info = (await (await a.admin('GET', `/key/info?key=${k.key}`)).json()) as { info: { spend: number; budget_reset_at: string } };
    expect(info.info.spend).toBeCloseTo(OPUS_COST, 12);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(info.info.budget_reset_at) - Date.now()) + 100));
    expect((await a.chat(user(PLANO[2].text), k.key)).status).toBe(200);
  });

  it('applies rpm_limit and tpm_limit per minute', async () => {
    const a = api(d);
    const rpm = await generate({ rpm_limit: 2 });
    expect((await a.chat(user(PLANO[0].text), rpm.key)).status).toBe(200);
    expect((await a.chat(user(PLANO[0].text), rpm.key)).status).toBe(200);
    const third = await a.chat(user(PLANO[0].text), rpm.key);
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { message: string } }).error.message).toMatch(/rpm_limit 2 requests per minute reached; resets at/);
    const tpm = await generate({ tpm_limit: 1000 });
    expect((await a.chat(user(PLANO[0].text), tpm.key)).status).toBe(200); // 4,200 tokens
    const over = await a.chat(user(PLANO[0].text), tpm.key);
    expect(over.status).toBe(429);
    expect(((await over.json()) as { error: { message: string } }).error.message).toMatch(/tpm_limit 1000 tokens per minute reached \(4200 used\)/);
  });

  it('refuses a model outside the key’s models with 403, and a revoked key with 401', async () => {
    const a = api(d);
    const k = await generate({ models: ['kimi'] });
    expect((await a.chat({ ...user('hi'), model: 'kimi' }, k.key)).status).toBe(200);
    const opus = await a.chat({ ...user('hi'), model: 'opus' }, k.key);
    expect(opus.status).toBe(403);
    expect(((await opus.json()) as { error: { message: string } }).error.message).toMatch(/may not use opus; its models: kimi/);
    const del = await a.admin('POST', '/key/delete', { keys: [k.key] });
    expect(await del.json()).toEqual({ deleted_keys: [k.key] });
    const revoked = await a.chat({ ...user('hi'), model: 'kimi' }, k.key);
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);
    // Unknown keys with smart-routerd's prefix are refused too, even on loopback.
    expect((await a.chat({ ...user('hi'), model: 'kimi' }, 'sk-srd-not-a-real-key')).status).toBe(401);
  });

  it('shows the budget left per key in /metrics, labelled by alias, never by the key', async () => {
    await generate({ key_alias: 'metered', max_budget: 5 });
    const text = await (await fetch(`http://127.0.0.1:${d.port}/metrics`)).text();
    expect(text).toMatch(/^smart_routerd_key_budget_remaining_usd\{key="metered"\} 5$/m);
    expect(text).not.toContain('sk-srd-');
  });

  it('serves the ClawRouter catalog, its native routes, and the key’s budget and totals at /v1/usage', async () => {
    const a = api(d);
    const catalog = (await (await a.admin('GET', '/v1/catalog', undefined, 'anything')).json()) as {
      providers: Array<{
        id: string;
        openaiCompatible: boolean;
        nativeBaseUrl: string;
        models: Array<{ id: string; upstream: string; capabilities: string[]; pricing?: Record<string, number> }>;
      }>;
    } & Record<string, unknown>;
    for (const paging of ['next', 'has_more', 'next_cursor', 'last_id', 'links']) expect(catalog).not.toHaveProperty(paging);
    const routed = catalog.providers.find((p) => p.id === 'smart-routerd')!;
    expect(routed).toMatchObject({ openaiCompatible: true, nativeBaseUrl: '/v1/native/smart-routerd' });
    expect(routed.models[0]).toMatchObject({ id: 'smart-routerd/auto', capabilities: expect.arrayContaining(['llm.chat']) });
    expect(routed.models[0]!.capabilities).not.toContain('llm.responses');
    const anthropic = catalog.providers.find((p) => p.id === 'anthropic')!;
    expect(anthropic).toMatchObject({ openaiCompatible: false, nativeBaseUrl: '/v1/native/anthropic' });
    expect(anthropic.models).toEqual([
      {
        id: OPUS,
        upstream: 'claude-opus-4-5',
        capabilities: ['llm.messages', 'llm.stream'],
        pricing: {
          inputMicrosPerMillion: 5_000_000,
          outputMicrosPerMillion: 25_000_000,
          cachedInputMicrosPerMillion: 500_000,
          cacheWrite5mInputMicrosPerMillion: 6_250_000,
        },
      },
    ]);
    // The native Anthropic route, as OpenClaw calls it: x-api-key, the upstream id as model.
    const k = await generate({ key_alias: 'claw', max_budget: 50, budget_duration: '1mo' });
    const native = await fetch(`http://127.0.0.1:${d.port}/v1/native/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': k.key, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-opus-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(native.status).toBe(200);
    expect(native.headers.get('x-smart-router-model')).toBe(OPUS);
    expect(((await native.json()) as { type: string }).type).toBe('message');
    const usage = (await (await a.admin('GET', '/v1/usage', undefined, k.key)).json()) as {
      budget: { configured: boolean; limitMicros: number; spentMicros: number; windowKey: string };
      usage: { summary: { requestCount: number; totalTokens: number; actualCostMicros: number } };
    };
    expect(usage.budget).toMatchObject({ configured: true, limitMicros: 50_000_000, spentMicros: 21_000 });
    expect(usage.budget.windowKey).toMatch(/^claw\/\d{4}-\d{2}$/);
    expect(usage.usage.summary).toMatchObject({ requestCount: 1, totalTokens: 3900, actualCostMicros: 21_000 });
  });

  it('`smart-routerd keys create|list|info|revoke` manage keys through the admin API', async () => {
    const env = { ...process.env, SMART_ROUTERD_STATE_DIR: d.stateDir, SMART_ROUTERD_TOKEN: d.token, SMART_ROUTERD_URL: d.url };
    const created = await run(
      process.execPath,
      [CLI, 'keys', 'create', '--alias', 'cli-key', '--max-budget', '2', '--budget-duration', '30d', '--models', 'kimi,opus'],
      { env },
    );
    const key = created.stdout.trim();
    expect(key).toMatch(/^sk-srd-/);
    expect(created.stderr).toMatch(/shown only now/);
    expect((await api(d).chat({ ...user('hi'), model: 'kimi' }, key)).status).toBe(200);
    const list = await run(process.execPath, [CLI, 'keys', 'list'], { env });
    expect(list.stdout).toMatch(/^cli-key {2}sk-srd-….{4} {2}\$0\.0025 of \$2 per 30d \(resets \d{4}-.*\) · models kimi, opus$/m);
    expect(list.stdout).not.toContain(key);
    const info = await run(process.execPath, [CLI, 'keys', 'info', 'cli-key', '--json'], { env });
    expect(JSON.parse(info.stdout)).toMatchObject({ info: { key_alias: 'cli-key', max_budget: 2, models: ['kimi', 'opus'] } });
    await run(process.execPath, [CLI, 'keys', 'revoke', 'cli-key'], { env });
    expect((await api(d).chat({ ...user('hi'), model: 'kimi' }, key)).status).toBe(401);
    const wrong = await run(process.execPath, [CLI, 'keys', 'list', '--master-key', 'nope'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringMatching(/invalid key for the admin API/) });
  });

  it('lists keys by hash, and the raw keys appear nowhere in the state dir', async () => {
    const k = await generate({ key_alias: 'secret-check' });
    expect((await api(d).chat(user(PLANO[0].text), k.key)).status).toBe(200);
    const list = (await (await api(d).admin('GET', '/key/list?return_full_object=true')).json()) as {
      keys: Array<{ token: string; key_alias: string | null }>;
    };
    expect(list.keys.some((x) => x.token === k.token && x.key_alias === 'secret-check')).toBe(true);
    expect(JSON.stringify(list)).not.toContain(k.key);
    const files = walk(d.stateDir);
    expect(files.some((f) => f.endsWith('usage.db'))).toBe(true);
    for (const f of files) expect(readFileSync(f).includes(k.key), f).toBe(false);
  });
});

describe('durability', () => {
  it('loses no acknowledged ledger row when SIGKILLed with 64 requests in flight, and the database opens cleanly', async () => {
    const d = await startDaemon({ config: config(), keepState: true });
    const a = api(d);
    const acknowledged: string[] = [];
    let killed = false;
    kimi.delayMs = 10_000; // 64 requests held upstream: in flight when the kill comes
    const before = kimi.received.length;
    try {
      const slow = Array.from({ length: 64 }, () =>
        a
          .chat({ ...user('hi'), model: 'kimi' }, 'slow-client')
          .then((res) => res.text())
          .catch(() => undefined),
      );
      // Four clients acknowledged one answer after another, up to the kill.
      const fast = Array.from({ length: 4 }, async () => {
        while (!killed) {
          try {
            const res = await a.chat({ ...user('hi'), model: 'opus' }, 'fast-client');
            await res.text();
            if (res.status === 200) acknowledged.push(res.headers.get('x-request-id')!);
          } catch {
            return;
          }
        }
      });
      while (kimi.received.length - before < 64) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 200));
      killed = true;
      d.proc.kill('SIGKILL');
      await d.exited;
      await Promise.all([...slow, ...fast]);
    } finally {
      kimi.delayMs = 0;
    }
    expect(acknowledged.length).toBeGreaterThan(0);
    const store = new SqliteLedgerStore(path.join(d.stateDir, 'usage.db'));
    expect(store.movedAside).toBeNull();
    const rows = await store.rows({ limit: 100_000 });
    const recorded = new Set(rows.map((r) => r.id));
    expect(acknowledged.filter((id) => !recorded.has(id))).toEqual([]);
    // None of the 64 held requests was answered, so none has a row.
    expect(rows.filter((r) => r.model === KIMI)).toEqual([]);
    store.close();
    // And the daemon starts again on it.
    const again = await startDaemon({ config: config(), stateDir: d.stateDir });
    expect((await api(again).chat({ ...user('hi'), model: 'opus' })).status).toBe(200);
    await again.stop();
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
