import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AnthropicMessage,
  type AnthropicRequest,
  anthropicErrorBody,
  anthropicToOpenaiRequest,
  anthropicToOpenaiResponse,
  anthropicUsageFromOpenai,
  finishReasonFromAnthropic,
  type OpenAICompletion,
  type OpenAIRequest,
  openaiErrorBody,
  openaiToAnthropicRequest,
  openaiToAnthropicResponse,
  openaiUsageFromAnthropic,
  stopReasonFromOpenai,
  TranslateError,
  toAnthropicError,
  toOpenaiError,
} from '../../src/proxy/translate/index.js';
import { fixtureNames, type Golden, readJson } from './translate-helpers.js';

const NOW = 1741570283;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW * 1000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('requests: golden fixtures', () => {
  it('has the fixtures this suite expects', () => {
    expect(fixtureNames('request-openai-to-anthropic-')).toEqual([
      'request-openai-to-anthropic-images.json',
      'request-openai-to-anthropic-plain.json',
      'request-openai-to-anthropic-tools.json',
    ]);
    expect(fixtureNames('request-anthropic-to-openai-')).toEqual([
      'request-anthropic-to-openai-images.json',
      'request-anthropic-to-openai-plain.json',
      'request-anthropic-to-openai-tools.json',
    ]);
  });

  for (const name of fixtureNames('request-openai-to-anthropic-')) {
    it(`OpenAI → Anthropic: ${name}`, () => {
      const g = readJson<Golden<OpenAIRequest, AnthropicRequest>>(name);
      expect(openaiToAnthropicRequest(g.input, g.model)).toStrictEqual(g.expected);
    });
  }

  for (const name of fixtureNames('request-anthropic-to-openai-')) {
    it(`Anthropic → OpenAI: ${name}`, () => {
      const g = readJson<Golden<AnthropicRequest, OpenAIRequest>>(name);
      expect(anthropicToOpenaiRequest(g.input, g.model)).toStrictEqual(g.expected);
    });
  }

  it('does not mutate the client body', () => {
    const g = readJson<Golden<OpenAIRequest, AnthropicRequest>>('request-openai-to-anthropic-tools.json');
    const before = structuredClone(g.input);
    openaiToAnthropicRequest(g.input, g.model);
    expect(g.input).toStrictEqual(before);
    const a = readJson<Golden<AnthropicRequest, OpenAIRequest>>('request-anthropic-to-openai-tools.json');
    const beforeA = structuredClone(a.input);
    anthropicToOpenaiRequest(a.input, a.model);
    expect(a.input).toStrictEqual(beforeA);
  });
});

describe('responses: golden fixtures', () => {
  it('has the fixtures this suite expects', () => {
    expect(fixtureNames('response-')).toEqual([
      'response-anthropic-to-openai-text.json',
      'response-anthropic-to-openai-tool-use.json',
      'response-openai-to-anthropic-text.json',
      'response-openai-to-anthropic-tool-calls.json',
    ]);
  });

  for (const name of fixtureNames('response-anthropic-to-openai-')) {
    it(`Anthropic → OpenAI: ${name}`, () => {
      const g = readJson<Golden<AnthropicMessage, OpenAICompletion>>(name);
      expect(g.now).toBe(NOW);
      expect(anthropicToOpenaiResponse(g.input, g.model)).toStrictEqual(g.expected);
    });
  }

  for (const name of fixtureNames('response-openai-to-anthropic-')) {
    it(`OpenAI → Anthropic: ${name}`, () => {
      const g = readJson<Golden<OpenAICompletion, AnthropicMessage>>(name);
      expect(openaiToAnthropicResponse(g.input, g.model)).toStrictEqual(g.expected);
    });
  }
});

