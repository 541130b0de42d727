import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { Pool } from 'undici';
import type { RemoteProviderName } from '../config/index.js';
import { isSrdError, SrdError } from '../errors.js';
import { channels, type EmbeddingCallEvent, publish } from '../events.js';
import { type BreakerRejection, type BreakerSnapshot, CircuitBreaker } from './breaker.js';
import { displayUrl, scrubSecrets } from './redact.js';
import { backoffDelay, parseRetryAfter, sleep } from './retry.js';
import type { Embedder, EmbedderHealth, EmbeddingSpace } from './types.js';
import { toUnitVector } from './vector-check.js';

/** Everything a remote embedder needs; the daemon maps config onto it in createEmbedder. */
export interface RemoteEmbedderOptions {
  provider: RemoteProviderName;
  model: string;
  /** vectorStore.vectorDim: every vector must have exactly this many values. */
  dims: number;
  /** API root without a trailing slash, e.g. https://api.openai.com/v1. */
  baseUrl: string;
  apiKey?: string | undefined;
  /** embedding.timeoutMs: budget of one embed() call in ms, retries included. */
  timeoutMs: number;
  /** embedding.maxRetries: retries after the first attempt (429, 5xx, 408, network, batch timeouts). */
  maxRetries: number;
  /** embedding.retryDelayMs: base of the exponential backoff in ms. */
  retryDelayMs: number;
  /** memorySearch.remote.batchSize: texts per request in embedBatch (capped by the provider's limit). */
  batchSize: number;
  /** memorySearch.remote.batchTimeoutMs: budget of one batch request attempt in ms. */
  batchTimeoutMs: number;
  /** Send vectorStore.vectorDim to the provider (`dimensions` / `outputDimensionality`). */
  sendDimensions: boolean;
  /** memorySearch.remote.breaker. */
  breaker: { failureThreshold: number; cooldownMs: number };
  /** Breaker transitions (warn/info) and retries (debug). Default: silent. */
  logger?: Logger | undefined;
  /** Sockets kept per provider origin (keep-alive pool). Default 8. */
  connections?: number;
  /** Clock in ms since the epoch and PRNG in [0,1) (tests inject them). */
  now?: () => number;
  random?: () => number;
}

/** One HTTP request a provider wants sent: path relative to baseUrl, headers, JSON body. */
export interface ProviderRequest {
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Result of `probe`: the model's real vector size and one round trip's time. */
export interface ProbeResult {
  dims: number;
  ms: number;
}

/** A Retry-After longer than this (ms) is not waited out even in a DNA build; the build resumes later. */
const MAX_BATCH_RETRY_AFTER_MS = 120_000;
/** A retry is not started with less than this many ms of the route budget left. */
const MIN_ATTEMPT_MS = 50;
/** Responses above this size are refused (a misconfigured baseUrl serving a huge page). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** HTTP statuses that say "this input", not "this provider": they do not count against the breaker. */
const INPUT_ERRORS = new Set([400, 413, 422]);

const TIMEOUT = Symbol('attempt timeout');

const require = createRequire(import.meta.url);
function requireUndici(): typeof import('undici') {
  return require('undici') as typeof import('undici');
}

/**
 * An embedder behind an HTTP API: a keep-alive undici Pool per provider, a per-call deadline,
 * retries with backoff and jitter that honour Retry-After, and a circuit breaker. Subclasses say
 * how to phrase the request and read the answer (OpenAI-compatible, Gemini). Every vector is
 * checked (dims, finite) and L2-normalised before use. Errors are SrdError with codes
 * SRD_ERR_EMBED_TIMEOUT / _FAILED / _AUTH / _RATE_LIMITED / _BAD_RESPONSE / _UNAVAILABLE, and their
 * messages never contain the API key (provider text is scrubbed, redact.ts).
 */
export abstract class RemoteEmbedder implements Embedder {
  readonly space: EmbeddingSpace;
  /** The breaker, exposed for `status` and tests. */
  readonly breaker: CircuitBreaker;
  protected readonly options: RemoteEmbedderOptions;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly now: () => number;
  private readonly random: () => number;
  private calls = 0;
  private failures = 0;
  private lastLatencyMs: number | null = null;
  private lastSuccessAt: number | null = null;
  private lastError: { code: string; message: string; at: number } | null = null;

  /** Largest batch the provider accepts in one request. */
  protected abstract readonly maxBatch: number;
  /** The request for `texts` (dims = how many dimensions to ask for, or null). */
  protected abstract buildRequest(texts: string[], dims: number | null): ProviderRequest;
  /** The raw vectors of a 2xx JSON body, one per input in input order; throws SRD_ERR_EMBED_BAD_RESPONSE on a wrong shape. */
  protected abstract readVectors(json: unknown, count: number): unknown[];

