import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import {
  type Candidate,
  classifyError,
  classifyStatus,
  type Failure,
  type UpstreamClient,
  type UpstreamEndpoint,
  type UpstreamResponse,
} from '../upstream/index.js';
import { replaceTopLevelModel } from './json-model.js';
import { errorBody, sendJson } from './reply.js';
import {
  AnthropicToOpenaiStream,
  anthropicToOpenaiRequest,
  anthropicToOpenaiResponse,
  OpenaiToAnthropicStream,
  openaiToAnthropicRequest,
  openaiToAnthropicResponse,
  SseParser,
  type StreamTranslator,
  type TokenCounts,
  toAnthropicError,
  toOpenaiError,
} from './translate/index.js';
import type { ClientProtocol } from './turns.js';
import { StreamUsage, usageOfAnswer } from './usage-tap.js';

/** Largest upstream error body read to classify and translate it, bytes. */
const MAX_ERROR_BODY = 1024 * 1024;

/** One request as the client sent it, ready to be tried on candidates. */
export interface ClientRequest {
  req: IncomingMessage;
  res: ServerResponse;
  protocol: ClientProtocol;
  endpoint: UpstreamEndpoint;
  /** The body text as received. */
  raw: string;
  body: Record<string, unknown>;
  /** The body was rewritten (prefix stripped): send it re-serialised, not spliced. */
  rewritten: boolean;
  stream: boolean;
  /** Largest non-streamed answer read, bytes. */
  maxAnswerBytes: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/** The outcome of one attempt on one candidate. */
export type AttemptOutcome =
  /** The answer reached the client (possibly ended by a protocol error event mid-stream). */
  | { kind: 'answered'; status: number; ttfbMs: number; midStreamError: string | null; usage: TokenCounts | null }
  /** Failed before any byte reached the client: the next candidate may be tried. */
  | { kind: 'failed'; failure: Failure; status: number | null; body: string }
  /** The client went away. */
  | { kind: 'aborted' };

/** Called once an answer is complete, just before its last byte is written (the ledger's row is durable before the client sees the end). */
export type BeforeEnd = (answer: { status: number; ttfbMs: number; usage: TokenCounts | null }) => void | Promise<void>;

/**
 * Tries one candidate (DESIGN.md §10 step 3): builds its request (same protocol: the body with only
 * `model` spliced; other protocol: translated), sends it, and commits to the client only once the
 * upstream has answered 2xx and produced its first byte, so any failure before that can fail over
 * transparently (issue 13). After that, a failure ends the stream with the client protocol's own
 * error event, never a silent truncation. The usage the upstream reports is read on the way
 * (usage-tap.ts); a streamed Chat Completions request is sent with `stream_options.include_usage`
 * so there is usage to bill, and the usage-only chunk is kept from clients that did not ask for it.
 */
export async function attempt(
  client: UpstreamClient,
  cand: Candidate,
  r: ClientRequest,
  headers: Record<string, string>,
  beforeEnd: BeforeEnd = () => undefined,
): Promise<AttemptOutcome> {
  const upstreamProtocol: ClientProtocol = cand.provider.api === 'anthropic-messages' ? 'anthropic' : 'openai';
  const same = upstreamProtocol === r.protocol;
  const endpoint: UpstreamEndpoint = r.endpoint === 'responses' ? 'responses' : upstreamProtocol === 'anthropic' ? 'messages' : 'chat';
  // A usage chunk (empty `choices`) only for clients that asked for one (OpenAI stream_options.include_usage).
  const includeUsage = (r.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  const forceUsage = same && r.stream && endpoint === 'chat' && !includeUsage;
  const payload = forceUsage
    ? JSON.stringify({ ...r.body, model: cand.model, stream_options: { ...(r.body.stream_options as object | undefined), include_usage: true } })
    : same
      ? (!r.rewritten && replaceTopLevelModel(r.raw, cand.model)) || JSON.stringify({ ...r.body, model: cand.model })
      : JSON.stringify(r.protocol === 'openai' ? openaiToAnthropicRequest(r.body as never, cand.model) : anthropicToOpenaiRequest(r.body as never, cand.model));
  const started = performance.now();
  let up: UpstreamResponse;
  try {
    up = await client.send({
      provider: cand.provider,
      apiKey: cand.profile.apiKey,
      endpoint,
      body: payload,
      headers: forwardedHeaders(r.req),
      signal: r.signal,
    });
  } catch (err) {
    if (r.signal.aborted) return { kind: 'aborted' };
    return { kind: 'failed', failure: classifyError(err), status: null, body: '' };
  }
  if (up.status >= 400) {
    const text = await readAll(up.body, MAX_ERROR_BODY).catch(() => '');
    return { kind: 'failed', failure: classifyStatus(up.status, up.headers, text), status: up.status, body: text };
  }
  const answer = { ...headers, 'x-smart-router-upstream-status': String(up.status) };
  if (!r.stream) {
    let text: string;
    try {
      text = await readAll(up.body, r.maxAnswerBytes);
    } catch (err) {
      if (r.signal.aborted) return { kind: 'aborted' };
      return { kind: 'failed', failure: classifyError(err), status: null, body: '' };
    }
    const ttfbMs = performance.now() - started;
    const json = parseJson(text);
    const usage = usageOfAnswer(endpoint, json);
    if (same) {
      r.res.writeHead(up.status, {
        ...answer,
        'content-type': String(up.headers['content-type'] ?? 'application/json'),
        'content-length': Buffer.byteLength(text),
      });
      await beforeEnd({ status: up.status, ttfbMs, usage });
      r.res.end(text);
    } else {
      if (json === undefined) JSON.parse(text); // throws the parse error, as before
      await beforeEnd({ status: 200, ttfbMs, usage });
      sendJson(
        r.res,
        200,
        upstreamProtocol === 'anthropic' ? anthropicToOpenaiResponse(json as never, cand.ref) : openaiToAnthropicResponse(json as never, cand.ref),
        answer,
      );
    }
    return { kind: 'answered', status: up.status, ttfbMs, midStreamError: null, usage };
  }
  // Streamed: wait for the first byte before committing, so a reset or an idle upstream before it
  // still fails over.
  const chunks = up.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    first = await chunks.next();
  } catch (err) {
    if (r.signal.aborted) return { kind: 'aborted' };
    return { kind: 'failed', failure: classifyError(err), status: null, body: '' };
  }
  const ttfbMs = performance.now() - started;
  r.res.writeHead(200, { ...answer, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const translator: StreamTranslator | null = same
    ? null
    : upstreamProtocol === 'anthropic'
      ? new AnthropicToOpenaiStream(cand.ref, undefined, { includeUsage })
      : new OpenaiToAnthropicStream(cand.ref);
  const parser = new SseParser();
  const tap = new StreamUsage(endpoint);
  const write = async (chunk: Buffer) => {
    let out: string | Buffer = translator || forceUsage ? '' : chunk;
    for (const event of parser.push(chunk)) {
      const usageOnly = tap.push(event);
      if (translator) out += translator.push(event);
      else if (forceUsage && !usageOnly) out += `data: ${event.data}\n\n`;
    }
    if (out.length > 0 && !r.res.write(out)) await new Promise((resolve) => r.res.once('drain', resolve));
  };
  try {
    if (!first.done) await write(first.value);
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      if (r.res.destroyed) return { kind: 'aborted' };
      await write(next.value);
    }
    await beforeEnd({ status: 200, ttfbMs, usage: tap.result() });
    r.res.end(translator ? translator.end() : undefined);
    return { kind: 'answered', status: 200, ttfbMs, midStreamError: null, usage: tap.result() };
  } catch (err) {
    if (r.signal.aborted || r.res.destroyed) return { kind: 'aborted' };
    // Bytes already reached the client: end with the protocol's own error event (issue 13).
    const reason = classifyError(err).reason;
    const message = `upstream ${cand.ref} failed mid-stream (${reason})`;
    await beforeEnd({ status: 200, ttfbMs, usage: tap.result() });
    r.res.end(streamErrorEvent(r.protocol, message));
    return { kind: 'answered', status: 200, ttfbMs, midStreamError: reason, usage: tap.result() };
  }
}

/**
 * The client protocol's stream error event: OpenAI `data: {"error":{…}}` then `[DONE]`, Anthropic
 * `event: error` (Anthropic "Streaming Messages: error events").
 */
export function streamErrorEvent(protocol: ClientProtocol, message: string): string {
  if (protocol === 'anthropic') return `event: error\ndata: ${JSON.stringify(errorBody('anthropic', 502, message))}\n\n`;
  return `data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code: 'upstream_error' } })}\n\ndata: [DONE]\n\n`;
}

/** An upstream failure as the client's answer: its status and body, translated when the protocols differ. */
export function relayFailure(
  res: ServerResponse,
  client: ClientProtocol,
  cand: Candidate,
  outcome: { failure: Failure; status: number | null; body: string },
  headers: Record<string, string>,
): void {
  const upstream: ClientProtocol = cand.provider.api === 'anthropic-messages' ? 'anthropic' : 'openai';
  if (outcome.status === null) {
    const timeout = /TIMEOUT/i.test(outcome.failure.reason);
    sendJson(res, timeout ? 504 : 502, errorBody(client, timeout ? 504 : 502, `upstream ${cand.ref} failed: ${outcome.failure.reason}`), headers);
    return;
  }
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(outcome.body);
  } catch {
    parsed = null;
  }
  if (client === upstream && parsed !== null) {
    sendJson(res, outcome.status, parsed, headers);
    return;
  }
  const fallback = `upstream ${cand.ref} answered ${outcome.status}`;
  sendJson(
    res,
    outcome.status,
    client === 'openai' ? toOpenaiError(outcome.status, parsed, fallback) : toAnthropicError(outcome.status, parsed, fallback),
    headers,
  );
}

/** Client headers forwarded upstream: Anthropic's version and beta flags, and Accept. */
function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of ['anthropic-version', 'anthropic-beta', 'accept']) {
    const v = req.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  return out;
}

/** A JSON text parsed, or undefined when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads a stream to a string, refusing more than `max` bytes. */
async function readAll(body: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      body.destroy();
      throw Object.assign(new Error(`upstream answer over ${max} bytes`), { code: 'SRD_ANSWER_TOO_LARGE' });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
