import type OpenAI from 'openai';

/** An OpenAI error body: `{error:{message,type,param,code}}` (OpenAI API "Error codes"). */
export interface OpenAIErrorBody {
  error: OpenAI.ErrorObject;
}

/**
 * Anthropic error types (Anthropic API "Errors"). A local list: the SDK's `ErrorType` lacks
 * `request_too_large` (HTTP 413), which the Errors page documents and the API sends.
 */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'api_error'
  | 'overloaded_error';

/**
 * An Anthropic error body: `{type:"error",error:{type,message}}` (Anthropic API "Errors"). A local
 * type: the SDK's `ErrorResponse` also requires `request_id`, which only Anthropic itself can give.
 */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/** Builds an OpenAI error body. `param` is the request field at fault, `code` OpenAI's machine code (e.g. `model_not_found`). */
export function openaiErrorBody(type: string, message: string, param: string | null = null, code: string | null = null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** Builds an Anthropic error body. */
export function anthropicErrorBody(type: AnthropicErrorType | string, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type, message } };
}

/** Anthropic error type per HTTP status (Anthropic API "Errors"; 503 is OpenAI's "overloaded", so `overloaded_error`). */
const ANTHROPIC_BY_STATUS: Record<number, AnthropicErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/**
 * OpenAI error type per HTTP status (OpenAI API "Error codes"; the same table as proxy/reply.ts):
 * 400/404/413 `invalid_request_error`, 401 `authentication_error`, 403 `permission_error`, 429
 * `rate_limit_error`, 5xx `server_error`.
 */
const OPENAI_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** The Anthropic error type of an HTTP status: the table above, else `api_error` for 5xx (and no status), `invalid_request_error` otherwise. */
export function anthropicErrorTypeForStatus(status: number | null | undefined): AnthropicErrorType {
  if (typeof status !== 'number') return 'api_error';
  return ANTHROPIC_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** The OpenAI error type of an HTTP status: the table above, else `server_error` for 5xx (and no status), `invalid_request_error` otherwise. */
export function openaiErrorTypeForStatus(status: number | null | undefined): string {
  if (typeof status !== 'number') return 'server_error';
  return OPENAI_BY_STATUS[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
}

/**
 * Anthropic error type → OpenAI `[type, code]`. Where OpenAI has no type of its own the Anthropic
 * type is kept as `code`, so a client can still tell an overloaded upstream from a broken one.
 */
const OPENAI_FROM_ANTHROPIC: Record<string, [string, string | null]> = {
  invalid_request_error: ['invalid_request_error', null],
  authentication_error: ['authentication_error', null],
  permission_error: ['permission_error', null],
  not_found_error: ['invalid_request_error', 'not_found_error'],
  request_too_large: ['invalid_request_error', 'request_too_large'],
  rate_limit_error: ['rate_limit_error', null],
  billing_error: ['insufficient_quota', 'billing_error'],
  api_error: ['server_error', null],
  overloaded_error: ['server_error', 'overloaded_error'],
  timeout_error: ['server_error', 'timeout_error'],
};

/** OpenAI error type (or code) → Anthropic error type, used when the HTTP status says nothing more precise. */
const ANTHROPIC_FROM_OPENAI: Record<string, AnthropicErrorType> = {
  invalid_request_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  invalid_api_key: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  model_not_found: 'not_found_error',
  rate_limit_error: 'rate_limit_error',
  rate_limit_exceeded: 'rate_limit_error',
  insufficient_quota: 'rate_limit_error',
  tokens: 'rate_limit_error',
  requests: 'rate_limit_error',
  server_error: 'api_error',
  api_error: 'api_error',
};

/** The parts of an upstream error body, from either vendor's shape or a bare one. */
interface ReadError {
  vendor: 'openai' | 'anthropic' | 'other';
  type: string | null;
  message: string | null;
  param: string | null;
  code: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * Reads an upstream error body: Anthropic `{type:"error",error:{type,message}}`, OpenAI
 * `{error:{message,type,param,code}}`, or what OpenAI-compatible servers send instead
 * (`{error:"…"}`, `{message:"…"}`, `{detail:"…"}`, a bare string). `code` may be a number there.
 */
function readError(body: unknown): ReadError {
  const none: ReadError = { vendor: 'other', type: null, message: null, param: null, code: null };
  if (typeof body === 'string') return { ...none, message: str(body) };
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return none;
  const b = body as Record<string, unknown>;
  const e = b.error;
  if (e !== null && typeof e === 'object' && !Array.isArray(e)) {
    const o = e as Record<string, unknown>;
    const code = typeof o.code === 'number' ? String(o.code) : str(o.code);
    return { vendor: b.type === 'error' ? 'anthropic' : 'openai', type: str(o.type), message: str(o.message), param: str(o.param), code };
  }
  return { ...none, message: str(e) ?? str(b.message) ?? str(b.detail) };
}

/**
 * The OpenAI error body for an upstream error of HTTP `status` (null mid-stream) whose body came
 * in either vendor's shape: an OpenAI body keeps its fields; an Anthropic body's type maps per
 * OPENAI_FROM_ANTHROPIC (e.g. `overloaded_error` → `server_error`, code `overloaded_error`); a
 * missing type follows the status. `fallbackMessage` when the body holds no message.
 */
export function toOpenaiError(status: number | null, upstreamBody: unknown, fallbackMessage: string): OpenAIErrorBody {
  const e = readError(upstreamBody);
  const message = e.message ?? fallbackMessage;
  if (e.vendor === 'anthropic') {
    const mapped = e.type ? OPENAI_FROM_ANTHROPIC[e.type] : undefined;
    if (mapped) return openaiErrorBody(mapped[0], message, null, mapped[1]);
    return openaiErrorBody(openaiErrorTypeForStatus(status), message, null, e.type);
  }
  return openaiErrorBody(e.type ?? openaiErrorTypeForStatus(status), message, e.param, e.code);
}

/**
 * The Anthropic error body for an upstream error of HTTP `status` (null mid-stream) whose body came
 * in either vendor's shape: an Anthropic body keeps its type; otherwise the status decides (400
 * invalid_request_error, 401 authentication_error, 403 permission_error, 404 not_found_error, 413
 * request_too_large, 429 rate_limit_error, 500 api_error, 529 overloaded_error, …), and where it
 * says nothing precise the OpenAI type or code does (e.g. `server_error` → `api_error`).
 */
export function toAnthropicError(status: number | null, upstreamBody: unknown, fallbackMessage: string): AnthropicErrorBody {
  const e = readError(upstreamBody);
  const message = e.message ?? fallbackMessage;
  if (e.vendor === 'anthropic' && e.type) return anthropicErrorBody(e.type, message);
  const byStatus = typeof status === 'number' ? ANTHROPIC_BY_STATUS[status] : undefined;
  const byType = (e.type && ANTHROPIC_FROM_OPENAI[e.type]) || (e.code && ANTHROPIC_FROM_OPENAI[e.code]) || undefined;
  return anthropicErrorBody(byStatus ?? byType ?? anthropicErrorTypeForStatus(status), message);
}
