/**
 * Wire types of the two protocols, from the vendors' SDKs (`openai` 6.x, `@anthropic-ai/sdk` 1.x).
 * Type imports only: nothing of either SDK is loaded at run time (the daemon is bundled without them).
 */
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';

/**
 * An OpenAI Chat Completions request body (`POST /v1/chat/completions`).
 *
 * Narrowed from `OpenAI.Chat.ChatCompletionCreateParams`: the SDK splits that union on the literal
 * of `stream` (`true` | `false`) for its overloads; a wire body carries any boolean, so one type.
 */
export type OpenAIRequest = Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'stream'> & { stream?: boolean | null };

/**
 * An Anthropic Messages request body (`POST /v1/messages`).
 *
 * Narrowed from `Anthropic.MessageCreateParams` for the same `stream` reason as OpenAIRequest, and
 * widened with the sampling fields `temperature`, `top_p` and `top_k`: SDK 1.x dropped them from its
 * types (deprecated for the newest models), while the Messages API still accepts them for the models
 * that support sampling, and clients still send them.
 */
export type AnthropicRequest = Omit<Anthropic.MessageCreateParamsNonStreaming, 'stream'> & {
  stream?: boolean;
  /** 0..1 (Anthropic Messages API). */
  temperature?: number;
  top_p?: number;
  top_k?: number;
};

/** An OpenAI chat completion (non-streamed answer). */
export type OpenAICompletion = OpenAI.Chat.ChatCompletion;
/** One OpenAI streamed chunk (`object: "chat.completion.chunk"`). */
export type OpenAIChunk = OpenAI.Chat.ChatCompletionChunk;
/** OpenAI's `finish_reason` of a choice. */
export type OpenAIFinishReason = OpenAI.Chat.ChatCompletion.Choice['finish_reason'];
/** OpenAI token usage (`prompt_tokens` includes cached tokens). */
export type OpenAIUsage = OpenAI.CompletionUsage;

/** An Anthropic message (non-streamed answer). */
export type AnthropicMessage = Anthropic.Message;
/** Anthropic token usage (`input_tokens` excludes cache reads and cache writes). */
export type AnthropicUsage = Anthropic.Usage;
/** Anthropic's `stop_reason`. */
export type AnthropicStopReason = Anthropic.StopReason;
/** One Anthropic stream event's `data` (without `ping` and `error`, which the SDK types apart). */
export type AnthropicStreamEvent = Anthropic.RawMessageStreamEvent;

/** One server-sent event as read off the wire: the `event:` field (if any) and the joined `data:` lines. */
export interface SseEvent {
  event?: string;
  data: string;
}

/** The pair of methods the two stream translators share. */
export interface StreamTranslator {
  /** Translates one upstream event; returns the SSE text to write to the client ('' for none). */
  push(event: SseEvent): string;
  /** What to write once the upstream stream ended ('' when the client stream is already complete). */
  end(): string;
}
