import type { AnthropicStopReason, OpenAIFinishReason } from './types.js';

/**
 * Anthropic `stop_reason` → OpenAI `finish_reason` (Anthropic Messages API "stop reasons"; OpenAI
 * Chat Completions `choices[].finish_reason`): `end_turn`/`stop_sequence` → `stop`, `max_tokens` →
 * `length`, `tool_use` → `tool_calls`, `refusal` → `content_filter`. `model_context_window_exceeded`
 * → `length` (output cut by a token limit); `pause_turn` (a server-tool loop paused) and null → `stop`.
 */
export function finishReasonFromAnthropic(reason: AnthropicStopReason | null | undefined): OpenAIFinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * OpenAI `finish_reason` → Anthropic `stop_reason` (the reverse of finishReasonFromAnthropic):
 * `stop` → `end_turn` (OpenAI does not say whether a stop sequence matched), `length` → `max_tokens`,
 * `tool_calls` and the legacy `function_call` → `tool_use`, `content_filter` → `refusal`; null → `end_turn`.
 */
export function stopReasonFromOpenai(reason: OpenAIFinishReason | null | undefined): AnthropicStopReason {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}