  constructor(options: RemoteEmbedderOptions) {
    this.options = options;
    this.space = { provider: options.provider, model: options.model, dims: options.dims };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    const url = new URL(options.baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    // undici is required here, not imported at the top: it costs ~75 ms to load, and a daemon on
    // the built-in local embedder (the default) never makes an HTTP call (issue 7: start-up).
    const { Pool: UndiciPool } = requireUndici();
    this.pool = new UndiciPool(url.origin, {
      connections: options.connections ?? 8,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      maxResponseSize: MAX_RESPONSE_BYTES,
    });
    this.breaker = new CircuitBreaker({
      ...options.breaker,
      now: this.now,
      onChange: (from, to, snap) => {
        const fields = {
          provider: options.provider,
          model: options.model,
          from,
          to,
          consecutiveFailures: snap.consecutiveFailures,
          reason: snap.reason,
          retryAt: snap.retryAt,
        };
        if (to === 'open')
          options.logger?.warn(fields, `embedding provider ${this.label} circuit open: calls fail fast until ${new Date(snap.retryAt ?? 0).toISOString()}`);
        else options.logger?.info(fields, `embedding provider ${this.label} circuit ${to}`);
      },
    });
  }

  /** `provider/model`, for messages. */
  get label(): string {
    return `${this.options.provider}/${this.options.model}`;
  }

  /**
   * Embeds one text within embedding.timeoutMs (retries included). Rejects with SRD_ERR_EMBED_*;
   * with SRD_ERR_EMBED_UNAVAILABLE at once while the circuit is open. Aborting `signal` ends the
   * call at once (counted as a timeout by the breaker).
   */
  async embed(text: string, signal?: AbortSignal): Promise<Float32Array> {
    const [v] = await this.call([text], { deadline: this.now() + this.options.timeoutMs, signal });
    return v!;
  }

  /**
   * Embeds many texts in requests of min(batchSize, provider limit), one after another, each
   * attempt bounded by memorySearch.remote.batchTimeoutMs, with the same retries and breaker.
   * Rejects like embed on the first batch that fails for good.
   */
  async embedBatch(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const size = Math.max(1, Math.min(this.options.batchSize, this.maxBatch));
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += size) {
      out.push(...(await this.call(texts.slice(i, i + size), { attemptMs: this.options.batchTimeoutMs, signal })));
    }
    return out;
  }

  /**
   * One real request with no retries and no breaker, accepting whatever size the model returns
   * (`smart-routerd enable` uses it to test the key and learn the model's size). Rejects with
   * SRD_ERR_EMBED_* like embed.
   */
  async probe(text = 'smart-routerd connectivity check'): Promise<ProbeResult> {
    const started = performance.now();
    const [raw] = await this.attempt([text], Math.max(this.options.timeoutMs, 10_000), undefined, this.options.sendDimensions ? this.options.dims : null);
    const size = Array.isArray(raw) ? raw.length : 0;
    toUnitVector(raw, size, `${this.label} probe`);
    return { dims: size, ms: Math.round(performance.now() - started) };
  }

  /** Provider health for `status`: breaker, counters, last error (already scrubbed of secrets). */
  health(): EmbedderHealth {
    const breaker: BreakerSnapshot = this.breaker.snapshot();
    return {
      provider: this.options.provider,
      model: this.options.model,
      dims: this.options.dims,
      baseUrl: displayUrl(this.options.baseUrl),
      apiKey: this.options.apiKey ? 'set' : 'unset',
      sendDimensions: this.options.sendDimensions,
      ok: breaker.state === 'closed' && (this.lastError === null || (this.lastSuccessAt ?? 0) >= this.lastError.at),
      breaker,
      calls: this.calls,
      failures: this.failures,
      lastLatencyMs: this.lastLatencyMs,
      lastSuccessAt: this.lastSuccessAt,
      lastError: this.lastError,
    };
  }

  /** Closes the keep-alive sockets once in-flight requests finish; idempotent. */
  async close(): Promise<void> {
    if (!this.pool.closed && !this.pool.destroyed) await this.pool.close();
  }

