import type Anthropic from '@anthropic-ai/sdk';
import { toAnthropicError } from './errors.js';
import { stopReasonFromOpenai } from './finish-reasons.js';
import { anthropicMessageId, anthropicToolId, randomIdBody } from './ids.js';
import { anthropicSse, parseJsonObject } from './sse.js';
import type { AnthropicStopReason, OpenAIChunk, SseEvent, StreamTranslator } from './types.js';
import { anthropicDeltaUsage, anthropicUsage, countsFromOpenai, type TokenCounts } from './usage.js';

/** The content block open on the Anthropic side. */
interface OpenBlock {
  index: number;
  kind: 'text' | 'tool';
}

/**
 * OpenAI Chat Completions stream → Anthropic Messages stream, one upstream chunk at a time (OpenAI
 * "The chat completion chunk object" → Anthropic "Streaming Messages" event flow). Reads choice 0.
 *
 * - the first chunk → `message_start` (empty message, `msg_` + the OpenAI id unless an `id` is
 *   given; usage 0, since OpenAI reports usage only at the end).
 * - `delta.content` (and `delta.refusal`) → a text block: `content_block_start` once, then
 *   `content_block_delta` `text_delta` per fragment.
 * - `delta.tool_calls[]`: a new tool call index → `content_block_start` `tool_use` {id, name,
 *   input: {}}; `function.arguments` fragments → `input_json_delta` on that call's block.
 * - a block is closed (`content_block_stop`) when a block of another kind or call starts, and at the end.
 * - `data: [DONE]` → `content_block_stop`, `message_delta` (stop_reason from the last
 *   `finish_reason`, finish-reasons.ts; cumulative usage from the usage chunk, usage.ts),
 *   `message_stop`.
 * - an error chunk (`{"error": {...}}`) → `event: error` (errors.ts), and the stream is over.
 */
export class OpenaiToAnthropicStream implements StreamTranslator {
  private readonly model: string;
  private id: string | undefined;
  private started = false;
  private done = false;
  private open: OpenBlock | null = null;
  private nextIndex = 0;
  /** OpenAI tool call index → Anthropic content block index. */
  private readonly tools = new Map<number, number>();
  private finishReason: OpenAIChunk['choices'][number]['finish_reason'] = null;
  private refused = false;
  private usage: TokenCounts | null = null;

  /** `model`: the model the client is told; `id`: the message id (default `msg_` + the OpenAI completion id). */
  constructor(model: string, id?: string) {
    this.model = model;
    this.id = id;
  }

  /** Translates one OpenAI event (`data: {chunk}` or `data: [DONE]`); returns the Anthropic SSE text ('' for none). */
  push(event: SseEvent): string {
    if (this.done) return '';
    if (event.data.trim() === '[DONE]') return this.finish();
    const data = parseJsonObject(event.data);
    if (!data) return '';
    if (data.error !== undefined && data.error !== null) return this.fail(data);
    const chunk = data as unknown as OpenAIChunk;
    let out = this.start(chunk.id);
    if (chunk.usage) this.usage = countsFromOpenai(chunk.usage);
    const choice = chunk.choices?.find((c) => (c?.index ?? 0) === 0);
    if (!choice) return out;
    const d = choice.delta ?? {};
    if (typeof d.content === 'string' && d.content.length > 0) out += this.text(d.content);
    if (typeof d.refusal === 'string' && d.refusal.length > 0) {
      this.refused = true;
      out += this.text(d.refusal);
    }
    for (const call of d.tool_calls ?? []) out += this.toolCall(call);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return out;
  }

  /** At the upstream's end: '' when `[DONE]` (or an error) closed the stream; the closing events when only `[DONE]` was missing after a `finish_reason`; else an error event (the answer was cut short). */
  end(): string {
    if (this.done) return '';
    if (this.finishReason) return this.finish();
    return this.fail({ error: { type: 'server_error', message: 'the upstream stream ended before the message was complete' } });
  }

  private messageId(): string {
    this.id ??= anthropicMessageId(`chatcmpl-${randomIdBody()}`);
    return this.id;
  }

  private start(upstreamId: string | undefined): string {
    if (this.started) return '';
    this.started = true;
    if (this.id === undefined && upstreamId) this.id = anthropicMessageId(upstreamId);
    const message: Anthropic.Message = {
      id: this.messageId(),
      type: 'message',
      role: 'assistant',
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage: anthropicUsage({ input: 0, cacheRead: 0, cacheWrite: 0, output: 0, thinking: null }),
    };
    return anthropicSse({ type: 'message_start', message } satisfies Anthropic.RawMessageStartEvent);
  }

  private close(): string {
    if (!this.open) return '';
    const index = this.open.index;
    this.open = null;
    return anthropicSse({ type: 'content_block_stop', index } satisfies Anthropic.RawContentBlockStopEvent);
  }

  private text(text: string): string {
    let out = '';
    if (this.open?.kind !== 'text') {
      out += this.close();
      this.open = { index: this.nextIndex++, kind: 'text' };
      out += anthropicSse({
        type: 'content_block_start',
        index: this.open.index,
        content_block: { type: 'text', text: '', citations: null },
      } satisfies Anthropic.RawContentBlockStartEvent);
    }
    return (
      out +
      anthropicSse({ type: 'content_block_delta', index: this.open.index, delta: { type: 'text_delta', text } } satisfies Anthropic.RawContentBlockDeltaEvent)
    );
  }

  private toolCall(call: NonNullable<OpenAIChunk['choices'][number]['delta']['tool_calls']>[number]): string {
    const key = call?.index ?? 0;
    let out = '';
    let index = this.tools.get(key);
    if (index === undefined) {
      out += this.close();
      index = this.nextIndex++;
      this.tools.set(key, index);
      this.open = { index, kind: 'tool' };
      const id = anthropicToolId(call.id, `toolu_${this.messageId().slice(4)}_${key}`);
      out += anthropicSse({
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id, name: call.function?.name ?? '', input: {}, caller: { type: 'direct' } },
      } satisfies Anthropic.RawContentBlockStartEvent);
    }
    const args = call.function?.arguments;
    if (typeof args === 'string' && args.length > 0) {
      out += anthropicSse({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: args },
      } satisfies Anthropic.RawContentBlockDeltaEvent);
    }
    return out;
  }

  /** Closes the open block, then `message_delta` and `message_stop`. */
  private finish(): string {
    let out = this.start(undefined) + this.close();
    const stopReason: AnthropicStopReason = this.refused ? 'refusal' : stopReasonFromOpenai(this.finishReason);
    const counts = this.usage ?? { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, thinking: null };
    out += anthropicSse({
      type: 'message_delta',
      delta: {
        stop_reason: stopReason,
        stop_sequence: null,
        stop_details: stopReason === 'refusal' ? { type: 'refusal', category: null, explanation: null } : null,
        container: null,
      },
      usage: anthropicDeltaUsage(counts),
    } satisfies Anthropic.RawMessageDeltaEvent);
    out += anthropicSse({ type: 'message_stop' } satisfies Anthropic.RawMessageStopEvent);
    this.done = true;
    return out;
  }

  /** An `error` event (Anthropic streams end after one). */
  private fail(body: unknown): string {
    this.done = true;
    return anthropicSse(toAnthropicError(null, body, 'the upstream stream failed'));
  }
}
