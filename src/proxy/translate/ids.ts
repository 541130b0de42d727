import { randomUUID } from 'node:crypto';

/** A fresh random id body: 24 hex digits. */
export const randomIdBody = (): string => randomUUID().replaceAll('-', '').slice(0, 24);

/**
 * The OpenAI id of a chat completion made from an upstream answer: the upstream id prefixed with
 * `chatcmpl-` (OpenAI's prefix), kept whole so the answer can be found in the upstream's logs.
 */
export function openaiCompletionId(upstreamId: string | null | undefined): string {
  if (!upstreamId) return `chatcmpl-${randomIdBody()}`;
  return upstreamId.startsWith('chatcmpl-') ? upstreamId : `chatcmpl-${upstreamId}`;
}

/** The Anthropic id of a message made from an upstream answer: the upstream id prefixed with `msg_` (Anthropic's prefix). */
export function anthropicMessageId(upstreamId: string | null | undefined): string {
  if (!upstreamId) return `msg_${randomIdBody()}`;
  return upstreamId.startsWith('msg_') ? upstreamId : `msg_${upstreamId}`;
}

/**
 * A tool call id as Anthropic accepts it (`tool_use.id` and `tool_result.tool_use_id` match
 * `^[a-zA-Z0-9_-]+$`, Anthropic Messages API): characters outside that set become `_`; empty → `fallback`.
 * Deterministic, so an id rewritten in an answer is rewritten the same way when the client sends
 * it back in the next request's history. OpenAI's own ids (`call_…`) pass unchanged.
 */
export function anthropicToolId(id: string | null | undefined, fallback: string): string {
  if (typeof id !== 'string' || id.length === 0) return fallback;
  return id.replace(/[^a-zA-Z0-9_-]/g, '_');
}
