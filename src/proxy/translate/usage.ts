import type Anthropic from '@anthropic-ai/sdk';
import type { AnthropicUsage, OpenAIUsage } from './types.js';

/**
 * Token counts of one answer, protocol-neutral. `input` excludes the cache: prompt = input +
 * cacheRead + cacheWrite. `thinking` is part of `output` (both vendors bill reasoning as output),
 * null when the upstream did not report it.
 */
export interface TokenCounts {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  thinking: number | null;
}

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** What an Anthropic usage object may hold (a message's `usage` or a `message_delta`'s, partly null). */
type AnthropicUsageLike = Partial<Pick<AnthropicUsage, 'cache_creation_input_tokens' | 'cache_read_input_tokens' | 'output_tokens_details'>> & {
  input_tokens?: number | null;
  output_tokens?: number | null;
};

/**
 * Counts from Anthropic usage (Anthropic Messages API `usage`: `input_tokens` counts only the
 * uncached input; `cache_read_input_tokens` and `cache_creation_input_tokens` come on top of it).
 */
export function countsFromAnthropic(u: AnthropicUsageLike | null | undefined): TokenCounts {
  return {
    input: n(u?.input_tokens),
    cacheRead: n(u?.cache_read_input_tokens),
    cacheWrite: n(u?.cache_creation_input_tokens),
    output: n(u?.output_tokens),
    thinking: u?.output_tokens_details ? n(u.output_tokens_details.thinking_tokens) : null,
  };
}

/**
 * Counts from OpenAI usage (OpenAI Chat Completions `usage`: `prompt_tokens` INCLUDES
 * `prompt_tokens_details.cached_tokens` and `cache_write_tokens`, so both are subtracted to get the
 * uncached input; never below 0).
 */
export function countsFromOpenai(u: OpenAIUsage | null | undefined): TokenCounts {
  const cacheRead = n(u?.prompt_tokens_details?.cached_tokens);
  const cacheWrite = n(u?.prompt_tokens_details?.cache_write_tokens);
  const reasoning = u?.completion_tokens_details?.reasoning_tokens;
  return {
    input: Math.max(0, n(u?.prompt_tokens) - cacheRead - cacheWrite),
    cacheRead,
    cacheWrite,
    output: n(u?.completion_tokens),
    thinking: typeof reasoning === 'number' ? n(reasoning) : null,
  };
}

/**
 * OpenAI `usage` from counts: `prompt_tokens` = input + cache reads + cache writes (OpenAI counts
 * cached tokens in the prompt), `prompt_tokens_details.cached_tokens` = cache reads,
 * `cache_write_tokens` only when some were written, `completion_tokens_details.reasoning_tokens`
 * only when the upstream reported thinking tokens.
 */
export function openaiUsage(c: TokenCounts): OpenAIUsage {
  const prompt = c.input + c.cacheRead + c.cacheWrite;
  const usage: OpenAIUsage = {
    prompt_tokens: prompt,
    completion_tokens: c.output,
    total_tokens: prompt + c.output,
    prompt_tokens_details: c.cacheWrite > 0 ? { cached_tokens: c.cacheRead, cache_write_tokens: c.cacheWrite } : { cached_tokens: c.cacheRead },
  };
  if (c.thinking !== null) usage.completion_tokens_details = { reasoning_tokens: c.thinking };
  return usage;
}

/** Anthropic `usage` of a message from counts (`input_tokens` without the cache; fields it has no data for are null). */
export function anthropicUsage(c: TokenCounts): AnthropicUsage {
  return {
    input_tokens: c.input,
    output_tokens: c.output,
    cache_read_input_tokens: c.cacheRead,
    cache_creation_input_tokens: c.cacheWrite,
    cache_creation: null,
    output_tokens_details: c.thinking === null ? null : { thinking_tokens: c.thinking },
    server_tool_use: null,
    inference_geo: null,
    service_tier: null,
    speed: null,
  };
}

/** Anthropic `message_delta.usage` from counts (cumulative totals, Anthropic Messages streaming). */
export function anthropicDeltaUsage(c: TokenCounts): Anthropic.MessageDeltaUsage {
  return {
    input_tokens: c.input,
    output_tokens: c.output,
    cache_read_input_tokens: c.cacheRead,
    cache_creation_input_tokens: c.cacheWrite,
    output_tokens_details: c.thinking === null ? null : { thinking_tokens: c.thinking },
    server_tool_use: null,
  };
}

/** OpenAI `usage` from Anthropic `usage` (see openaiUsage for the cached-token rule). */
export function openaiUsageFromAnthropic(u: AnthropicUsageLike | null | undefined): OpenAIUsage {
  return openaiUsage(countsFromAnthropic(u));
}

/** Anthropic `usage` from OpenAI `usage` (see countsFromOpenai for the cached-token rule). */
export function anthropicUsageFromOpenai(u: OpenAIUsage | null | undefined): AnthropicUsage {
  return anthropicUsage(countsFromOpenai(u));
}