describe('tool call round trips', () => {
  it('OpenAI client → Anthropic upstream → OpenAI client → Anthropic upstream: the tool_use id and input survive', () => {
    const upstream = readJson<Golden<AnthropicMessage, OpenAICompletion>>('response-anthropic-to-openai-tool-use.json').input;
    const completion = anthropicToOpenaiResponse(upstream, 'router-model');
    const assistant = completion.choices[0]!.message;
    const call = assistant.tool_calls![0]!;
    expect(call.id).toBe('toolu_01A09q90qw90lq917835lq9');

    // The client appends the assistant message as it got it, then the tool result, and asks again.
    const next: OpenAIRequest = {
      model: 'smart-routerd/auto',
      messages: [
        { role: 'user', content: "What's the weather like in San Francisco?" },
        { role: 'assistant', content: assistant.content, tool_calls: assistant.tool_calls! },
        { role: 'tool', tool_call_id: call.id, content: '15 degrees' },
      ],
    };
    const req = openaiToAnthropicRequest(next, 'claude-sonnet-4-5');
    expect(req.messages).toStrictEqual([
      { role: 'user', content: "What's the weather like in San Francisco?" },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: "I'll check the current weather in San Francisco for you." },
          { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'San Francisco, CA' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' }] },
    ]);
  });

  it('Anthropic client → OpenAI upstream → Anthropic client → OpenAI upstream: the call id and arguments survive', () => {
    const upstream = readJson<Golden<OpenAICompletion, AnthropicMessage>>('response-openai-to-anthropic-tool-calls.json').input;
    const message = openaiToAnthropicResponse(upstream, 'router-model');
    const use = message.content[0]!;
    if (use.type !== 'tool_use') throw new Error('expected a tool_use block');

    const next: AnthropicRequest = {
      model: 'smart-routerd/auto',
      max_tokens: 1024,
      messages: [
        { role: 'user', content: 'What is the weather like in Boston?' },
        { role: 'assistant', content: message.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '22°C' }] },
      ],
    };
    const req = anthropicToOpenaiRequest(next, 'gpt-4o-mini');
    expect(req.messages).toStrictEqual([
      { role: 'user', content: 'What is the weather like in Boston?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_current_weather', arguments: '{"location":"Boston, MA"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_abc123', content: '22°C' },
    ]);
  });

  it('rewrites an upstream call id Anthropic would refuse, the same way in the answer and in the history', () => {
    const completion: OpenAICompletion = {
      id: 'chatcmpl-kimi',
      object: 'chat.completion',
      created: 1,
      model: 'kimi',
      choices: [
        {
          index: 0,
          logprobs: null,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 'functions.get_weather:0', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
          },
        },
      ],
    };
    const message = openaiToAnthropicResponse(completion, 'm');
    expect(message.content[0]).toMatchObject({ type: 'tool_use', id: 'functions_get_weather_0' });
    const history = openaiToAnthropicRequest(
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'functions.get_weather:0', type: 'function', function: { name: 'get_weather', arguments: '' } }],
          },
          { role: 'tool', tool_call_id: 'functions.get_weather:0', content: 'sunny' },
        ],
      },
      'c',
    );
    expect(history.messages[1]).toStrictEqual({
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'functions_get_weather_0', name: 'get_weather', input: {} }],
    });
    expect(history.messages[2]).toStrictEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'functions_get_weather_0', content: 'sunny' }] });
  });
});

