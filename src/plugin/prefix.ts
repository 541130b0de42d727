import { ENVELOPE_HEADER } from '../openclaw-text.js';

/** A routing tier (the daemon's `modelTier`). */
export type Tier = 'flagship' | 'lightweight';

/** A tier-forcing prefix found at the start of a message. */
export interface PrefixMatch {
  tier: Tier;
  /** The prefix as configured. */
  prefix: string;
  /** The message without the prefix and the whitespace after it. */
  text: string;
}

/**
 * Detects a tier prefix exactly as the daemon does (routing/prefix.ts): leading whitespace and
 * Latin case are ignored, the full-width colon "：" counts as ":", the longest prefix wins. The
 * plugin keeps its own copy because OpenClaw loads it without the daemon's modules.
 */
export function matchPrefix(text: string, prefixes: Readonly<Record<Tier, readonly string[]>>): PrefixMatch | null {
  const trimmed = text.replace(/^\s+/, '');
  const folded = fold(trimmed);
  for (const [prefix, tier] of candidates(prefixes)) {
    const p = fold(prefix);
    if (p.length > 0 && folded.startsWith(p)) return { tier, prefix, text: trimmed.slice(p.length).replace(/^\s+/, '') };
  }
  return null;
}

/**
 * The user's own words from a `before_model_resolve` prompt. On the paths checked against
 * OpenClaw 2026.9.6 (`openclaw agent`, local and through the Gateway) the prompt is exactly what
 * the user typed. A channel turn may carry OpenClaw's inbound envelope instead,
 * `[Telegram Ada +2m Sat 2026-11-21 18:54 UTC] Ada: text` (envelope.ts formatInboundEnvelope);
 * the header (recognised by its date) is dropped, and the sender label too when a tier prefix
 * follows it, so the daemon sees the prefix where it looks for it.
 */
export function userText(prompt: string, prefixes: Readonly<Record<Tier, readonly string[]>>): string {
  const header = ENVELOPE_HEADER.exec(prompt);
  if (!header) return prompt;
  const body = prompt.slice(header[0].length);
  if (BARE_TIMESTAMP.test(header[0])) return body;
  const label = new RegExp(`^${SENDER_LABEL}`).exec(body);
  if (label && !matchPrefix(body, prefixes) && matchPrefix(body.slice(label[0].length), prefixes)) return body.slice(label[0].length);
  return body;
}

/**
 * An envelope that is only a timestamp, `[Sat 2026-11-21 18:54 UTC]` (what `openclaw agent`
 * turns get): no sender label follows it, so "Fix the bug: F: …" is not "label: prefix".
 */
const BARE_TIMESTAMP = /^\s*\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d{2}-\d{2}[^\]\n]*\]/;
/** OpenClaw's sender label in a channel envelope body, `Ada: ` or `(self): `. */
const SENDER_LABEL = String.raw`(?:\(self\)|[^\s:：[\]][^:：\n[\]]{0,79})[:：]\s+`;

/**
 * One OpenClaw text-transform replacement (`api.registerTextTransforms({input})`, applied with
 * `String.prototype.replace` to every text part of the model request) that removes a tier prefix
 * at the start of a message, after an optional envelope header and sender label, keeping both.
 * Null when no prefixes are configured.
 */
export function prefixStripReplacement(prefixes: Readonly<Record<Tier, readonly string[]>>): { from: RegExp; to: string } | null {
  const alternatives = candidates(prefixes)
    .map(([p]) => p)
    .filter((p) => p.length > 0)
    .map((p) => [...p].map((ch) => (ch === ':' || ch === '：' ? '[:：]' : escapeRegExp(ch))).join(''));
  if (alternatives.length === 0) return null;
  // A bare timestamp header has no sender label after it; any other header may have one.
  const envelope = String.raw`\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d{2}-\d{2}[^\]\n]*\]\s+|\[(?!(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-)[^\]\n]{1,300}\]\s+(?:${SENDER_LABEL})?`;
  return { from: new RegExp(String.raw`^(\s*(?:${envelope})?)(?:${alternatives.join('|')})\s*`, 'i'), to: '$1' };
}

/** Configured prefixes with their tier, longest first (the daemon's precedence). */
function candidates(prefixes: Readonly<Record<Tier, readonly string[]>>): Array<[string, Tier]> {
  return [...prefixes.flagship.map((p): [string, Tier] => [p, 'flagship']), ...prefixes.lightweight.map((p): [string, Tier] => [p, 'lightweight'])].sort(
    (a, b) => b[0].length - a[0].length,
  );
}

/** Case- and width-folds without changing string length (so offsets stay valid). */
function fold(s: string): string {
  return s.replace(/：/g, ':').toLowerCase();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
