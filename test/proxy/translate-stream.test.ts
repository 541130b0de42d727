import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AnthropicToOpenaiStream, OpenaiToAnthropicStream, type SseEvent, SseParser, type StreamTranslator } from '../../src/proxy/translate/index.js';
import { parseTranscript, randomChunks, readText, withLineEnds } from './translate-helpers.js';

const NOW = 1741570283;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW * 1000);
});
afterEach(() => {
  vi.useRealTimers();
});

/** Feeds an upstream transcript through SseParser (as byte chunks) and a translator, as the proxy does; returns everything written to the client. */
function translate(translator: StreamTranslator, chunks: Uint8Array[]): string {
  const parser = new SseParser();
  let out = '';
  for (const chunk of chunks) for (const event of parser.push(chunk)) out += translator.push(event);
  for (const event of parser.end()) out += translator.push(event);
  return out + translator.end();
}

const ev = (data: unknown, event?: string): SseEvent => ({ data: typeof data === 'string' ? data : JSON.stringify(data), ...(event ? { event } : {}) });

describe('SseParser (WHATWG event-stream rules)', () => {
  const all = (...chunks: Array<string | Uint8Array>) => {
    const p = new SseParser();
    return [...chunks.flatMap((c) => p.push(c)), ...p.end()];
  };

  it('joins multi-line data with \\n and reads the event type', () => {
    expect(all('data: YHOO\ndata: +2\ndata: 10\n\n')).toStrictEqual([{ data: 'YHOO\n+2\n10' }]);
    expect(all('event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n')).toStrictEqual([
      { event: 'add', data: '73857293' },
      { event: 'remove', data: '2153' },
    ]);
  });

  it('skips comments and id/retry lines, drops exactly one space after the colon', () => {
    expect(all(': test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\nretry: 10\n\n')).toStrictEqual([
      { data: 'first event' },
      { data: 'second event' },
      { data: ' third event' },
    ]);
  });

  it('dispatches empty data, not events without data, and discards an unterminated event at the end', () => {
    expect(all('data\n\ndata\ndata\n\nevent: x\n\ndata:')).toStrictEqual([{ data: '' }, { data: '\n' }]);
  });

  it('accepts CRLF, LF and CR line ends, also a CRLF split between chunks', () => {
    expect(all('data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r', '\n\r', '\n')).toStrictEqual([{ data: 'a' }, { data: 'b' }, { data: 'c' }, { data: 'd' }]);
  });

  it('holds back a chunk-final CR until it knows whether LF follows (no spurious blank line)', () => {
    expect(all('event: add\r', '\ndata: 1\r', '\ndata: 2\r\n\r\n')).toStrictEqual([{ event: 'add', data: '1\n2' }]);
  });

  it('dispatches a final event whose blank line ends in a lone CR when the stream ends', () => {
    expect(all('data: x\r\r')).toStrictEqual([{ data: 'x' }]);
  });

  it('skips a leading byte order mark', () => {
    expect(all(Buffer.from('\uFEFFdata: bom\n\n', 'utf8'))).toStrictEqual([{ data: 'bom' }]);
    expect(all('\uFEFFdata: bom\n\n')).toStrictEqual([{ data: 'bom' }]);
  });

  it('decodes UTF-8 split inside a character, whatever the split', () => {
    const bytes = Buffer.from('event: t\ndata: Ça va ? 👋 你好\n\n', 'utf8');
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(all(bytes.subarray(0, cut), bytes.subarray(cut))).toStrictEqual([{ event: 't', data: 'Ça va ? 👋 你好' }]);
    }
    expect(all(...Array.from(bytes, (b) => Uint8Array.of(b)))).toStrictEqual([{ event: 't', data: 'Ça va ? 👋 你好' }]);
  });
});

