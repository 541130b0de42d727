import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import type { Provider } from './providers.js';

const require = createRequire(import.meta.url);
/** undici is required on first use: the daemon starts without loading it (bundle.mjs EXTERNAL). */
function requireUndici(): typeof import('undici') {
  return require('undici') as typeof import('undici');
}

/** Upstream timeouts, ms (config `proxy.timeouts`). */
export interface UpstreamTimeouts {
  connectMs: number;
  /** Request sent → response headers. */
  firstByteMs: number;
  /** Longest silence between two body chunks. */
  idleMs: number;
}

/** Which endpoint of a provider a request goes to. */
export type UpstreamEndpoint = 'chat' | 'messages' | 'responses';

/** One request to send upstream. */
export interface UpstreamRequest {
  provider: Provider;
  endpoint: UpstreamEndpoint;
  /** The key of the auth profile used (null: none sent). */
  apiKey: string | null;
  /** The JSON body, already in the provider's protocol. */
  body: string | Buffer;
  /** Client headers worth forwarding (anthropic-version, anthropic-beta, accept). */
  headers?: Record<string, string>;
  /** Aborts the upstream request (client gone, gateway stopping). */
  signal: AbortSignal;
}

/** The upstream's answer: status, headers and the body as a stream (undici BodyReadable). */
export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

/** Default `anthropic-version` when the client sent none (Anthropic API versioning). */
export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * The URL of `endpoint` under a provider's base URL: OpenAI-compatible roots end in `/v1` and take
 * `/chat/completions` or `/responses`; Anthropic roots are the host (`https://api.anthropic.com`,
 * LiteLLM's `ANTHROPIC_API_BASE`) and take `/v1/messages` (or `/messages` when they end in `/v1`).
 */
export function upstreamUrl(provider: Provider, endpoint: UpstreamEndpoint): string {
  if (endpoint === 'messages') return provider.baseUrl.endsWith('/v1') ? `${provider.baseUrl}/messages` : `${provider.baseUrl}/v1/messages`;
  return `${provider.baseUrl}/${endpoint === 'chat' ? 'chat/completions' : 'responses'}`;
}

/**
 * Sends model requests upstream over keep-alive connections (one undici Agent for every origin),
 * with the provider's auth and headers, and the three timeouts: connect, first byte, idle between
 * chunks. Rejects with undici's errors (UND_ERR_CONNECT_TIMEOUT, UND_ERR_HEADERS_TIMEOUT,
 * ECONNREFUSED, …) or an AbortError; a 4xx/5xx status resolves like any other.
 */
export class UpstreamClient {
  private agent: Agent | null = null;
  private readonly timeouts: UpstreamTimeouts;

  constructor(timeouts: UpstreamTimeouts) {
    this.timeouts = timeouts;
  }

  /** Sends one request. The caller must consume or destroy `body`. */
  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const undici = requireUndici();
    this.agent ??= new undici.Agent({ connect: { timeout: this.timeouts.connectMs }, keepAliveTimeout: 30_000 });
    const { provider } = req;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...provider.headers };
    if (provider.api === 'anthropic-messages') {
      headers['anthropic-version'] = req.headers?.['anthropic-version'] ?? ANTHROPIC_VERSION;
      if (req.headers?.['anthropic-beta']) headers['anthropic-beta'] = req.headers['anthropic-beta'];
      if (req.apiKey) headers['x-api-key'] = req.apiKey;
    } else if (req.apiKey) {
      headers.authorization = `Bearer ${req.apiKey}`;
    }
    if (req.headers?.accept) headers.accept = req.headers.accept;
    const res = await undici.request(upstreamUrl(provider, req.endpoint), {
      method: 'POST',
      headers,
      body: req.body,
      signal: req.signal,
      dispatcher: this.agent,
      headersTimeout: this.timeouts.firstByteMs,
      bodyTimeout: this.timeouts.idleMs,
    });
    return { status: res.statusCode, headers: res.headers as IncomingHttpHeaders, body: res.body };
  }

  /** Closes idle connections; in-flight requests finish. */
  async close(): Promise<void> {
    await this.agent?.close();
    this.agent = null;
  }
}
