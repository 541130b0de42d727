import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type FakeLlm, replyText, startFakeAnthropic, startFakeOpenAI } from '../helpers/fake-llm.js';

// Issue 12: the model gateway against a real daemon and two fake upstreams on loopback, one
// speaking OpenAI Chat Completions (standing in for Kimi via OpenRouter), one Anthropic Messages
// (for Claude). Each fake records what it received.

/** Plano's OpenClaw demo: the five messages and where its table sends them. */
const PLANO = [
  { text: "Hey, what's up? Tell me something interesting.", to: 'kimi' },
  { text: 'Remind me tomorrow at 9am and ping Slack about the deploy', to: 'kimi' },
  { text: 'Write a Python rate limiter with the token bucket algorithm', to: 'claude' },
  { text: 'Write unit tests for the auth middleware, cover edge cases', to: 'claude' },
  { text: 'Compare WebSockets vs SSE vs polling for 10K concurrent users', to: 'claude' },
] as const;

const KIMI = 'openrouter/moonshotai/kimi-k2.5';
const OPUS = 'anthropic/claude-opus-4-5';

let kimi: FakeLlm;
let claude: FakeLlm;
let daemon: RunningDaemon;
let base: string;

function gatewayConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    models: {
      providers: {
        openrouter: { api: 'openai-completions', baseUrl: kimi.baseUrl, apiKey: 'env:FAKE_OPENROUTER_KEY', models: [{ id: 'moonshotai/kimi-k2.5' }] },
        anthropic: {
          api: 'anthropic-messages',
          baseUrl: claude.baseUrl,
          apiKey: 'sk-ant-fake-key',
          models: [{ id: 'claude-opus-4-5' }, { id: 'claude-haiku-4-5' }],
        },
      },
      [KIMI]: { alias: 'kimi' },
      [OPUS]: { alias: 'opus' },
    },
    routing: { routes: { CHAT: ['kimi'], WRITE: ['kimi'], FACT: ['kimi'], TRANS: ['kimi'], CODE: ['opus'], REASON: ['opus'] } },
    ...extra,
  };
}

beforeAll(async () => {
  kimi = await startFakeOpenAI('kimi');
  claude = await startFakeAnthropic('claude');
  daemon = await startDaemon({ config: gatewayConfig({ proxy: { maxBodyBytes: 4096 } }), env: { FAKE_OPENROUTER_KEY: 'sk-or-fake-key' } });
  base = `http://127.0.0.1:${daemon.port}`;
});
afterAll(async () => {
  await daemon?.stop();
  await kimi?.close();
  await claude?.close();
});

const chat = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer anything', ...headers },
    body: JSON.stringify(body),
  });
const messages = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'anything', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify({ max_tokens: 256, ...(body as object) }),
  });

type Completion = OpenAI.Chat.ChatCompletion;
type Chunk = OpenAI.Chat.ChatCompletionChunk;
type Message = Anthropic.Message;
type OpenAIError = { error: { message: string; type: string; code: string | null } };
type ModelList = { object?: string; has_more?: boolean; data: Array<{ id: string; object?: string; type?: string }> };
/** An Anthropic stream event as the wire carries it (the fields these tests read). */
type StreamEvent = { type: string; delta: { text?: string; stop_reason?: string } };

/** Parses an SSE body into its events' JSON, with event names (`[DONE]` kept as a string). */
function sseEvents<T>(text: string): Array<{ event: string | undefined; data: T | '[DONE]' }> {
  return text
    .split('\n\n')
    .filter((b) => b.trim().length > 0)
    .map((b) => {
      const event = /^event: (.*)$/m.exec(b)?.[1];
      const data = b
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: data === '[DONE]' ? '[DONE]' : JSON.parse(data) };
    });
}

