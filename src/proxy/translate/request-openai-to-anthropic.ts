import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { anthropicDocument, anthropicImage } from './content.js';
import { anthropicToolId } from './ids.js';
import { anthropicToolChoice, anthropicTools } from './tools.js';
import { TranslateError } from './translate-error.js';
import type { AnthropicRequest, OpenAIRequest } from './types.js';

/** `max_tokens` when the OpenAI request sets none: Anthropic requires it (Anthropic Messages API), OpenAI defaults to the model's limit. */
export const DEFAULT_MAX_TOKENS = 4096;

/*
 * OpenAI request fields dropped on the way to Anthropic (no counterpart in the Messages API):
 * - frequency_penalty, presence_penalty, logit_bias, seed: sampling controls Anthropic lacks.
 * - logprobs, top_logprobs: Anthropic returns no log probabilities.
 * - n (1 only; n > 1 is refused, Anthropic answers one message per request).
 * - stream_options: Anthropic always streams usage (message_start, message_delta).
 * - response_format json_object / text: no JSON-mode switch; json_schema IS mapped (output_config.format).
 * - reasoning_effort, verbosity: model-specific; Anthropic's thinking budget / effort are set per
 *   model, not derivable from OpenAI's levels without guessing.
 * - metadata (OpenAI's key-value tags for stored completions), store, service_tier (other value
 *   sets), prompt_cache_key, prompt_cache_retention, prompt_cache_options, prediction, modalities,
 *   audio, web_search_options, moderation: OpenAI platform features.
 * - functions, function_call: the legacy function-calling API (use tools); role `function`
 *   messages are refused since their results carry no call id.
 * - message `name`, image `detail`: no counterpart.
 */

type Block = Anthropic.ContentBlockParam;
interface Turn {
  role: 'user' | 'assistant';
  blocks: Block[];
}

/** Text of an OpenAI content given as a string or text parts (refusal parts count as text); empty parts skipped. */
function texts(content: unknown): string[] {
  if (typeof content === 'string') return content.length > 0 ? [content] : [];
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const p of content as Array<{ type?: string; text?: unknown; refusal?: unknown }>) {
    if (p?.type === 'text' && typeof p.text === 'string' && p.text.length > 0) out.push(p.text);
    else if (p?.type === 'refusal' && typeof p.refusal === 'string' && p.refusal.length > 0) out.push(p.refusal);
  }
  return out;
}

/** An OpenAI user message's content → Anthropic blocks (text, image, PDF document). */
function userBlocks(content: OpenAI.Chat.ChatCompletionUserMessageParam['content'], where: string): Block[] {
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) throw new TranslateError('content: a string or an array of parts', where);
  const out: Block[] = [];
  content.forEach((part, j) => {
    const at = `${where}[${j}]`;
    switch (part?.type) {
      case 'text':
        if (part.text.length > 0) out.push({ type: 'text', text: part.text });
        break;
      case 'image_url':
        out.push(anthropicImage(part, at));
        break;
      case 'file':
        out.push(anthropicDocument(part, at));
        break;
      default:
        throw new TranslateError(`content part of type ${String((part as { type?: unknown })?.type)}: no Anthropic counterpart`, at);
    }
  });
  return out;
}