/** Every golden stream: upstream transcript, the client transcript it must give, and the translator. */
const GOLDEN: Array<{ upstream: string; expected: string; make: () => StreamTranslator }> = [
  { upstream: 'stream-anthropic-text.sse', expected: 'stream-anthropic-text.openai.sse', make: () => new AnthropicToOpenaiStream('router-model') },
  { upstream: 'stream-anthropic-tool.sse', expected: 'stream-anthropic-tool.openai.sse', make: () => new AnthropicToOpenaiStream('router-model') },
  { upstream: 'stream-anthropic-error.sse', expected: 'stream-anthropic-error.openai.sse', make: () => new AnthropicToOpenaiStream('router-model') },
  { upstream: 'stream-openai-text.sse', expected: 'stream-openai-text.anthropic.sse', make: () => new OpenaiToAnthropicStream('router-model') },
  { upstream: 'stream-openai-tool.sse', expected: 'stream-openai-tool.anthropic.sse', make: () => new OpenaiToAnthropicStream('router-model') },
  { upstream: 'stream-openai-error.sse', expected: 'stream-openai-error.anthropic.sse', make: () => new OpenaiToAnthropicStream('router-model') },
];

describe('streams: golden transcripts', () => {
  for (const g of GOLDEN) {
    describe(`${g.upstream} → ${g.expected}`, () => {
      const expected = () => parseTranscript(readText(g.expected));

      it('whole, one event per chunk', () => {
        const out = translate(g.make(), [Buffer.from(readText(g.upstream), 'utf8')]);
        expect(parseTranscript(out)).toStrictEqual(expected());
      });

      for (const eol of ['\n', '\r\n', '\r'] as const) {
        for (const seed of [1, 2, 3, 4, 5]) {
          it(`random byte chunks, seed ${seed}, ${JSON.stringify(eol)} line ends`, () => {
            const bytes = Buffer.from(withLineEnds(readText(g.upstream), eol), 'utf8');
            const out = translate(g.make(), randomChunks(bytes, seed));
            expect(parseTranscript(out)).toStrictEqual(expected());
          });
        }
      }

      it('one byte at a time', () => {
        const bytes = Buffer.from(readText(g.upstream), 'utf8');
        const out = translate(
          g.make(),
          Array.from(bytes, (b) => Uint8Array.of(b)),
        );
        expect(parseTranscript(out)).toStrictEqual(expected());
      });
    });
  }

  it('the OpenAI client stream ends with data: [DONE], the Anthropic one with message_stop', () => {
    expect(translate(new AnthropicToOpenaiStream('m'), [Buffer.from(readText('stream-anthropic-text.sse'))])).toMatch(/\n\ndata: \[DONE\]\n\n$/);
    expect(translate(new OpenaiToAnthropicStream('m'), [Buffer.from(readText('stream-openai-text.sse'))])).toMatch(
      /\n\nevent: message_stop\ndata: \{"type":"message_stop"\}\n\n$/,
    );
  });
});