  /** The breaker-guarded, retrying call behind embed and embedBatch. */
  private async call(texts: string[], budget: { deadline?: number; attemptMs?: number; signal?: AbortSignal | undefined }): Promise<Float32Array[]> {
    const rejection = this.breaker.admit();
    if (rejection) throw this.unavailable(rejection);
    this.calls++;
    const dims = this.options.sendDimensions ? this.options.dims : null;
    for (let attempt = 0; ; attempt++) {
      const remaining = budget.deadline === undefined ? Infinity : budget.deadline - this.now();
      const started = performance.now();
      try {
        if (remaining <= 0)
          throw new SrdError('SRD_ERR_EMBED_TIMEOUT', `${this.label}: no embedding within ${this.options.timeoutMs} ms (embedding.timeoutMs)`);
        const raw = await this.attempt(texts, Math.min(budget.attemptMs ?? Infinity, remaining), budget.signal, dims);
        const vectors = raw.map((v, i) => toUnitVector(v, this.options.dims, `${this.label} input ${i}`));
        this.lastLatencyMs = Math.round(performance.now() - started);
        this.lastSuccessAt = this.now();
        this.breaker.success();
        publish<EmbeddingCallEvent>(channels.embeddingCall, { provider: this.options.provider, outcome: 'ok' });
        return vectors;
      } catch (caught) {
        const err = this.normalise(caught);
        const wait = this.retryWait(err, attempt, budget);
        if (wait !== null) {
          this.options.logger?.debug(
            { provider: this.options.provider, code: err.code, attempt: attempt + 1, waitMs: wait },
            `embedding call failed, retrying: ${err.message}`,
          );
          try {
            await sleep(wait, budget.signal);
            continue;
          } catch (aborted) {
            throw this.settleFailure(this.normalise(aborted));
          }
        }
        throw this.settleFailure(err);
      }
    }
  }

  /** Wait before the next attempt in ms, or null when the error is final. */
  private retryWait(err: SrdError, attempt: number, budget: { deadline?: number; signal?: AbortSignal | undefined }): number | null {
    if (attempt >= this.options.maxRetries || budget.signal?.aborted || !retryable(err, budget.deadline === undefined)) return null;
    const retryAfterMs = typeof err.details?.retryAfterMs === 'number' ? err.details.retryAfterMs : undefined;
    const wait = Math.max(backoffDelay(attempt, this.options.retryDelayMs, this.random), retryAfterMs ?? 0);
    if (budget.deadline !== undefined) return this.now() + wait + MIN_ATTEMPT_MS < budget.deadline ? wait : null;
    return retryAfterMs !== undefined && retryAfterMs > MAX_BATCH_RETRY_AFTER_MS ? null : wait;
  }

  /** Records a final failure with the breaker and the health counters; returns the error to throw. */
  private settleFailure(err: SrdError): SrdError {
    this.failures++;
    publish<EmbeddingCallEvent>(channels.embeddingCall, { provider: this.options.provider, outcome: err.code });
    this.lastError = { code: err.code, message: err.message, at: this.now() };
    const status = typeof err.details?.status === 'number' ? err.details.status : null;
    if (status !== null && INPUT_ERRORS.has(status)) this.breaker.success();
    else this.breaker.failure(`${err.code}: ${err.message}`);
    // Honour Retry-After beyond this call: nothing more is sent before it has passed.
    const retryAfterMs = err.details?.retryAfterMs;
    if (typeof retryAfterMs === 'number' && retryAfterMs > 0) this.breaker.hold(retryAfterMs, `${err.code}: ${err.message}`);
    return err;
  }