/** Parses a tool call's `arguments` (a JSON string) into the object Anthropic's `tool_use.input` requires; '' is `{}`. */
function toolInput(args: unknown, where: string): Record<string, unknown> {
  if (args === undefined || args === null || (typeof args === 'string' && args.trim() === '')) return {};
  let parsed: unknown;
  try {
    parsed = typeof args === 'string' ? JSON.parse(args) : args;
  } catch {
    throw new TranslateError('function.arguments: not valid JSON (Anthropic tool_use.input must be an object)', where);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new TranslateError('function.arguments: not a JSON object (Anthropic tool_use.input must be an object)', where);
  return parsed as Record<string, unknown>;
}

/** An OpenAI assistant message → Anthropic blocks: its text, then one `tool_use` per tool call. */
function assistantBlocks(m: OpenAI.Chat.ChatCompletionAssistantMessageParam, where: string): Block[] {
  if (m.function_call)
    throw new TranslateError('function_call: the legacy function-calling API has no Anthropic counterpart (use tool_calls)', `${where}.function_call`);
  const out: Block[] = texts(m.content).map((text) => ({ type: 'text', text }));
  if (typeof m.refusal === 'string' && m.refusal.length > 0 && out.length === 0) out.push({ type: 'text', text: m.refusal });
  (m.tool_calls ?? []).forEach((call, k) => {
    const at = `${where}.tool_calls[${k}]`;
    if (call?.type !== 'function') throw new TranslateError(`tool call of type ${String(call?.type)}: no Anthropic counterpart`, at);
    out.push({
      type: 'tool_use',
      id: anthropicToolId(call.id, `toolu_${k}`),
      name: call.function.name,
      input: toolInput(call.function.arguments, `${at}.function.arguments`),
    });
  });
  return out;
}

/** An OpenAI `tool` message → one Anthropic `tool_result` block (string content stays a string; text parts become text blocks). */
function toolResult(m: OpenAI.Chat.ChatCompletionToolMessageParam, where: string): Anthropic.ToolResultBlockParam {
  const block: Anthropic.ToolResultBlockParam = { type: 'tool_result', tool_use_id: anthropicToolId(m.tool_call_id, '') };
  if (!block.tool_use_id) throw new TranslateError('tool_call_id: required', `${where}.tool_call_id`);
  if (typeof m.content === 'string') {
    if (m.content.length > 0) block.content = m.content;
  } else {
    const parts = texts(m.content);
    if (parts.length > 0) block.content = parts.map((text) => ({ type: 'text', text }));
  }
  return block;
}

/**
 * Merges consecutive turns of one role into one (Anthropic Messages API: user and assistant turns
 * alternate; consecutive turns of one role are combined into a single turn). This is what puts the
 * results of parallel tool calls (one OpenAI `tool` message each) into ONE user message, tool
 * results first, as Anthropic requires. A turn of a single text block becomes a string.
 */
function mergeTurns(turns: Turn[]): Anthropic.MessageParam[] {
  const merged: Turn[] = [];
  for (const t of turns) {
    if (t.blocks.length === 0) continue;
    const last = merged.at(-1);
    if (last && last.role === t.role) last.blocks.push(...t.blocks);
    else merged.push({ role: t.role, blocks: [...t.blocks] });
  }
  return merged.map((t) => {
    const only = t.blocks.length === 1 ? t.blocks[0] : undefined;
    return { role: t.role, content: only?.type === 'text' ? only.text : t.blocks };
  });
}

/**
 * OpenAI Chat Completions request → Anthropic Messages request for upstream `model`.
 *
 * - `system` and `developer` messages (anywhere) → top-level `system`: a string when there is one
 *   text, else text blocks in order (Anthropic Messages API: no system role in `messages`).
 * - user content: text, `image_url` (data: URL → base64 source, http(s) → url source), `file`
 *   (base64 PDF → document); assistant `tool_calls` → `tool_use` blocks (`arguments` JSON string →
 *   `input` object); `tool` messages → `tool_result` blocks in a user turn; consecutive turns of one
 *   role merged (see mergeTurns).
 * - `max_completion_tokens` ?? `max_tokens` ?? 4096 → `max_tokens`; `stop` → `stop_sequences`;
 *   `temperature` (OpenAI 0..2) clamped to Anthropic's 0..1; `top_p`; `stream`; `user` (or
 *   `safety_identifier`) → `metadata.user_id`; tools, tool_choice, parallel_tool_calls (tools.ts);
 *   `response_format` json_schema → `output_config.format`.
 *
 * Throws TranslateError for content with no counterpart (audio, file ids, legacy function messages).
 * Dropped fields are listed at the top of this file.
 */
export function openaiToAnthropicRequest(body: OpenAIRequest, model: string): AnthropicRequest {
  if (!Array.isArray(body?.messages)) throw new TranslateError('messages: required, an array', 'messages');
  if (typeof body.n === 'number' && body.n > 1) throw new TranslateError('n > 1: Anthropic answers one message per request', 'n');
  const system: string[] = [];
  const turns: Turn[] = [];
  body.messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    switch (m?.role) {
      case 'system':
      case 'developer':
        system.push(...texts(m.content));
        break;
      case 'user':
        turns.push({ role: 'user', blocks: userBlocks(m.content, `${where}.content`) });
        break;
      case 'assistant':
        turns.push({ role: 'assistant', blocks: assistantBlocks(m, where) });
        break;
      case 'tool':
        turns.push({ role: 'user', blocks: [toolResult(m, where)] });
        break;
      default:
        throw new TranslateError(`role ${String((m as { role?: unknown })?.role)}: no Anthropic counterpart`, `${where}.role`);
    }
  });

  const out: AnthropicRequest = {
    model,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages: mergeTurns(turns),
  };
  if (system.length === 1) out.system = system[0]!;
  else if (system.length > 1) out.system = system.map((text) => ({ type: 'text', text }));
  const stop = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s) => typeof s === 'string' && s.length > 0) : [];
  if (stop.length > 0) out.stop_sequences = stop;
  if (typeof body.temperature === 'number') out.temperature = Math.min(1, Math.max(0, body.temperature));
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (body.stream === true) out.stream = true;
  const user = body.user || body.safety_identifier;
  if (user) out.metadata = { user_id: user };
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    out.tools = anthropicTools(body.tools);
    const choice = anthropicToolChoice(body.tool_choice, body.parallel_tool_calls);
    if (choice) out.tool_choice = choice;
  }
  const format = body.response_format;
  if (format?.type === 'json_schema' && format.json_schema?.schema) out.output_config = { format: { type: 'json_schema', schema: format.json_schema.schema } };
  return out;
}
