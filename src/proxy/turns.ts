import { createHash } from 'node:crypto';

/** The two client protocols of the model API. */
export type ClientProtocol = 'openai' | 'anthropic';

interface TextPart {
  type: 'text';
  text: string;
}
type Message = { role?: unknown; content?: unknown };

const isTextPart = (p: unknown): p is TextPart =>
  typeof p === 'object' && p !== null && (p as TextPart).type === 'text' && typeof (p as TextPart).text === 'string';

/** Text parts of one message's content (a string is one part), or [] when it has none. */
function textsOf(m: Message): string[] {
  if (typeof m.content === 'string') return [m.content];
  return Array.isArray(m.content) ? m.content.filter(isTextPart).map((p) => p.text) : [];
}

/**
 * Index of the newest user message that carries text (OpenAI Chat Completions and Anthropic
 * Messages both list turns oldest first). An Anthropic user message holding only tool results is
 * no user turn: the agent loop continues, and the human's last words still decide. -1 if none.
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
 * Rewrites the newest user turn's first text with `rewrite` (used to strip a prefix command before
 * forwarding, as the OpenClaw plugin's text transform does). Mutates `messages`; returns whether
 * anything changed.
 */
export function rewriteNewestUserText(messages: unknown, rewrite: (text: string) => string): boolean {
  const i = newestUserTurn(messages);
  if (i === -1) return false;
  const m = (messages as Message[])[i]!;
  if (typeof m.content === 'string') {
    const next = rewrite(m.content);
    if (next === m.content) return false;
    m.content = next;
    return true;
  }
  const part = (m.content as unknown[]).find(isTextPart);
  if (!part) return false;
  const next = rewrite(part.text);
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
