import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type FakeLlm, replyText, startFakeAnthropic, startFakeOpenAI } from '../helpers/fake-llm.js';

// Issue 13: fault-injecting fake upstreams on loopback. The chain under test: Claude Opus (two auth
// profiles) → Kimi via OpenRouter → GPT via OpenAI. Each test starts its own daemon (own state dir,
// so cooldowns start empty) and reads who answered from the response headers and the fakes' logs.

const OPUS = 'anthropic/claude-opus-4-5';
const KIMI = 'openrouter/moonshotai/kimi-k2.5';
const GPT = 'openai/gpt-5.2';

let claude: FakeLlm;
let kimi: FakeLlm;
let gpt: FakeLlm;
let daemon: RunningDaemon | null = null;

beforeAll(async () => {
  claude = await startFakeAnthropic('claude');
  kimi = await startFakeOpenAI('kimi');
  gpt = await startFakeOpenAI('gpt');
});
afterAll(async () => {
  await Promise.all([claude?.close(), kimi?.close(), gpt?.close()]);
});
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  for (const f of [claude, kimi, gpt]) {
    f.faults.length = 0;
    f.always = null;
    f.rejectKeys.clear();
  }
});

function config() {
  return {
    models: {
      providers: {
        anthropic: { api: 'anthropic-messages', baseUrl: claude.baseUrl, apiKey: 'sk-a1', models: [{ id: 'claude-opus-4-5', contextWindow: 200_000 }] },
        openrouter: { api: 'openai-completions', baseUrl: kimi.baseUrl, apiKey: 'sk-or', models: [{ id: 'moonshotai/kimi-k2.5', contextWindow: 128_000 }] },
        openai: { api: 'openai-completions', baseUrl: gpt.baseUrl, apiKey: 'sk-oa', models: [{ id: 'gpt-5.2', contextWindow: 400_000 }] },
      },
      [OPUS]: { alias: 'opus', fallbacks: [KIMI, GPT] },
    },
    auth: { profiles: { 'anthropic:backup': { apiKey: 'sk-a2' } } },
    proxy: { timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 } },
  };
}

async function start(options: { stateDir?: string; keepState?: boolean } = {}): Promise<RunningDaemon> {
  daemon = await startDaemon({ config: config(), ...options });
  return daemon;
}

