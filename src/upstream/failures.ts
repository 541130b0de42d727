import type { IncomingHttpHeaders } from 'node:http';

/**
 * Why an upstream attempt failed, one class per rule of the failover table (docs/failover.md,
 * issue 13). Each class says whether the next candidate is tried and what cools down.
 */
export type FailureClass =
  /** 429 or a rate-limit error: honour retry-after, cool (profile, model), next profile, then next model. */
  | 'rate_limit'
  /** 402 or a billing/quota error: billing cooldown of the profile, doubling per repeat. */
  | 'billing'
  /** 5xx, 529, connection refused/reset, TLS, connect or first-byte timeout: next candidate; repeats lengthen the cooldown. */
  | 'transient'
  /** 401/403: this profile's key is bad; next profile. */
  | 'auth'
  /** The prompt is over the model's context window: a fallback with a larger window, if any. */
  | 'context_length'
  /** 404: the model is not served here; next model. */
  | 'not_found'
  /** 400 and other 4xx: the request itself is wrong; no retry on another model. */
  | 'bad_request';

/** What a class does (issue 13's table, as code). */
export const FAILURE_RULES: Readonly<
  Record<FailureClass, { retry: 'next-profile' | 'next-model' | 'larger-context' | 'none'; cools: 'profile-model' | 'profile' | 'none' }>
> = {
  rate_limit: { retry: 'next-profile', cools: 'profile-model' },
  billing: { retry: 'next-profile', cools: 'profile' },
  transient: { retry: 'next-profile', cools: 'profile-model' },
  auth: { retry: 'next-profile', cools: 'profile' },
  context_length: { retry: 'larger-context', cools: 'none' },
  not_found: { retry: 'next-model', cools: 'profile-model' },
  bad_request: { retry: 'none', cools: 'none' },
};

/** One classified failure. */
export interface Failure {
  class: FailureClass;
  /** HTTP status, or null for a transport error. */
  status: number | null;
  /** Short, key-free description for logs and the decision record. */
  reason: string;
  /** The upstream's retry-after, ms, when it sent one. */
  retryAfterMs: number | null;
}

const CONTEXT_RE = /context[ _-]?(length|window)|too many tokens|maximum context|prompt is too long|max_tokens.*exceed|reduce the length/i;
const BILLING_RE = /billing|quota|credit|insufficient[_ ]funds|payment|exceeded your current/i;
const RATE_RE = /rate[ _-]?limit|too many requests/i;

/**
 * Classifies an upstream HTTP error (status ≥ 400) from its status, headers and body text.
 * Rules: issue 13; the body patterns follow OpenAI's and Anthropic's documented error types and
 * messages (`insufficient_quota`, `rate_limit_error`, `overloaded_error`, context-length wording).
 */
export function classifyStatus(status: number, headers: IncomingHttpHeaders, body: string): Failure {
  const retryAfterMs = parseRetryAfter(headers['retry-after'], headers['retry-after-ms']);
  const reason = `HTTP ${status}`;
  if (status === 429) return { class: BILLING_RE.test(body) && /insufficient_quota/.test(body) ? 'billing' : 'rate_limit', status, reason, retryAfterMs };
  if (status === 402) return { class: 'billing', status, reason, retryAfterMs };
  if (status === 401 || status === 403) return { class: 'auth', status, reason, retryAfterMs };
  if (status === 404) return { class: 'not_found', status, reason, retryAfterMs };
  if (status === 408 || status >= 500) return { class: 'transient', status, reason: status === 529 ? 'HTTP 529 overloaded' : reason, retryAfterMs };
  if ((status === 400 || status === 413 || status === 422) && CONTEXT_RE.test(body))
    return { class: 'context_length', status, reason: `${reason} context length exceeded`, retryAfterMs };
  if (status === 400 && BILLING_RE.test(body)) return { class: 'billing', status, reason: `${reason} billing`, retryAfterMs };
  if (RATE_RE.test(body)) return { class: 'rate_limit', status, reason, retryAfterMs };
  return { class: 'bad_request', status, reason, retryAfterMs };
}

/** Classifies a transport error (no HTTP answer): always transient (issue 13). */
export function classifyError(err: unknown): Failure {
  const code = (err as { code?: string })?.code ?? (err as Error)?.name ?? 'error';
  return { class: 'transient', status: null, reason: String(code), retryAfterMs: null };
}

/**
 * `retry-after` (seconds or an HTTP date, RFC 9110 §10.2.3) or `retry-after-ms` (OpenAI), in ms;
 * null when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, msValue?: string | string[] | undefined, now = Date.now()): number | null {
  const ms = Number(Array.isArray(msValue) ? msValue[0] : msValue);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === '') return null;
  const seconds = Number(v);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
