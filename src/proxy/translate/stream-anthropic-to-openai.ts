import type Anthropic from '@anthropic-ai/sdk';
import { toOpenaiError } from './errors.js';
import { finishReasonFromAnthropic } from './finish-reasons.js';
import { openaiCompletionId, randomIdBody } from './ids.js';
import { unixSeconds } from './response.js';
import { OPENAI_DONE, openaiSse, parseJsonObject } from './sse.js';
import type { OpenAIChunk, OpenAIFinishReason, SseEvent, StreamTranslator } from './types.js';
import { countsFromAnthropic, openaiUsage, type TokenCounts } from './usage.js';

/** Options of AnthropicToOpenaiStream. */
export interface AnthropicToOpenaiStreamOptions {
  /**
   * Whether to send the usage chunk (`choices: []`, OpenAI's `stream_options.include_usage`).
   * Default true; pass the client's `stream_options.include_usage` for clients that index
   * `choices[0]` of every chunk.
   */
  includeUsage?: boolean;
}

type Delta = OpenAIChunk['choices'][number]['delta'];

/**
 * Anthropic Messages stream → OpenAI Chat Completions stream, one upstream event at a time
 * (Anthropic "Streaming Messages" event flow → OpenAI "The chat completion chunk object").
 *
 * - `message_start` → the first chunk, `delta: {role: "assistant", content: ""}`; its id →
 *   `chatcmpl-<id>` unless an `id` is given.
 * - text blocks: `text_delta` → `delta.content`.
 * - `tool_use` blocks: `content_block_start` → `delta.tool_calls[{index, id, type: "function",
 *   function: {name, arguments: ""}}]` (index counts tool calls from 0); `input_json_delta` →
 *   `delta.tool_calls[{index, function: {arguments: <fragment>}}]`.
 * - thinking, redacted thinking, signatures, citations and server-tool blocks: nothing.
 * - `message_delta` → the final chunk with `finish_reason` (finish-reasons.ts), and its usage kept;
 *   `message_stop` → the usage chunk (`choices: []`, usage.ts) and `data: [DONE]`.
 * - `error` → `data: {"error": {...}}` (errors.ts) and `data: [DONE]`; `ping` and unknown events: nothing.
 */
export class AnthropicToOpenaiStream implements StreamTranslator {
  private readonly model: string;
  private id: string | undefined;
  private readonly created = unixSeconds();
  private readonly includeUsage: boolean;
  private started = false;
  private finished = false;
  private done = false;
  private usage: TokenCounts | null = null;
  /** Anthropic content block index → OpenAI tool call index, for tool_use blocks only. */
  private readonly tools = new Map<number, number>();

  /** `model`: the model the client is told; `id`: the chunk id (default `chatcmpl-` + the Anthropic message id). */
  constructor(model: string, id?: string, options: AnthropicToOpenaiStreamOptions = {}) {
    this.model = model;
    this.id = id;
    this.includeUsage = options.includeUsage ?? true;
  }

  /** Translates one Anthropic event (its `data` JSON; `event:` only tells an error apart); returns the OpenAI SSE text ('' for none). */
  push(event: SseEvent): string {
    if (this.done) return '';
    const data = parseJsonObject(event.data);
    if (!data) return '';
    if (event.event === 'error' || data.type === 'error') return this.fail(data);
    const e = data as unknown as Anthropic.RawMessageStreamEvent;
    switch (e.type) {
      case 'message_start':
        return this.start(e.message);
      case 'content_block_start':
        return this.blockStart(e);
      case 'content_block_delta':
        return this.blockDelta(e);
      case 'message_delta':
        return this.messageDelta(e);
      case 'message_stop':
        return this.finish();
      default:
        return '';
    }
  }

  /** At the upstream's end: '' when `message_stop` (or an error) closed the stream; the closing chunks when only `message_stop` was missing; else an error chunk (the answer was cut short) and `[DONE]`. */
  end(): string {
    if (this.done) return '';
    if (this.finished) return this.finish();
    return this.fail({ type: 'error', error: { type: 'api_error', message: 'the upstream stream ended before the message was complete' } });
  }

  private chunk(delta: Delta, finishReason: OpenAIFinishReason | null = null): string {
    const chunk: OpenAIChunk = {
      id: this.chunkId(),
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    return openaiSse(chunk);
  }

  private chunkId(): string {
    this.id ??= openaiCompletionId(`msg_${randomIdBody()}`);
    return this.id;
  }

  /** The role chunk; also sent before any content when `message_start` was missing. */
  private ensureStarted(): string {
    if (this.started) return '';
    this.started = true;
    return this.chunk({ role: 'assistant', content: '' });
  }

  private start(message: Anthropic.Message | undefined): string {
    if (this.started) return '';
    if (this.id === undefined && message?.id) this.id = openaiCompletionId(message.id);
    if (message?.usage) this.usage = countsFromAnthropic(message.usage);
    return this.ensureStarted();
  }

  private blockStart(e: Anthropic.RawContentBlockStartEvent): string {
    const block = e.content_block;
    if (block?.type === 'text') return block.text ? this.ensureStarted() + this.chunk({ content: block.text }) : '';
    if (block?.type !== 'tool_use') return '';
    const index = this.tools.size;
    this.tools.set(e.index, index);
    return this.ensureStarted() + this.chunk({ tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] });
  }

  private blockDelta(e: Anthropic.RawContentBlockDeltaEvent): string {
    const d = e.delta;
    if (d?.type === 'text_delta') return d.text ? this.ensureStarted() + this.chunk({ content: d.text }) : '';
    if (d?.type !== 'input_json_delta' || !d.partial_json) return '';
    const index = this.tools.get(e.index);
    if (index === undefined) return '';
    return this.ensureStarted() + this.chunk({ tool_calls: [{ index, function: { arguments: d.partial_json } }] });
  }

  private messageDelta(e: Anthropic.RawMessageDeltaEvent): string {
    const u = e.usage;
    if (u) {
      // message_delta usage is cumulative; its input and cache counts, when given, replace message_start's.
      const prev = this.usage ?? countsFromAnthropic(null);
      const next = countsFromAnthropic(u);
      this.usage = {
        input: u.input_tokens == null ? prev.input : next.input,
        cacheRead: u.cache_read_input_tokens == null ? prev.cacheRead : next.cacheRead,
        cacheWrite: u.cache_creation_input_tokens == null ? prev.cacheWrite : next.cacheWrite,
        output: u.output_tokens == null ? prev.output : next.output,
        thinking: next.thinking ?? prev.thinking,
      };
    }
    if (this.finished) return '';
    this.finished = true;
    return this.ensureStarted() + this.chunk({}, finishReasonFromAnthropic(e.delta?.stop_reason));
  }

  /** The final chunk (if `message_delta` was missing), the usage chunk, `[DONE]`. */
  private finish(): string {
    let out = this.ensureStarted();
    if (!this.finished) {
      this.finished = true;
      out += this.chunk({}, 'stop');
    }
    if (this.includeUsage && this.usage) {
      const chunk: OpenAIChunk = {
        id: this.chunkId(),
        object: 'chat.completion.chunk',
        created: this.created,
        model: this.model,
        choices: [],
        usage: openaiUsage(this.usage),
      };
      out += openaiSse(chunk);
    }
    this.done = true;
    return out + OPENAI_DONE;
  }

  /** An error chunk (OpenAI streams an error object in place of a chunk) and `[DONE]`. */
  private fail(body: unknown): string {
    this.done = true;
    return openaiSse(toOpenaiError(null, body, 'the upstream stream failed')) + OPENAI_DONE;
  }
}
