import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { openaiDocument, openaiImage } from './content.js';
import { openaiToolChoice, openaiTools } from './tools.js';
import { TranslateError } from './translate-error.js';
import type { AnthropicRequest, OpenAIRequest } from './types.js';

/*
 * Anthropic request fields dropped on the way to OpenAI (no counterpart in Chat Completions):
 * - top_k: OpenAI has no top-k sampling.
 * - thinking (and thinking / redacted_thinking blocks in assistant history): OpenAI takes no
 *   reasoning config of this shape, and reasoning cannot be sent back to it.
 * - output_config.effort: model-specific (see request-openai-to-anthropic.ts); output_config.format IS mapped.
 * - cache_control (top level and on blocks): OpenAI caches prompts automatically.
 * - tool_result `is_error`: an OpenAI tool message has no error flag (its content still says what failed).
 * - citations on text blocks, document `context`, container, context_management, inference_geo,
 *   service_tier, speed, diagnostics, user_profile_id, workspace_id: Anthropic platform features.
 */

type Part = OpenAI.Chat.ChatCompletionContentPart;
type Message = OpenAI.Chat.ChatCompletionMessageParam;

/** An Anthropic system prompt (string or text blocks) as one string: block texts joined with a blank line. */
function systemText(system: string | Anthropic.TextBlockParam[]): string {
  if (typeof system === 'string') return system;
  return system
    .filter((b) => b?.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text)
    .join('\n\n');
}

/** User parts as OpenAI content: one text part collapses to a string. */
function userContent(parts: Part[]): string | Part[] {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only?.type === 'text' ? only.text : parts;
}

/** One non-tool user block → an OpenAI part (text, image, PDF document). */
function userPart(block: Anthropic.ContentBlockParam, where: string): Part {
  switch (block?.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
      return openaiImage(block, where);
    case 'document':
      return openaiDocument(block, where);
    default:
      throw new TranslateError(`content block of type ${String((block as { type?: unknown })?.type)}: no OpenAI counterpart in a user message`, where);
  }
}

/**
 * An Anthropic user message → OpenAI messages: one `tool` message per `tool_result` block (OpenAI
 * Chat Completions: tool messages directly follow the assistant's tool calls), then a `user`
 * message with the rest. A tool message holds text only, so images or documents in a tool result
 * move to that user message, in order.
 */
function userMessages(blocks: Anthropic.ContentBlockParam[], where: string): Message[] {
  const out: Message[] = [];
  const parts: Part[] = [];
  blocks.forEach((block, j) => {
    const at = `${where}[${j}]`;
    if (block?.type !== 'tool_result') {
      parts.push(userPart(block, at));
      return;
    }
    const texts: string[] = [];
    if (typeof block.content === 'string') texts.push(block.content);
    else
      (block.content ?? []).forEach((inner, k) => {
        const part = userPart(inner as Anthropic.ContentBlockParam, `${at}.content[${k}]`);
        if (part.type === 'text') texts.push(part.text);
        else parts.push(part);
      });
    out.push({ role: 'tool', tool_call_id: block.tool_use_id, content: texts.join('\n') });
  });
  if (parts.length > 0) out.push({ role: 'user', content: userContent(parts) });
  return out;
}

/**
 * An Anthropic assistant message → one OpenAI assistant message: text blocks joined (a citation
 * splits one sentence into several blocks, so no separator), `tool_use` blocks → `tool_calls`
 * (`input` object → `arguments` JSON string). Thinking blocks are dropped; null when nothing is left.
 */
function assistantMessage(blocks: Anthropic.ContentBlockParam[], where: string): OpenAI.Chat.ChatCompletionAssistantMessageParam | null {
  let text = '';
  const calls: OpenAI.Chat.ChatCompletionMessageFunctionToolCall[] = [];
  blocks.forEach((block, j) => {
    switch (block?.type) {
      case 'text':
        text += block.text;
        break;
      case 'tool_use':
        calls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
        break;
      case 'thinking':
      case 'redacted_thinking':
        break;
      default:
        throw new TranslateError(
          `content block of type ${String((block as { type?: unknown })?.type)}: no OpenAI counterpart in an assistant message`,
          `${where}[${j}]`,
        );
    }
  });
  if (text.length === 0 && calls.length === 0) return null;
  const m: OpenAI.Chat.ChatCompletionAssistantMessageParam = { role: 'assistant', content: text.length > 0 ? text : null };
  if (calls.length > 0) m.tool_calls = calls;
  return m;
}

/**
 * Anthropic Messages request → OpenAI Chat Completions request for upstream `model`.
 *
 * - top-level `system` (string or text blocks) → a leading `system` message; a `system`-role entry
 *   of `messages` → a `system` message in place.
 * - user blocks: text, `image` (base64 → data: URL, url → URL), `document` (base64 PDF → `file`
 *   part, plain text → text); `tool_result` → `tool` messages first (see userMessages); assistant
 *   blocks: text and `tool_use` → `tool_calls` (see assistantMessage).
 * - `max_tokens` → `max_completion_tokens` (OpenAI's current field; `max_tokens` is deprecated and
 *   refused by its reasoning models); `stop_sequences` → `stop`; `temperature`; `top_p`;
 *   `metadata.user_id` → `user`; `stream: true` → also `stream_options.include_usage: true` (so the
 *   usage Anthropic clients expect in `message_delta` arrives); tools, tool_choice
 *   (`disable_parallel_tool_use` → `parallel_tool_calls: false`); `output_config.format` →
 *   `response_format` json_schema (strict, like Anthropic's structured outputs).
 *
 * Throws TranslateError for server tools and content with no counterpart. Dropped fields are
 * listed at the top of this file.
 */
export function anthropicToOpenaiRequest(body: AnthropicRequest, model: string): OpenAIRequest {
  if (!Array.isArray(body?.messages)) throw new TranslateError('messages: required, an array', 'messages');
  const messages: Message[] = [];
  if (body.system !== undefined && body.system !== null) {
    const text = systemText(body.system);
    if (text.length > 0) messages.push({ role: 'system', content: text });
  }
  body.messages.forEach((m, i) => {
    const where = `messages[${i}].content`;
    if (m?.role === 'system') {
      messages.push({ role: 'system', content: systemText(m.content) });
      return;
    }
    if (m?.role !== 'user' && m?.role !== 'assistant')
      throw new TranslateError(`role ${String((m as { role?: unknown })?.role)}: no OpenAI counterpart`, `messages[${i}].role`);
    if (typeof m.content === 'string') {
      messages.push({ role: m.role, content: m.content });
      return;
    }
    if (!Array.isArray(m.content)) throw new TranslateError('content: a string or an array of blocks', where);
    if (m.role === 'user') messages.push(...userMessages(m.content, where));
    else {
      const a = assistantMessage(m.content, where);
      if (a) messages.push(a);
    }
  });

  const out: OpenAIRequest = { model, messages, max_completion_tokens: body.max_tokens };
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) out.stop = body.stop_sequences;
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  if (body.metadata?.user_id) out.user = body.metadata.user_id;
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    out.tools = openaiTools(body.tools);
    Object.assign(out, openaiToolChoice(body.tool_choice));
  }
  const format = body.output_config?.format;
  if (format?.type === 'json_schema') out.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema, strict: true } };
  return out;
}