describe('AnthropicToOpenaiStream', () => {
  const start = ev({
    type: 'message_start',
    message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'c', usage: { input_tokens: 3, output_tokens: 1 } },
  });
  const text = (t: string) => ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } });

  it('uses the given id, and leaves the usage chunk out when told to', () => {
    const s = new AnthropicToOpenaiStream('m', 'chatcmpl-fixed', { includeUsage: false });
    const out = [
      start,
      text('hi'),
      ev({ type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 2 } }),
      ev({ type: 'message_stop' }),
    ]
      .map((e) => s.push(e))
      .join('');
    const events = parseTranscript(out + s.end());
    expect(events.map((e) => (e.data as { id?: string }).id ?? e.data)).toEqual(['chatcmpl-fixed', 'chatcmpl-fixed', 'chatcmpl-fixed', '[DONE]']);
    expect(events[2]!.data).toMatchObject({ choices: [{ delta: {}, finish_reason: 'length' }] });
  });

  it('takes cumulative input and cache counts from message_delta when it has them', () => {
    const s = new AnthropicToOpenaiStream('m');
    s.push(start);
    s.push(
      ev({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { input_tokens: 40, cache_read_input_tokens: 60, output_tokens: 9 },
      }),
    );
    const events = parseTranscript(s.push(ev({ type: 'message_stop' })));
    expect(events[0]!.data).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 100, completion_tokens: 9, total_tokens: 109, prompt_tokens_details: { cached_tokens: 60 } },
    });
  });

  it('closes the client stream when only message_stop is missing, and reports a cut-short stream as an error', () => {
    const complete = new AnthropicToOpenaiStream('m');
    complete.push(start);
    complete.push(ev({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }));
    expect(parseTranscript(complete.end()).map((e) => e.data)).toEqual([expect.objectContaining({ choices: [] }), '[DONE]']);
    expect(complete.end()).toBe('');

    const cut = new AnthropicToOpenaiStream('m');
    cut.push(start);
    cut.push(text('Once'));
    expect(parseTranscript(cut.end()).map((e) => e.data)).toStrictEqual([
      { error: { message: 'the upstream stream ended before the message was complete', type: 'server_error', param: null, code: null } },
      '[DONE]',
    ]);
  });

  it('translates an error before anything else, and ignores what follows it', () => {
    const s = new AnthropicToOpenaiStream('m');
    const out = s.push(ev({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, 'error'));
    expect(parseTranscript(out).map((e) => e.data)).toStrictEqual([
      { error: { message: 'slow down', type: 'rate_limit_error', param: null, code: null } },
      '[DONE]',
    ]);
    expect(s.push(start)).toBe('');
    expect(s.end()).toBe('');
  });

  it('ignores pings, unknown events and data that is not JSON', () => {
    const s = new AnthropicToOpenaiStream('m');
    expect(s.push(ev({ type: 'ping' }, 'ping'))).toBe('');
    expect(s.push(ev({ type: 'something_new', x: 1 }))).toBe('');
    expect(s.push({ data: 'not json' })).toBe('');
  });
});

describe('OpenaiToAnthropicStream', () => {
  const chunk = (delta: object, finish_reason: string | null = null) =>
    ev({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt', choices: [{ index: 0, delta, logprobs: null, finish_reason }] });

  it('uses the given id and closes the message when [DONE] is missing after a finish_reason', () => {
    const s = new OpenaiToAnthropicStream('m', 'msg_fixed');
    let out = s.push(chunk({ role: 'assistant', content: 'Hi' }));
    out += s.push(chunk({}, 'length'));
    out += s.end();
    const events = parseTranscript(out);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]!.data).toMatchObject({ message: { id: 'msg_fixed', model: 'm' } });
    expect(events[4]!.data).toMatchObject({ delta: { stop_reason: 'max_tokens' } });
    expect(s.end()).toBe('');
  });

  it('reports a stream cut before any finish_reason as an error event', () => {
    const s = new OpenaiToAnthropicStream('m');
    s.push(chunk({ role: 'assistant', content: 'Hi' }));
    expect(parseTranscript(s.end())).toStrictEqual([
      { event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'the upstream stream ended before the message was complete' } } },
    ]);
  });

  it('turns a refusal delta into text with stop_reason refusal', () => {
    const s = new OpenaiToAnthropicStream('m');
    const out = [chunk({ role: 'assistant', refusal: "I can't help with that." }), chunk({}, 'stop'), { data: '[DONE]' }].map((e) => s.push(e)).join('');
    const events = parseTranscript(out);
    expect(events[2]!.data).toMatchObject({ delta: { type: 'text_delta', text: "I can't help with that." } });
    expect(events[4]!.data).toMatchObject({ delta: { stop_reason: 'refusal', stop_details: { type: 'refusal' } } });
  });

  it('names a tool call that arrives without an id, and ignores what follows [DONE]', () => {
    const s = new OpenaiToAnthropicStream('m');
    let out = s.push(chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: '{"a":1}' } }] }));
    out += s.push(chunk({}, 'tool_calls'));
    out += s.push({ data: '[DONE]' });
    const events = parseTranscript(out);
    expect(events[1]!.data).toMatchObject({ content_block: { type: 'tool_use', id: 'toolu_chatcmpl-1_0', name: 'f', input: {} } });
    expect(events[2]!.data).toMatchObject({ delta: { type: 'input_json_delta', partial_json: '{"a":1}' } });
    expect(s.push(chunk({ content: 'late' }))).toBe('');
  });
});