describe('stop reasons', () => {
  it('maps every Anthropic stop_reason to an OpenAI finish_reason', () => {
    expect(finishReasonFromAnthropic('end_turn')).toBe('stop');
    expect(finishReasonFromAnthropic('stop_sequence')).toBe('stop');
    expect(finishReasonFromAnthropic('max_tokens')).toBe('length');
    expect(finishReasonFromAnthropic('tool_use')).toBe('tool_calls');
    expect(finishReasonFromAnthropic('refusal')).toBe('content_filter');
    expect(finishReasonFromAnthropic('model_context_window_exceeded')).toBe('length');
    expect(finishReasonFromAnthropic('pause_turn')).toBe('stop');
    expect(finishReasonFromAnthropic(null)).toBe('stop');
  });

  it('maps every OpenAI finish_reason to an Anthropic stop_reason', () => {
    expect(stopReasonFromOpenai('stop')).toBe('end_turn');
    expect(stopReasonFromOpenai('length')).toBe('max_tokens');
    expect(stopReasonFromOpenai('tool_calls')).toBe('tool_use');
    expect(stopReasonFromOpenai('function_call')).toBe('tool_use');
    expect(stopReasonFromOpenai('content_filter')).toBe('refusal');
    expect(stopReasonFromOpenai(null)).toBe('end_turn');
  });

  it('carries them through whole responses', () => {
    const msg = readJson<Golden<AnthropicMessage, OpenAICompletion>>('response-anthropic-to-openai-text.json').input;
    expect(anthropicToOpenaiResponse({ ...msg, stop_reason: 'max_tokens' }, 'm').choices[0]!.finish_reason).toBe('length');
    expect(anthropicToOpenaiResponse({ ...msg, stop_reason: 'stop_sequence', stop_sequence: 'END' }, 'm').choices[0]!.finish_reason).toBe('stop');
    expect(anthropicToOpenaiResponse({ ...msg, stop_reason: 'refusal' }, 'm').choices[0]!.finish_reason).toBe('content_filter');
    const completion = readJson<Golden<OpenAICompletion, AnthropicMessage>>('response-openai-to-anthropic-text.json').input;
    const choice = completion.choices[0]!;
    expect(openaiToAnthropicResponse({ ...completion, choices: [{ ...choice, finish_reason: 'length' }] }, 'm').stop_reason).toBe('max_tokens');
    expect(openaiToAnthropicResponse({ ...completion, choices: [{ ...choice, finish_reason: 'content_filter' }] }, 'm')).toMatchObject({
      stop_reason: 'refusal',
      stop_details: { type: 'refusal', category: null, explanation: null },
    });
  });

  it('turns an OpenAI refusal into a text block and stop_reason refusal', () => {
    const completion: OpenAICompletion = {
      id: 'chatcmpl-r',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o',
      choices: [
        { index: 0, logprobs: null, finish_reason: 'stop', message: { role: 'assistant', content: null, refusal: "I'm sorry, I can't help with that." } },
      ],
    };
    const msg = openaiToAnthropicResponse(completion, 'm');
    expect(msg.content).toStrictEqual([{ type: 'text', text: "I'm sorry, I can't help with that.", citations: null }]);
    expect(msg.stop_reason).toBe('refusal');
  });
});

describe('usage', () => {
  it('Anthropic → OpenAI: prompt_tokens adds the cache reads and writes Anthropic keeps out of input_tokens', () => {
    expect(openaiUsageFromAnthropic({ input_tokens: 10, output_tokens: 7, cache_read_input_tokens: 300, cache_creation_input_tokens: 50 })).toStrictEqual({
      prompt_tokens: 360,
      completion_tokens: 7,
      total_tokens: 367,
      prompt_tokens_details: { cached_tokens: 300, cache_write_tokens: 50 },
    });
    expect(
      openaiUsageFromAnthropic({
        input_tokens: 10,
        output_tokens: 7,
        cache_read_input_tokens: null,
        cache_creation_input_tokens: null,
        output_tokens_details: { thinking_tokens: 5 },
      }),
    ).toStrictEqual({
      prompt_tokens: 10,
      completion_tokens: 7,
      total_tokens: 17,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 5 },
    });
  });

  it('OpenAI → Anthropic: input_tokens leaves out the cached tokens OpenAI counts in prompt_tokens', () => {
    expect(
      anthropicUsageFromOpenai({
        prompt_tokens: 2000,
        completion_tokens: 30,
        total_tokens: 2030,
        prompt_tokens_details: { cached_tokens: 1500, cache_write_tokens: 100 },
      }),
    ).toMatchObject({
      input_tokens: 400,
      output_tokens: 30,
      cache_read_input_tokens: 1500,
      cache_creation_input_tokens: 100,
      output_tokens_details: null,
    });
    // Inconsistent upstream numbers never make a negative count.
    expect(
      anthropicUsageFromOpenai({ prompt_tokens: 10, completion_tokens: 1, total_tokens: 11, prompt_tokens_details: { cached_tokens: 50 } }).input_tokens,
    ).toBe(0);
    expect(anthropicUsageFromOpenai(undefined)).toMatchObject({ input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0 });
  });

  it('round-trips the counts', () => {
    const a = { input_tokens: 25, output_tokens: 9, cache_read_input_tokens: 4000, cache_creation_input_tokens: 12 };
    expect(anthropicUsageFromOpenai(openaiUsageFromAnthropic(a))).toMatchObject(a);
  });
});

