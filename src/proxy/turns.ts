import { createHash } from 'node:crypto';
import { isOpenclawInternalContext, splitOpenclawEnvelope } from '../openclaw-text.js';

/** The two client protocols of the model API. */
export type ClientProtocol = 'openai' | 'anthropic';

interface TextPart {
  type: 'text';
  text: string;
}
type Message = { role?: unknown; content?: unknown };

const isTextPart = (p: unknown): p is TextPart =>
  typeof p === 'object' && p !== null && (p as TextPart).type === 'text' && typeof (p as TextPart).text === 'string';

/**
 * Text parts of one message's content that carry the user's words (a string is one part): OpenClaw's
 * internal-context blocks are not the user's, so they are left out (src/openclaw-text.ts).
 */
function textParts(m: Message): TextPart[] {
  const parts = typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : Array.isArray(m.content) ? m.content.filter(isTextPart) : [];
  return parts.filter((p) => !isOpenclawInternalContext(p.text));
}

/** The user's own words of those parts: OpenClaw's envelope header and runtime line removed. */
function textsOf(m: Message): string[] {
  return textParts(m).map((p) => splitOpenclawEnvelope(p.text).body);
}

/**
 * Index of the newest user message that carries text (OpenAI Chat Completions and Anthropic
 * Messages both list turns oldest first). An Anthropic user message holding only tool results is
 * no user turn: the agent loop continues, and the human's last words still decide; nor is the user
 * message OpenClaw appends with its internal context. -1 if none.
 */
export function newestUserTurn(messages: unknown): number {
  if (!Array.isArray(messages)) return -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Message;
    if (m?.role === 'user' && textsOf(m).some((t) => t.trim().length > 0)) return i;
  }
  return -1;
}

/** The text the router reads: the newest user turn's text parts joined with newlines ('' when none). */
export function routedText(messages: unknown): string {
  const i = newestUserTurn(messages);
  return i === -1 ? '' : textsOf((messages as Message[])[i]!).join('\n');
}

/**
 * Rewrites the user's words in the newest user turn's first text with `rewrite` (used to strip a
 * prefix command before forwarding, as the OpenClaw plugin's text transform does), keeping
 * OpenClaw's envelope header and runtime line around them. Mutates `messages`; returns whether
 * anything changed.
 */
export function rewriteNewestUserText(messages: unknown, rewrite: (text: string) => string): boolean {
  const i = newestUserTurn(messages);
  if (i === -1) return false;
  const m = (messages as Message[])[i]!;
  const apply = (text: string) => {
    const { head, body, tail } = splitOpenclawEnvelope(text);
    return head + rewrite(body) + tail;
  };
  if (typeof m.content === 'string') {
    const next = apply(m.content);
    if (next === m.content) return false;
    m.content = next;
    return true;
  }
  const part = textParts(m)[0];
  if (!part) return false;
  const next = apply(part.text);
  if (next === part.text) return false;
  part.text = next;
  return true;
}

/**
 * A conversation's sticky-session key when the client sends no session header: a hash of the
 * system prompt and the first user turn, which stay the same for every later turn of one
 * conversation (issue 12). OpenAI: `system`/`developer` messages; Anthropic: the top-level `system`.
 */
export function conversationKey(protocol: ClientProtocol, body: { messages?: unknown; system?: unknown }): string | null {
  const messages = Array.isArray(body.messages) ? (body.messages as Message[]) : [];
  const firstUser = messages.find((m) => m?.role === 'user');
  if (!firstUser) return null;
  const system =
    protocol === 'anthropic'
      ? JSON.stringify(body.system ?? '')
      : JSON.stringify(messages.filter((m) => m?.role === 'system' || m?.role === 'developer').map((m) => m.content));
  return createHash('sha256').update(system).update('\u0000').update(JSON.stringify(firstUser.content)).digest('hex').slice(0, 32);
}
