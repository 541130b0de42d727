/**
 * What OpenClaw adds around a user's words in the model requests it sends (checked against
 * openclaw 2026.9.6): a timestamp envelope at the start of the user message,
 * `[Sat 2026-12-05 03:10 UTC] …` (envelope.ts formatInboundEnvelope; channel turns add a sender
 * label), a trailing `Runtime: agent=main | session=… | model=…` line on some transports, and a
 * separate user message of internal context between `<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>` and
 * `<<<END_OPENCLAW_INTERNAL_CONTEXT>>>` (runtime-context-prompt prependRuntimeContextForModel).
 * At the root of src/ so the plugin and the model API read a turn the same way; no imports.
 */

/** An envelope header: `[` … a date … `]` and the space after it (channel envelopes carry a sender too). */
export const ENVELOPE_HEADER = /^\s*\[[^\]\n]{0,300}\d{4}-\d{2}-\d{2}[^\]\n]{0,100}\]\s+/;

/** OpenClaw's trailing runtime line, with the blank line before it. */
const RUNTIME_LINE = /\n\s*\nRuntime: agent=[^\n]*\s*$/;

/** OpenClaw's internal-context block, as a whole text. */
const INTERNAL_CONTEXT = /^\s*<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>[\s\S]*<<<END_OPENCLAW_INTERNAL_CONTEXT>>>\s*$/;

/** Whether `text` is only OpenClaw's internal context (no words of the user). */
export function isOpenclawInternalContext(text: string): boolean {
  return INTERNAL_CONTEXT.test(text);
}

/**
 * Splits a user text into OpenClaw's envelope header, the user's words, and OpenClaw's trailing
 * runtime line; `head + body + tail === text`. Texts OpenClaw did not wrap come back whole as `body`.
 */
export function splitOpenclawEnvelope(text: string): { head: string; body: string; tail: string } {
  const head = ENVELOPE_HEADER.exec(text)?.[0] ?? '';
  const rest = text.slice(head.length);
  const tail = RUNTIME_LINE.exec(rest)?.[0] ?? '';
  return { head, body: rest.slice(0, rest.length - tail.length), tail };
}
