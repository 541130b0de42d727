import { createHash } from 'node:crypto';
import { SrdError } from '../errors.js';
import { type Intent, isIntent, isTier, type Tier } from '../intents.js';

/**
 * Patches: the user's explicit corrections, one vector each, which the router consults before
 * the DNA. This file holds their shape, validation and the text hash. Rule: DESIGN.md §4, §6.
 */

/** Where a learning event came from (DESIGN.md §4: prefixes and explicit feedback, never the router itself). */
export type PatchOrigin = 'prefix' | 'feedback' | 'cli';

/** Every origin, in the order of its journal code (index = byte value). */
export const PATCH_ORIGINS: readonly PatchOrigin[] = ['prefix', 'feedback', 'cli'];

/** Type guard for patch origins. */
export function isPatchOrigin(value: unknown): value is PatchOrigin {
  return (PATCH_ORIGINS as readonly unknown[]).includes(value);
}

/**
 * One stored learning event (or several near-duplicates merged at compaction). Objects handed
 * out by the store are frozen; never write into `vector`. Rule: DESIGN.md §6.
 */
export interface Patch {
  /** Sequence number: strictly increasing in append order, never reused (a merge keeps its newest member's id). */
  readonly id: number;
  /** The embedding, `space.dims` float32 values (L2-normalised when the embedder is). */
  readonly vector: Float32Array;
  /** The tier the user asked for. */
  readonly tier: Tier;
  /** The intent, when the event named one; null otherwise. */
  readonly label: Intent | null;
  /** When the event happened, ms since the epoch (float64: no int32 overflow, DESIGN.md §4). */
  readonly timestamp: number;
  /** Initial weight w0 at `timestamp`; the weight used for scoring is decayedWeight(w0, now − timestamp). */
  readonly weight: number;
  /** sha256 hex of the NFKC-normalised text; the text itself is never stored. */
  readonly textHash: string;
  /** Where the event came from. */
  readonly origin: PatchOrigin;
}

/** What a caller hands to MemoryStore.append; the store assigns id, timestamp and textHash. */
export interface NewPatch {
  /** The embedding of `text`; must have exactly `space.dims` finite values (else TypeError). Copied. */
  vector: Float32Array;
  tier: Tier;
  /** Intent, when known. Default null. */
  label?: Intent | null;
  /** The user's text (after stripping a prefix); only its hash is kept. */
  text: string;
  origin: PatchOrigin;
  /** Initial weight w0, finite and > 0. Default 1. */
  weight?: number;
}

/** Bytes of a sha256 digest. */
export const TEXT_HASH_BYTES = 32;

/**
 * sha256 hex (64 lowercase chars) of `text` after Unicode NFKC normalisation, so full-width and
 * half-width spellings of one message hash alike. Rule: DESIGN.md §5 "source text hash".
 */
export function hashText(text: string): string {
  return createHash('sha256').update(text.normalize('NFKC'), 'utf8').digest('hex');
}

/** True for a 64-char lowercase hex string (a sha256 digest). */
export function isTextHash(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/**
 * A character that carries meaning: not whitespace (Unicode White_Space, which \s covers), not a
 * control character (Cc: NUL, ESC, DEL, C1) and not an invisible format character (Cf: zero-width
 * space and joiners, BOM, bidi marks).
 */
const MEANINGFUL_CHAR = /[^\s\p{Cc}\p{Cf}]/u;

/** The message of SRD_ERR_PATCH_EMPTY (and of the route.feedback schema's check): what is wrong and what to send instead. */
export const EMPTY_PATCH_TEXT_MESSAGE = 'text has nothing to learn from: it is empty or only whitespace or control characters; send the message itself';

/**
 * True when `text` can become a patch: a string with at least one character that is neither
 * whitespace nor a control or invisible format character. `""`, `"   "` and `"\u0000\u0000"`
 * cannot: their embedding says nothing about the message, yet a patch of it would pull every
 * near-empty message to one tier. The one rule for every way a correction arrives (prefix,
 * route.feedback, `smart-routerd learn`); the gateway's route.feedback schema states it too.
 * Rule: issue 15, DESIGN.md §4.
 */
export function isLearnableText(text: unknown): text is string {
  return typeof text === 'string' && MEANINGFUL_CHAR.test(text);
}

/**
 * Checks a NewPatch against the store's embedding dimension and returns the fields the store
 * keeps (vector copied). Throws SrdError SRD_ERR_PATCH_EMPTY (wire INVALID_REQUEST) when the text
 * has nothing to learn from (isLearnableText), and TypeError naming the bad field otherwise:
 * vector not a Float32Array, wrong length (≠ dims), a non-finite value, unknown tier / label /
 * origin, text not a string, weight not finite and > 0.
 */
export function checkNewPatch(
  p: NewPatch,
  dims: number,
): { vector: Float32Array; tier: Tier; label: Intent | null; textHash: string; origin: PatchOrigin; weight: number } {
  if (typeof p !== 'object' || p === null) throw new TypeError('patch must be an object');
  if (!(p.vector instanceof Float32Array)) throw new TypeError('patch.vector must be a Float32Array');
  if (p.vector.length !== dims) throw new TypeError(`patch.vector has ${p.vector.length} dims, the embedding space has ${dims}`);
  for (let i = 0; i < p.vector.length; i++) {
    if (!Number.isFinite(p.vector[i])) throw new TypeError(`patch.vector[${i}] is not finite (${p.vector[i]})`);
  }
  if (!isTier(p.tier)) throw new TypeError(`patch.tier must be "flagship" or "lightweight" (got ${JSON.stringify(p.tier)})`);
  const label = p.label ?? null;
  if (label !== null && !isIntent(label)) throw new TypeError(`patch.label must be an intent or null (got ${JSON.stringify(label)})`);
  if (typeof p.text !== 'string') throw new TypeError('patch.text must be a string');
  if (!isLearnableText(p.text)) throw new SrdError('SRD_ERR_PATCH_EMPTY', EMPTY_PATCH_TEXT_MESSAGE, { details: { chars: [...p.text].length } });
  if (!isPatchOrigin(p.origin)) throw new TypeError(`patch.origin must be one of ${PATCH_ORIGINS.join(', ')} (got ${JSON.stringify(p.origin)})`);
  const weight = p.weight ?? 1;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) throw new TypeError(`patch.weight must be a finite number > 0 (got ${weight})`);
  return { vector: p.vector.slice(), tier: p.tier, label, textHash: hashText(p.text), origin: p.origin, weight };
}

/** Freezes a patch object (not its vector) so callers cannot edit the store's state by accident. */
export function freezePatch(p: Patch): Patch {
  return Object.freeze(p);
}