describe('request rules', () => {
  const user = (content: string) => ({ role: 'user' as const, content });

  it('defaults max_tokens to 4096, else takes max_completion_tokens, then max_tokens', () => {
    expect(openaiToAnthropicRequest({ model: 'x', messages: [user('hi')] }, 'c').max_tokens).toBe(4096);
    expect(openaiToAnthropicRequest({ model: 'x', messages: [user('hi')], max_tokens: 77 }, 'c').max_tokens).toBe(77);
    expect(openaiToAnthropicRequest({ model: 'x', messages: [user('hi')], max_tokens: 77, max_completion_tokens: 88 }, 'c').max_tokens).toBe(88);
  });

  it('maps stop as a string, clamps temperature to 0..1, and takes safety_identifier when user is absent', () => {
    const out = openaiToAnthropicRequest({ model: 'x', messages: [user('hi')], stop: 'STOP', temperature: 2, safety_identifier: 'hash-42' }, 'c');
    expect(out).toMatchObject({ stop_sequences: ['STOP'], temperature: 1, metadata: { user_id: 'hash-42' } });
    expect(openaiToAnthropicRequest({ model: 'x', messages: [user('hi')], stop: null, temperature: 0 }, 'c')).not.toHaveProperty('stop_sequences');
  });

  it('maps each OpenAI tool_choice to its Anthropic counterpart, and back', () => {
    const tools: OpenAIRequest['tools'] = [{ type: 'function', function: { name: 'f' } }];
    const choiceOf = (tool_choice: OpenAIRequest['tool_choice'], parallel_tool_calls?: boolean) =>
      openaiToAnthropicRequest({ model: 'x', messages: [user('hi')], tools, tool_choice, parallel_tool_calls }, 'c').tool_choice;
    expect(choiceOf('auto')).toStrictEqual({ type: 'auto' });
    expect(choiceOf('none')).toStrictEqual({ type: 'none' });
    expect(choiceOf('required')).toStrictEqual({ type: 'any' });
    expect(choiceOf({ type: 'function', function: { name: 'f' } })).toStrictEqual({ type: 'tool', name: 'f' });
    expect(choiceOf(undefined)).toBeUndefined();
    expect(choiceOf(undefined, false)).toStrictEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(choiceOf('required', false)).toStrictEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(openaiToAnthropicRequest({ model: 'x', messages: [user('hi')], tools }, 'c').tools).toStrictEqual([
      { name: 'f', input_schema: { type: 'object', properties: {} } },
    ]);
    // No tools: a tool_choice alone is not sent.
    expect(openaiToAnthropicRequest({ model: 'x', messages: [user('hi')], tool_choice: 'auto' }, 'c')).not.toHaveProperty('tool_choice');

    const aTools: AnthropicRequest['tools'] = [{ name: 'f', input_schema: { type: 'object' } }];
    const back = (tool_choice: AnthropicRequest['tool_choice']) => {
      const out = anthropicToOpenaiRequest({ model: 'x', max_tokens: 1, messages: [user('hi')], tools: aTools, tool_choice }, 'o');
      return { tool_choice: out.tool_choice, parallel_tool_calls: out.parallel_tool_calls };
    };
    expect(back({ type: 'auto' })).toStrictEqual({ tool_choice: 'auto', parallel_tool_calls: undefined });
    expect(back({ type: 'auto', disable_parallel_tool_use: true })).toStrictEqual({ tool_choice: 'auto', parallel_tool_calls: false });
    expect(back({ type: 'any' })).toStrictEqual({ tool_choice: 'required', parallel_tool_calls: undefined });
    expect(back({ type: 'tool', name: 'f' })).toStrictEqual({ tool_choice: { type: 'function', function: { name: 'f' } }, parallel_tool_calls: undefined });
    expect(back({ type: 'none' })).toStrictEqual({ tool_choice: 'none', parallel_tool_calls: undefined });
  });

  it('maps a json_schema response_format to output_config.format, and back', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const a = openaiToAnthropicRequest(
      { model: 'x', messages: [user('hi')], response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } } },
      'c',
    );
    expect(a.output_config).toStrictEqual({ format: { type: 'json_schema', schema } });
    const o = anthropicToOpenaiRequest({ model: 'x', max_tokens: 5, messages: [user('hi')], output_config: { format: { type: 'json_schema', schema } } }, 'o');
    expect(o.response_format).toStrictEqual({ type: 'json_schema', json_schema: { name: 'output', schema, strict: true } });
    expect(openaiToAnthropicRequest({ model: 'x', messages: [user('hi')], response_format: { type: 'json_object' } }, 'c')).not.toHaveProperty('output_config');
  });

  it('maps a base64 PDF file part to a document block, and back', () => {
    const a = openaiToAnthropicRequest(
      {
        model: 'x',
        messages: [{ role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0xLjQK', filename: 'paper.pdf' } }] }],
      },
      'c',
    );
    expect(a.messages[0]!.content).toStrictEqual([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' }, title: 'paper.pdf' },
    ]);
    const o = anthropicToOpenaiRequest(
      {
        model: 'x',
        max_tokens: 5,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' } },
              { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
            ],
          },
        ],
      },
      'o',
    );
    expect(o.messages[0]).toStrictEqual({
      role: 'user',
      content: [
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0xLjQK', filename: 'document.pdf' } },
        { type: 'text', text: 'plain words' },
      ],
    });
  });

  it('Anthropic → OpenAI: a system-role message in place, a string tool_result, is_error dropped, thinking-only turns skipped', () => {
    const out = anthropicToOpenaiRequest(
      {
        model: 'x',
        max_tokens: 5,
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'Run it.' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hmm', signature: 's' },
              { type: 'tool_use', id: 'toolu_1', name: 'run', input: { cmd: 'ls' } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'permission denied', is_error: true }] },
          { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'xyz' }] },
        ],
      },
      'o',
    );
    expect(out.messages).toStrictEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'Run it.' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'run', arguments: '{"cmd":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'permission denied' },
    ]);
  });

  it('OpenAI → Anthropic: skips empty turns and merges the user turns around them', () => {
    const out = openaiToAnthropicRequest(
      {
        model: 'x',
        messages: [user('one'), { role: 'assistant', content: '' }, user('two'), { role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] }],
      },
      'c',
    );
    expect(out.messages).toStrictEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
      },
      { role: 'assistant', content: 'No.' },
    ]);
  });

  it('refuses what has no counterpart, naming the field', () => {
    const fails = (f: () => unknown, param: string) => {
      let caught: unknown;
      try {
        f();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(TranslateError);
      expect((caught as TranslateError).status).toBe(400);
      expect((caught as TranslateError).param).toBe(param);
    };
    fails(
      () =>
        openaiToAnthropicRequest(
          { model: 'x', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } }] }] },
          'c',
        ),
      'messages[0].content[0]',
    );
    fails(
      () =>
        openaiToAnthropicRequest(
          { model: 'x', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }] }] },
          'c',
        ),
      'messages[0].content[0]',
    );
    fails(
      () => openaiToAnthropicRequest({ model: 'x', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }] }, 'c'),
      'messages[0].content[0]',
    );
    fails(
      () =>
        openaiToAnthropicRequest(
          {
            model: 'x',
            messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{not json' } }] }],
          },
          'c',
        ),
      'messages[0].tool_calls[0].function.arguments',
    );
    fails(() => openaiToAnthropicRequest({ model: 'x', messages: [{ role: 'function', name: 'f', content: '1' }] }, 'c'), 'messages[0].role');
    fails(() => openaiToAnthropicRequest({ model: 'x', messages: [user('hi')], n: 2 }, 'c'), 'n');
    fails(() => openaiToAnthropicRequest({ model: 'x', messages: [user('hi')], tools: [{ type: 'custom', custom: { name: 'grammar' } }] }, 'c'), 'tools[0]');
    fails(
      () => anthropicToOpenaiRequest({ model: 'x', max_tokens: 5, messages: [user('hi')], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'o'),
      'tools[0]',
    );
    fails(
      () =>
        anthropicToOpenaiRequest(
          { model: 'x', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] },
          'o',
        ),
      'messages[0].content[0]',
    );
  });
});

