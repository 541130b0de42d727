import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { finishReasonFromAnthropic, stopReasonFromOpenai } from './finish-reasons.js';
import { anthropicMessageId, anthropicToolId, openaiCompletionId } from './ids.js';
import type { AnthropicMessage, OpenAICompletion } from './types.js';
import { anthropicUsageFromOpenai, openaiUsageFromAnthropic } from './usage.js';

/** Unix time in seconds (OpenAI's `created`). */
export const unixSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Anthropic message → OpenAI chat completion (one choice) answered as `model`.
 *
 * Text blocks are joined into `message.content` (null when there is none); `tool_use` blocks become
 * `message.tool_calls` (`input` → `arguments` JSON string, ids kept); thinking and server-tool
 * blocks are dropped. `finish_reason` per finish-reasons.ts, `usage` per usage.ts (prompt_tokens =
 * input + cache reads + cache writes), `id` = `chatcmpl-` + the Anthropic id, `created` = now (s).
 */
export function anthropicToOpenaiResponse(msg: AnthropicMessage, model: string): OpenAICompletion {
  let text = '';
  let hasText = false;
  const calls: OpenAI.Chat.ChatCompletionMessageFunctionToolCall[] = [];
  for (const block of msg.content ?? []) {
    if (block.type === 'text') {
      text += block.text;
      hasText = true;
    } else if (block.type === 'tool_use') {
      calls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
  }
  const message: OpenAI.Chat.ChatCompletionMessage = { role: 'assistant', content: hasText ? text : null, refusal: null };
  if (calls.length > 0) message.tool_calls = calls;
  return {
    id: openaiCompletionId(msg.id),
    object: 'chat.completion',
    created: unixSeconds(),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonFromAnthropic(msg.stop_reason) }],
    usage: openaiUsageFromAnthropic(msg.usage),
  };
}

/** Parses a tool call's `arguments` (a JSON string) for `tool_use.input`; `{}` when it is not a JSON object (the upstream already answered; nothing to refuse). */
function parseArguments(args: string | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args ?? '');
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * OpenAI chat completion → Anthropic message answered as `model`, from its first choice.
 *
 * `content` (or `refusal`) → a text block, `tool_calls` → `tool_use` blocks (`arguments` JSON →
 * `input` object; ids made Anthropic-safe, ids.ts). `stop_reason` per finish-reasons.ts (a refusal
 * → `refusal`), `usage` per usage.ts (input_tokens = prompt_tokens − cached − cache writes),
 * `id` = `msg_` + the OpenAI id.
 */
export function openaiToAnthropicResponse(completion: OpenAICompletion, model: string): AnthropicMessage {
  const id = anthropicMessageId(completion.id);
  const choice = completion.choices?.[0];
  const m = choice?.message;
  const content: Anthropic.ContentBlock[] = [];
  const refused = typeof m?.refusal === 'string' && m.refusal.length > 0;
  const text = typeof m?.content === 'string' && m.content.length > 0 ? m.content : refused ? m!.refusal! : '';
  if (text) content.push({ type: 'text', text, citations: null });
  (m?.tool_calls ?? []).forEach((call, k) => {
    if (call.type !== 'function') return;
    content.push({
      type: 'tool_use',
      id: anthropicToolId(call.id, `toolu_${id.slice(4)}_${k}`),
      name: call.function.name,
      input: parseArguments(call.function.arguments),
      caller: { type: 'direct' },
    });
  });
  const stopReason = refused ? 'refusal' : stopReasonFromOpenai(choice?.finish_reason);
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: stopReason === 'refusal' ? { type: 'refusal', category: null, explanation: null } : null,
    container: null,
    diagnostics: null,
    usage: anthropicUsageFromOpenai(completion.usage),
  };
}