describe("Plano's five demo messages (CHAT/WRITE/FACT/TRANS → kimi, CODE/REASON → claude)", () => {
  it.each(PLANO)('/v1/chat/completions: "$text" → $to', async ({ text, to }) => {
    const before = { kimi: kimi.received.length, claude: claude.received.length };
    const res = await chat({ model: 'smart-routerd/auto', messages: [{ role: 'user', content: text }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Completion;
    const fake = to === 'kimi' ? kimi : claude;
    expect(res.headers.get('x-smart-router-model')).toBe(to === 'kimi' ? KIMI : OPUS);
    expect(res.headers.get('x-smart-router-tier')).toBe(to === 'kimi' ? 'lightweight' : 'flagship');
    expect(res.headers.get('x-smart-router-source')).toBe('model');
    expect(res.headers.get('x-smart-router-decision-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.received.length).toBe(before[to] + 1);
    expect(fake.received.at(-1)!.json.model).toBe(to === 'kimi' ? 'moonshotai/kimi-k2.5' : 'claude-opus-4-5');
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0].message.content).toBe(replyText(to, text));
  });

  it.each(PLANO)('/v1/messages: "$text" → $to', async ({ text, to }) => {
    const res = await messages({ model: 'smart-routerd/auto', messages: [{ role: 'user', content: text }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Message;
    expect(res.headers.get('x-smart-router-model')).toBe(to === 'kimi' ? KIMI : OPUS);
    expect(body.type).toBe('message');
    expect(body.content[0]).toMatchObject({ type: 'text', text: replyText(to, text) });
  });
});

describe('streaming', () => {
  it('streams an OpenAI client through an Anthropic upstream as chat.completion.chunk events ending in [DONE]', async () => {
    const text = PLANO[2].text;
    const res = await chat({ model: 'smart-routerd/auto', stream: true, messages: [{ role: 'user', content: text }] });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseEvents<Chunk>(await res.text());
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.flatMap((e) => (e.data === '[DONE]' ? [] : [e.data]));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(replyText('claude', text));
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
    expect(claude.received.at(-1)!.json.stream).toBe(true);
  });

  it('streams an Anthropic client through an OpenAI upstream as Messages events', async () => {
    const text = PLANO[0].text;
    const res = await messages({ model: 'smart-routerd/auto', stream: true, messages: [{ role: 'user', content: text }] });
    const events = sseEvents<StreamEvent>(await res.text()).flatMap((e) => (e.data === '[DONE]' ? [] : [{ event: e.event, data: e.data }]));
    expect(events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']),
    );
    expect(events.at(-1)!.event).toBe('message_stop');
    const textOut = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => e.data.delta.text)
      .join('');
    expect(textOut).toBe(replyText('kimi', text));
    expect(events.find((e) => e.event === 'message_delta')!.data.delta.stop_reason).toBe('end_turn');
  });

  it('passes a same-protocol stream through unchanged', async () => {
    const res = await chat({ model: 'kimi', stream: true, messages: [{ role: 'user', content: 'stream me' }] });
    const events = sseEvents<Chunk>(await res.text());
    expect(events.at(-1)!.data).toBe('[DONE]');
    expect(events.slice(0, -1).every((e) => e.data !== '[DONE]' && e.data.id === 'chatcmpl-fake1')).toBe(true);
  });
});

describe('tools across protocols', () => {
  const tools = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather of a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    },
  ];

  it('an OpenAI client’s tool call and tool result round-trip through an Anthropic upstream', async () => {
    const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = (await (await chat({ model: 'opus', tools, tool_choice: 'auto', messages: ask })).json()) as Completion;
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(call).toMatchObject({ id: 'toolu_01abc', type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    const sent = claude.received.at(-1)!.json;
    expect(sent.tools).toEqual([{ name: 'get_weather', description: 'Weather of a city', input_schema: tools[0]!.function.parameters }]);

    const second = (await (
      await chat({
        model: 'opus',
        tools,
        messages: [...ask, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: '18°C and sunny' }],
      })
    ).json()) as Completion;
    const upstream = claude.received.at(-1)!.json;
    expect(upstream.messages.at(-2)!.content).toEqual([{ type: 'tool_use', id: 'toolu_01abc', name: 'get_weather', input: { city: 'Paris' } }]);
    expect(upstream.messages.at(-1)).toMatchObject({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01abc', content: '18°C and sunny' }] });
    expect(second.choices[0].message.content).toBe('[claude] reply to: tool said: 18°C and sunny');
  });

  it('an Anthropic client’s tool use round-trips through an OpenAI upstream', async () => {
    const anthropicTools = [{ name: 'get_weather', description: 'Weather of a city', input_schema: tools[0]!.function.parameters }];
    const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = (await (await messages({ model: 'kimi', tools: anthropicTools, messages: ask })).json()) as Message;
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(use).toMatchObject({ id: 'call_abc123', name: 'get_weather', input: { city: 'Paris' } });
    const second = (await (
      await messages({
        model: 'kimi',
        tools: anthropicTools,
        messages: [...ask, { role: 'assistant', content: [use] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '18°C' }] }],
      })
    ).json()) as Message;
    const upstream = kimi.received.at(-1)!.json;
    expect(upstream.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_abc123' });
    expect(second.content[0]).toMatchObject({ type: 'text', text: '[kimi] reply to: tool said: 18°C' });
  });
});

describe('passthrough, prefixes, aliases, sticky sessions', () => {
  it('passes a same-protocol body through byte for byte except `model`', async () => {
    const raw = `{"model": "kimi", "x_unknown": {"a": 1.50, "b": "\\u00e9", "nested": [1, 2.0e3]},\n  "messages": [{"role": "user", "content": "keep me"}], "cache_control": {"type": "ephemeral"}}`;
    const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    expect(res.status).toBe(200);
    expect(kimi.received.at(-1)!.raw).toBe(raw.replace('"model": "kimi"', '"model": "moonshotai/kimi-k2.5"'));
    expect(kimi.received.at(-1)!.headers.authorization).toBe('Bearer sk-or-fake-key');
  });

  it('strips a prefix command before forwarding, and routes by it', async () => {
    const res = await chat({ model: 'smart-routerd/auto', messages: [{ role: 'user', content: 'F: hello there' }] });
    expect(res.headers.get('x-smart-router-source')).toBe('prefix');
    expect(res.headers.get('x-smart-router-tier')).toBe('flagship');
    const sent = claude.received.at(-1)!.json;
    expect(sent.messages.at(-1)!.content).toBe('hello there');
  });

  it('forwards an alias or a concrete model without routing', async () => {
    const res = await chat({ model: 'opus', messages: [{ role: 'user', content: "Hey, what's up?" }] });
    expect(res.headers.get('x-smart-router-model')).toBe(OPUS);
    expect(res.headers.get('x-smart-router-source')).toBe('explicit');
    expect(res.headers.get('x-smart-router-decision-id')).toBeNull();
    const direct = await chat({ model: 'anthropic/claude-haiku-4-5', messages: [{ role: 'user', content: 'Write a Python rate limiter' }] });
    expect(direct.headers.get('x-smart-router-model')).toBe('anthropic/claude-haiku-4-5');
    expect(claude.received.at(-1)!.json.model).toBe('claude-haiku-4-5');
  });

  it('keeps a conversation on its model: a flagship turn upgrades it, a later chat turn does not move it back', async () => {
    const system = { role: 'system', content: `You are a helpful assistant (${Math.random()})` };
    const t1 = [system, { role: 'user', content: PLANO[0].text }];
    const r1 = await chat({ model: 'smart-routerd/auto', messages: t1 });
    expect(r1.headers.get('x-smart-router-model')).toBe(KIMI);
    const t2 = [...t1, { role: 'assistant', content: 'hi' }, { role: 'user', content: PLANO[2].text }];
    const r2 = await chat({ model: 'smart-routerd/auto', messages: t2 });
    expect(r2.headers.get('x-smart-router-model')).toBe(OPUS);
    const t3 = [...t2, { role: 'assistant', content: 'code' }, { role: 'user', content: 'Thanks! How are you today?' }];
    const r3 = await chat({ model: 'smart-routerd/auto', messages: t3 });
    expect(r3.headers.get('x-smart-router-model')).toBe(OPUS);
    expect(r3.headers.get('x-smart-router-source')).toBe('sticky');
    // The decision record says stickiness decided (the log line may trail the response).
    const logged = () => daemon.lines.some((l) => l.includes('sticky session: kept on anthropic/claude-opus-4-5'));
    for (let i = 0; i < 100 && !logged(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(logged()).toBe(true);
  });

  it('uses a session header when the client sends one', async () => {
    const session = { 'x-session-id': `s-${Math.random()}` };
    const r1 = await chat({ model: 'auto', messages: [{ role: 'user', content: PLANO[4].text }] }, session);
    expect(r1.headers.get('x-smart-router-model')).toBe(OPUS);
    const r2 = await chat({ model: 'auto', messages: [{ role: 'user', content: 'Tell me a joke about cats' }] }, session);
    expect(r2.headers.get('x-smart-router-model')).toBe(OPUS);
    const fresh = await chat({ model: 'auto', messages: [{ role: 'user', content: 'Tell me a joke about cats' }] }, { 'x-session-id': `s-${Math.random()}` });
    expect(fresh.headers.get('x-smart-router-model')).toBe(KIMI);
  });

  it('lets route.feedback correct a proxied turn by its decision id', async () => {
    const res = await chat({ model: 'smart-routerd/auto', messages: [{ role: 'user', content: 'Summarise the plot of Hamlet for a ten year old' }] });
    const decisionId = res.headers.get('x-smart-router-decision-id')!;
    const client = await daemon.client();
    try {
      const out = (await client.request('route.feedback', { decisionId, tier: 'flagship' })) as { recorded: boolean };
      expect(out.recorded).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('client abort', () => {
  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    const before = claude.aborted;
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'opus', stream: true, messages: [{ role: 'user', content: 'HANG please' }] }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read(); // the first translated chunk arrived
    controller.abort();
    const deadline = Date.now() + 5000;
    while (claude.aborted === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(claude.aborted).toBe(before + 1);
  });
});

describe('bad input gets the client protocol’s own error', () => {
  it('invalid JSON → 400 (OpenAI shape on /v1/chat/completions)', async () => {
    const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "kimi",' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as OpenAIError;
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/^invalid JSON body/);
  });

  it('invalid JSON → 400 (Anthropic shape on /v1/messages)', async () => {
    const res = await fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: 'nope',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('unknown model → 404 naming the models that exist', async () => {
    const res = await chat({ model: 'nobody/nothing', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(404);
    const body = (await res.json()) as OpenAIError;
    expect(body.error.code).toBe('model_not_found');
    expect(body.error.message).toContain('unknown model: nobody/nothing');
    for (const m of ['kimi', 'opus', KIMI, OPUS, 'smart-routerd/auto']) expect(body.error.message).toContain(m);
  });

  it('body over proxy.maxBodyBytes → 413', async () => {
    const res = await chat({ model: 'kimi', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
    expect(res.status).toBe(413);
    expect(((await res.json()) as OpenAIError).error.message).toMatch(/proxy\.maxBodyBytes/);
  });

  it('an upstream 4xx comes back in the client’s protocol, translated when the protocols differ', async () => {
    const o = await chat({ model: 'opus', messages: [{ role: 'user', content: 'FAIL400' }] });
    expect(o.status).toBe(400);
    expect(((await o.json()) as OpenAIError).error).toMatchObject({ type: 'invalid_request_error', message: '[claude] bad request: FAIL400' });
    const a = await messages({ model: 'kimi', messages: [{ role: 'user', content: 'FAIL400' }] });
    expect(a.status).toBe(400);
    expect(await a.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: '[kimi] bad request: FAIL400' } });
  });

  it('a browser page from a foreign origin gets 403 and reaches no upstream', async () => {
    const before = kimi.received.length;
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: JSON.stringify({ model: 'kimi', messages: [] }),
    });
    expect(res.status).toBe(403);
    expect(kimi.received.length).toBe(before);
  });
});

describe('GET /v1/models', () => {
  it('lists models in OpenAI’s shape by default', async () => {
    const body = (await (await fetch(`${base}/v1/models`)).json()) as ModelList;
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(expect.arrayContaining(['smart-routerd/auto', 'kimi', 'opus', KIMI, OPUS]));
    expect(body.data[0]).toMatchObject({ object: 'model' });
  });

  it('lists models in Anthropic’s shape when anthropic-version is sent', async () => {
    const body = (await (await fetch(`${base}/v1/models`, { headers: { 'anthropic-version': '2023-06-01' } })).json()) as ModelList;
    expect(body.has_more).toBe(false);
    expect(body.data[0]).toMatchObject({ type: 'model' });
    expect(body.data.map((m) => m.id)).toContain(OPUS);
  });
});

describe('inbound keys', () => {
  it('with proxy.requireKey, refuses a request without a valid key (401) and accepts the gateway token', async () => {
    const own = await startDaemon({ config: gatewayConfig({ proxy: { requireKey: true, keys: ['sk-team-key-0001'] } }), env: { FAKE_OPENROUTER_KEY: 'k' } });
    try {
      const url = `http://127.0.0.1:${own.port}/v1/chat/completions`;
      const body = JSON.stringify({ model: 'kimi', messages: [{ role: 'user', content: 'hi' }] });
      expect((await fetch(url, { method: 'POST', body })).status).toBe(401);
      expect((await fetch(url, { method: 'POST', body, headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(url, { method: 'POST', body, headers: { authorization: `Bearer ${own.token}` } })).status).toBe(200);
      expect((await fetch(url, { method: 'POST', body, headers: { 'x-api-key': 'sk-team-key-0001' } })).status).toBe(200);
      const client = await own.client();
      const view = JSON.stringify(await client.request('config.get', {}));
      await client.close();
      expect(view).not.toContain('sk-team-key-0001');
      expect(view).toContain('"keys":"[redacted]"');
    } finally {
      await own.stop();
    }
  });

  it('refuses a client’s request past proxy.maxConcurrentPerKey with 429 and retry-after, and serves it again once one finishes', async () => {
    const own = await startDaemon({ config: gatewayConfig({ proxy: { maxConcurrentPerKey: 2 } }), env: { FAKE_OPENROUTER_KEY: 'k' } });
    try {
      const url = `http://127.0.0.1:${own.port}/v1/chat/completions`;
      const hang = () => new AbortController();
      const holds = [hang(), hang()];
      const streams = await Promise.all(
        holds.map((c) =>
          fetch(url, {
            method: 'POST',
            headers: { 'x-api-key': 'client-a' },
            body: JSON.stringify({ model: 'opus', stream: true, messages: [{ role: 'user', content: 'HANG' }] }),
            signal: c.signal,
          }),
        ),
      );
      const body = JSON.stringify({ model: 'kimi', messages: [{ role: 'user', content: 'hi' }] });
      const third = await fetch(url, { method: 'POST', headers: { 'x-api-key': 'client-a' }, body });
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toBe('1');
      expect(((await third.json()) as OpenAIError).error.type).toBe('rate_limit_error');
      // Another key is not affected.
      expect((await fetch(url, { method: 'POST', headers: { 'x-api-key': 'client-b' }, body })).status).toBe(200);
      for (const c of holds) c.abort();
      await Promise.all(streams.map((s) => s.body?.cancel().catch(() => undefined)));
      let again = 0;
      for (let i = 0; i < 50 && again !== 200; i++) {
        again = (await fetch(url, { method: 'POST', headers: { 'x-api-key': 'client-a' }, body })).status;
        if (again !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(again).toBe(200);
    } finally {
      await own.stop();
    }
  });

  it('never returns a provider key in config.get', async () => {
    const client = await daemon.client();
    try {
      const view = JSON.stringify(await client.request('config.get', {}));
      expect(view).not.toContain('sk-ant-fake-key');
      expect(view).not.toContain('sk-or-fake-key');
    } finally {
      await client.close();
    }
    expect(daemon.lines.join('\n')).not.toContain('sk-ant-fake-key');
  });
});