describe('error bodies', () => {
  interface ErrorCase {
    about: string;
    status: number;
    body: unknown;
    openai: unknown;
    anthropic: unknown;
  }
  const { cases } = readJson<{ cases: ErrorCase[] }>('errors.json');

  for (const c of cases) {
    it(`${c.about} → OpenAI`, () => {
      expect(toOpenaiError(c.status, c.body, `upstream answered ${c.status}`)).toStrictEqual(c.openai);
    });
    it(`${c.about} → Anthropic`, () => {
      expect(toAnthropicError(c.status, c.body, `upstream answered ${c.status}`)).toStrictEqual(c.anthropic);
    });
  }

  it('builds both vendors’ bodies', () => {
    expect(openaiErrorBody('invalid_request_error', 'bad', 'messages', 'x')).toStrictEqual({
      error: { message: 'bad', type: 'invalid_request_error', param: 'messages', code: 'x' },
    });
    expect(openaiErrorBody('server_error', 'boom')).toStrictEqual({ error: { message: 'boom', type: 'server_error', param: null, code: null } });
    expect(anthropicErrorBody('overloaded_error', 'Overloaded')).toStrictEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });

  it('maps statuses without a body to the documented types', () => {
    const anthropic = (s: number) => toAnthropicError(s, null, 'x').error.type;
    const openai = (s: number) => toOpenaiError(s, null, 'x').error.type;
    expect([400, 401, 403, 404, 413, 429, 500, 529].map(anthropic)).toEqual([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'not_found_error',
      'request_too_large',
      'rate_limit_error',
      'api_error',
      'overloaded_error',
    ]);
    expect([400, 401, 403, 404, 413, 429, 500, 529].map(openai)).toEqual([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'invalid_request_error',
      'invalid_request_error',
      'rate_limit_error',
      'server_error',
      'server_error',
    ]);
  });
});

describe('the SDKs are types only', () => {
  it('src/proxy/translate imports openai and @anthropic-ai/sdk with `import type` only', () => {
    const dir = fileURLToPath(new URL('../../src/proxy/translate/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      for (const m of text.matchAll(/^\s*(import|export)\b([^;]*?)from\s+['"](openai|@anthropic-ai\/sdk)[^'"]*['"]/gms)) {
        expect(`${f}: ${m[1]}${m[2]}`).toMatch(/^[^:]+: import type /);
      }
    }
  });
});