  /**
   * One HTTP attempt within `timeoutMs` asking for `dims` dimensions (null: the model's own);
   * resolves with the raw, unchecked vectors (call and probe check them). Throws SrdError.
   */
  private async attempt(texts: string[], timeoutMs: number, signal: AbortSignal | undefined, dims: number | null): Promise<unknown[]> {
    const req = this.buildRequest(texts, dims);
    const controller = new AbortController();
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => controller.abort(TIMEOUT), Math.max(1, timeoutMs)) : undefined;
    const onAbort = () => controller.abort(signal!.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}${req.path}`;
    try {
      const res = await this.pool.request({
        method: 'POST',
        path: `${this.basePath}${req.path}`,
        headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'smart-routerd', ...req.headers },
        body: JSON.stringify(req.body),
        signal: controller.signal,
      });
      const text = await res.body.text();
      return this.interpret(res.statusCode, res.headers['retry-after'], text, texts.length, url);
    } catch (err) {
      if (controller.signal.aborted) {
        const why =
          controller.signal.reason === TIMEOUT ? `no answer within ${Math.round(timeoutMs)} ms` : 'cancelled: the routing budget (embedding.timeoutMs) ran out';
        throw new SrdError('SRD_ERR_EMBED_TIMEOUT', `${this.label}: ${why} from ${displayUrl(url)}`, { details: { timeoutMs: Math.round(timeoutMs) } });
      }
      if (isSrdError(err)) throw err;
      const e = err as NodeJS.ErrnoException;
      const code = e.code ?? e.name;
      throw new SrdError('SRD_ERR_EMBED_FAILED', `${this.label}: cannot reach ${displayUrl(url)} (${code}: ${this.scrub(e.message)})`, {
        details: { network: code },
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Turns a status and body into raw vectors or the right SrdError. */
  private interpret(status: number, retryAfter: string | string[] | undefined, text: string, count: number, url: string): unknown[] {
    const where = `${this.label}: ${displayUrl(url)}`;
    if (status >= 200 && status < 300) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new SrdError(
          'SRD_ERR_EMBED_BAD_RESPONSE',
          `${where} answered HTTP ${status} with a body that is not JSON: ${JSON.stringify(this.scrub(text, 80))}`,
          { details: { status } },
        );
      }
      return this.readVectors(json, count);
    }
    const said = this.providerMessage(text);
    if (this.isAuthError(status, text)) {
      const hint = this.options.apiKey
        ? 'check memorySearch.remote.apiKey (smart-routerd enable sets it)'
        : 'no API key is configured (memorySearch.remote.apiKey)';
      throw new SrdError('SRD_ERR_EMBED_AUTH', `${where} rejected the API key (HTTP ${status}: ${said}); ${hint}`, { details: { status } });
    }
    const retryAfterMs = parseRetryAfter(retryAfter, this.now());
    const details = { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    if (status === 429) {
      throw new SrdError(
        'SRD_ERR_EMBED_RATE_LIMITED',
        `${where} is rate limiting (HTTP 429${retryAfterMs === undefined ? '' : `, Retry-After ${retryAfterMs} ms`}: ${said})`,
        { details },
      );
    }
    throw new SrdError('SRD_ERR_EMBED_FAILED', `${where} answered HTTP ${status}: ${said}`, { details });
  }

  /** Whether an error answer means "bad or missing API key" (never retried). Default: 401 or 403. */
  protected isAuthError(status: number, _body: string): boolean {
    return status === 401 || status === 403;
  }

  /** The provider's own error text (OpenAI and Gemini: `{error:{message}}`), scrubbed and short. */
  private providerMessage(text: string): string {
    let said = text;
    try {
      const json = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
      const m = typeof json.error === 'string' ? json.error : (json.error?.message ?? json.message ?? json.detail);
      if (typeof m === 'string') said = m;
    } catch {
      // not JSON: quote the text itself
    }
    return this.scrub(said, 200) || '(empty body)';
  }

  /** Scrubs the API key (and anything key-shaped) out of provider text. */
  protected scrub(text: string, max = 300): string {
    return scrubSecrets(text, [this.options.apiKey], max);
  }

  private unavailable(r: BreakerRejection): SrdError {
    const when = r.state === 'open' ? `next try in ${Math.ceil(r.retryInMs / 1000)} s` : 'a probe call is in flight';
    return new SrdError(
      'SRD_ERR_EMBED_UNAVAILABLE',
      `${this.label}: circuit ${r.state} after ${r.consecutiveFailures} consecutive failure(s), ${when}${r.reason ? ` (last: ${r.reason})` : ''}`,
      { details: { state: r.state, retryInMs: r.retryInMs } },
    );
  }

  private normalise(err: unknown): SrdError {
    if (isSrdError(err)) return err;
    if (err === TIMEOUT || (err as Error)?.name === 'AbortError') {
      return new SrdError('SRD_ERR_EMBED_TIMEOUT', `${this.label}: cancelled: the routing budget (embedding.timeoutMs) ran out`);
    }
    return new SrdError('SRD_ERR_EMBED_FAILED', `${this.label}: ${this.scrub(String((err as Error)?.message ?? err))}`);
  }
}

/**
 * Worth another attempt? 429, 408, 5xx and network errors; a timeout only in a batch (a route's
 * timeout has used its whole budget). Never 401/403 (a bad key stays bad), other 4xx or garbage.
 */
function retryable(err: SrdError, batch: boolean): boolean {
  switch (err.code) {
    case 'SRD_ERR_EMBED_RATE_LIMITED':
      return true;
    case 'SRD_ERR_EMBED_TIMEOUT':
      return batch;
    case 'SRD_ERR_EMBED_FAILED': {
      const status = err.details?.status;
      return typeof status !== 'number' || status === 408 || status >= 500;
    }
    default:
      return false;
  }
}
