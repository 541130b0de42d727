/**
 * Protocol translation between OpenAI Chat Completions and Anthropic Messages: requests,
 * responses, SSE streams and error bodies. Pure and synchronous; the vendors' SDKs are used for
 * their types only.
 */

export type { AnthropicErrorBody, AnthropicErrorType, OpenAIErrorBody } from './errors.js';
export { anthropicErrorBody, anthropicErrorTypeForStatus, openaiErrorBody, openaiErrorTypeForStatus, toAnthropicError, toOpenaiError } from './errors.js';
export { finishReasonFromAnthropic, stopReasonFromOpenai } from './finish-reasons.js';
export { anthropicToOpenaiRequest } from './request-anthropic-to-openai.js';
export { DEFAULT_MAX_TOKENS, openaiToAnthropicRequest } from './request-openai-to-anthropic.js';
export { anthropicToOpenaiResponse, openaiToAnthropicResponse } from './response.js';
export { SseParser } from './sse.js';
export { AnthropicToOpenaiStream, type AnthropicToOpenaiStreamOptions } from './stream-anthropic-to-openai.js';
export { OpenaiToAnthropicStream } from './stream-openai-to-anthropic.js';
export { TranslateError } from './translate-error.js';
export type {
  AnthropicMessage,
  AnthropicRequest,
  AnthropicStreamEvent,
  OpenAIChunk,
  OpenAICompletion,
  OpenAIRequest,
  SseEvent,
  StreamTranslator,
} from './types.js';
export { anthropicUsageFromOpenai, countsFromAnthropic, countsFromOpenai, openaiUsageFromAnthropic, type TokenCounts } from './usage.js';