const ask = (d: RunningDaemon, text: string, extra: Record<string, unknown> = {}) =>
  fetch(`http://127.0.0.1:${d.port}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'opus', messages: [{ role: 'user', content: text }], ...extra }),
  });

/** Runs the real CLI; resolves with its stdout. */
const run = async (args: string[]) =>
  (await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, SMART_ROUTERD_LOG_FORMAT: 'json' } })).stdout;

const keyOf = (f: FakeLlm) => {
  const h = f.received.at(-1)!.headers;
  return String(h['x-api-key'] ?? h.authorization ?? '');
};

/** The daemon's `status` providers section. */
async function cooldowns(d: RunningDaemon): Promise<Array<{ key: string; state: string; until: string | null; class: string }>> {
  const client = await d.client();
  try {
    const status = (await client.request('status', {})) as {
      router: { providers: Array<{ key: string; state: string; until: string | null; class: string }> };
    };
    return status.router.providers;
  } finally {
    await client.close();
  }
}

describe('each failure class, as the table in docs/failover.md says', () => {
  it('429 with retry-after: the (profile, model) cools for retry-after and the next profile answers', async () => {
    const d = await start();
    claude.faults.push({ status: 429, headers: { 'retry-after': '7' }, body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } } });
    const t0 = Date.now();
    const res = await ask(d, 'hello');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-smart-router-model')).toBe(OPUS);
    expect(res.headers.get('x-smart-router-attempts')).toBe('2');
    expect(keyOf(claude)).toBe('sk-a2');
    const cooling = (await cooldowns(d)).find((c) => c.key === `anthropic:default|${OPUS}`)!;
    expect(cooling).toMatchObject({ state: 'cooling', class: 'rate_limit' });
    expect(Date.parse(cooling.until!) - t0).toBeGreaterThanOrEqual(6_500);
    expect(Date.parse(cooling.until!) - t0).toBeLessThanOrEqual(9_000);
    // While it cools, the next request goes straight to the other profile.
    expect((await ask(d, 'again')).headers.get('x-smart-router-attempts')).toBe('1');
    expect(keyOf(claude)).toBe('sk-a2');
  });

  it('402: a billing cooldown of billingBackoffHours on the profile; the next profile answers', async () => {
    const d = await start();
    claude.faults.push({ status: 402, body: { type: 'error', error: { type: 'billing_error', message: 'credit balance too low' } } });
    const t0 = Date.now();
    const res = await ask(d, 'hello');
    expect(res.status).toBe(200);
    expect(keyOf(claude)).toBe('sk-a2');
    const c = (await cooldowns(d)).find((x) => x.key === 'anthropic:default')!;
    expect(c.class).toBe('billing');
    // `smart-routerd models status` names the profile, until when, and why.
    const out = await run(['models', 'status', '--url', d.url, '--token', d.token]);
    expect(out).toContain(`anthropic:default (every model): COOLING until ${c.until} (billing: HTTP 402)`);
    expect(out).toMatch(/^models \(\d+\): .*anthropic\/claude-opus-4-5/m);
    expect(Date.parse(c.until!) - t0).toBeGreaterThanOrEqual(5 * 3600_000 - 2000);
    expect(Date.parse(c.until!) - t0).toBeLessThanOrEqual(5 * 3600_000 + 5000);
  });

  it.each([
    ['500', { status: 500 }],
    ['529 overloaded', { status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }],
    ['a connection reset before the first byte', { kind: 'reset' as const }],
    ['a hang past the first-byte timeout', { kind: 'hang' as const }],
  ])('%s on both Claude profiles: Kimi answers, within the timeouts', async (_name, fault) => {
    const d = await start();
    claude.always = fault;
    const t0 = Date.now();
    const res = await ask(d, 'hello there');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-smart-router-model')).toBe(KIMI);
    expect(res.headers.get('x-smart-router-attempts')).toBe('3');
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(replyText('kimi', 'hello there'));
    expect(Date.now() - t0).toBeLessThan(2 * 1000 + 3000); // two first-byte timeouts at most, plus slack
    expect((await cooldowns(d)).filter((c) => c.class === 'transient').map((c) => c.key)).toEqual([`anthropic:default|${OPUS}`, `anthropic:backup|${OPUS}`]);
  });

  it('401 on one profile only: that profile is marked bad and the other answers, now and next time', async () => {
    const d = await start();
    claude.rejectKeys.add('sk-a1');
    const first = await ask(d, 'hello');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-smart-router-attempts')).toBe('2');
    expect(keyOf(claude)).toBe('sk-a2');
    expect((await cooldowns(d)).find((c) => c.key === 'anthropic:default')).toMatchObject({ state: 'cooling', class: 'auth' });
    const second = await ask(d, 'again');
    expect(second.headers.get('x-smart-router-attempts')).toBe('1');
  });

  it('a context-length error moves to the fallback with a larger context window (GPT, not the smaller Kimi)', async () => {
    const d = await start();
    claude.always = {
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 250000 tokens > 200000 maximum' } },
    };
    const before = kimi.received.length;
    const res = await ask(d, 'a very long prompt');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-smart-router-model')).toBe(GPT);
    expect(kimi.received.length).toBe(before);
  });

  it('a plain 400 is not retried on another model: the client gets it in its own protocol', async () => {
    const d = await start();
    claude.always = { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'messages.0: bad' } } };
    const res = await ask(d, 'hello');
    expect(res.status).toBe(400);
    expect(res.headers.get('x-smart-router-attempts')).toBe('1');
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'messages.0: bad' } });
  });

  it('a reset mid-stream ends the stream with an OpenAI error chunk and [DONE], never a hang', async () => {
    const d = await start();
    claude.faults.push({ kind: 'reset-mid' });
    const res = await ask(d, 'stream please', { stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('partial');
    const events = text.split('\n\n').filter((b) => b.startsWith('data: '));
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(JSON.parse(events.at(-2)!.slice(6)).error).toMatchObject({ type: 'server_error', code: 'upstream_error' });
  });

  it('a reset mid-stream ends an Anthropic client’s stream with `event: error`', async () => {
    const d = await start();
    kimi.faults.push({ kind: 'reset-mid' });
    const res = await fetch(`http://127.0.0.1:${d.port}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: KIMI, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'stream please' }] }),
    });
    const text = await res.text();
    const last = text.trim().split('\n\n').at(-1)!;
    expect(last.split('\n')[0]).toBe('event: error');
    expect(JSON.parse(last.split('\n')[1]!.slice(6))).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('every candidate failing: the last failure comes back, and the attempts are logged with their classes', async () => {
    const d = await start();
    for (const f of [claude, kimi, gpt]) f.always = { status: 503, body: { error: { message: `${f.name} down`, type: 'server_error' } } };
    const res = await ask(d, 'hello');
    expect(res.status).toBe(503);
    expect(res.headers.get('x-smart-router-attempts')).toBe('4');
    await new Promise((r) => setTimeout(r, 200));
    const line = d.lines.find((l) => l.includes('no candidate answered'))!;
    expect(JSON.parse(line).attempts.map((a: { class: string }) => a.class)).toEqual(['transient', 'transient', 'transient', 'transient']);
    // Now everything is cooling: an immediate answer with retry-after, and no upstream is called.
    const counts = [claude, kimi, gpt].map((f) => f.received.length);
    const again = await ask(d, 'hello');
    expect(again.status).toBe(503);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    expect([claude, kimi, gpt].map((f) => f.received.length)).toEqual(counts);
  });
});

describe('cooldowns survive a restart', () => {
  it('a billing cooldown still holds after the daemon restarts, and ends at the same wall-clock time', async () => {
    const first = await start({ keepState: true });
    claude.faults.push({ status: 402 });
    await ask(first, 'hello');
    const before = (await cooldowns(first)).find((c) => c.key === 'anthropic:default')!;
    expect(before.class).toBe('billing');
    await first.stop();
    const second = await start({ stateDir: first.stateDir });
    const after = (await cooldowns(second)).find((c) => c.key === 'anthropic:default')!;
    expect(after).toEqual(before);
    const res = await ask(second, 'hello again');
    expect(res.headers.get('x-smart-router-attempts')).toBe('1');
    expect(keyOf(claude)).toBe('sk-a2');
    // `smart-routerd status` shows the profile cooling, until when and why.
    const out = await run(['status', '--url', second.url, '--token', second.token]);
    expect(out).toContain(`anthropic:default: COOLING until ${before.until} (billing: HTTP 402)`);
  });
});
