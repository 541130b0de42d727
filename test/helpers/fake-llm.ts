import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a fake upstream received. */
export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as it arrived. */
  raw: string;
  json: WireBody;
}

/** A fake LLM provider on loopback speaking one vendor's wire format, recording what it got. */
export interface FakeLlm {
  name: string;
  port: number;
  /** Base URL to configure: `http://127.0.0.1:<port>/v1` (OpenAI) or `http://127.0.0.1:<port>` (Anthropic). */
  baseUrl: string;
  received: Received[];
  /** Requests whose client went away before the answer ended (abort reached the upstream). */
  aborted: number;
  /** Faults for the next requests, first in first out (each is used once). */
  faults: Fault[];
  /** Fails every request with this fault (after `faults` is empty), when set. */
  always: Fault | null;
  /** Keys answered with 401 (`Authorization: Bearer <key>` or `x-api-key`). */
  rejectKeys: Set<string>;
  /**
   * Whether a request carrying tools is answered with a tool call (true, the default); false answers
   * it with text, as a model that chose no tool (an agent client such as OpenClaw always sends tools).
   */
  callTools: boolean;
  /**
   * The text a text answer quotes (`[<name>] reply to: <text>`), read from the request body; unset,
   * the newest user text. A test sets it to pick the user's words out of what a client added to them.
   */
  quote: ((body: WireBody) => string) | null;
  /**
   * The token counts every answer reports, in the vendor's usage shape (OpenAI: prompt_tokens =
   * input + cacheRead + cacheWrite with cached_tokens; Anthropic: input_tokens without the cache,
   * cache_read_input_tokens, cache_creation_input_tokens). Default 8 in, 7 out, 4 cache reads.
   */
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  /** Whether answers carry usage at all (false: an upstream that reports none). */
  reportUsage: boolean;
  /** Milliseconds every answer waits before its first byte (a slow model). */
  delayMs: number;
  close(): Promise<void>;
}

/** A content part or block of either vendor, as far as the fakes read it. */
type Part = { type: string; text?: string; content?: unknown; tool_use_id?: string };
type Msg = { role: string; content: string | Part[] | null };
/** A request body of either vendor, as far as the fakes and the tests read it (OpenAI Chat / Anthropic Messages). */
export interface WireBody {
  model: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages: Array<Msg & { tool_call_id?: string; tool_calls?: unknown[] }>;
  tools?: Array<{ name?: string; function?: { name: string } }>;
  system?: unknown;
  [key: string]: unknown;
}

/**
 * A fault a fake upstream injects: an HTTP error with its body and headers, a `hang` (no answer at
 * all), a `reset` (the connection dropped before any byte), or a `reset-mid` (a streamed answer cut
 * after its first events).
 */
export type Fault = { status: number; body?: unknown; headers?: Record<string, string> } | { kind: 'hang' | 'reset' | 'reset-mid' };

/** Answers whose stream a `reset-mid` fault cuts after the first content event. */
const CUT_MID_STREAM = new WeakSet<http.ServerResponse>();

/** Applies a fault; returns true when it answered (or deliberately did not), false for `reset-mid`, which the handler applies mid-stream. */
function applyFault(fault: Fault, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if ('status' in fault) {
    res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
    res.end(JSON.stringify(fault.body ?? { error: { message: `fault ${fault.status}`, type: 'server_error' } }));
    return true;
  }
  if (fault.kind === 'hang') return true;
  if (fault.kind === 'reset') {
    req.socket.destroy();
    return true;
  }
  return false;
}

/** The newest user text of an OpenAI or Anthropic message list (text parts only). */
function lastUserText(messages: Msg[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    const text = (m.content as Array<{ type: string; text?: string }>).filter((p) => p.type === 'text').map((p) => p.text);
    if (text.length > 0) return text.join('\n');
  }
  return '';
}

/** What the fake answers: its name and the text it was asked about, so a test sees who answered what. */
export const replyText = (name: string, text: string) => `[${name}] reply to: ${text}`;

/**
 * Behaviour keyed on the newest user text: `FAIL400` → a 400 in the vendor's error shape; `HANG` →
 * headers and one chunk, then silence until the client goes away. Tools in the request and no tool
 * result yet → a call of the first tool with `{"city":"Paris"}`; after a tool result → an answer
 * quoting it.
 */
function plan(messages: Msg[], tools: unknown[] | undefined, text = lastUserText(messages)): { kind: 'fail' | 'hang' | 'tool' | 'text'; text: string } {
  if (text.includes('FAIL400')) return { kind: 'fail', text };
  if (text.includes('HANG')) return { kind: 'hang', text };
  const last = messages.at(-1)!;
  const toolResult =
    last.role === 'tool'
      ? String(last.content)
      : Array.isArray(last.content)
        ? last.content.find((p: { type: string }) => p.type === 'tool_result')
        : undefined;
  if (toolResult !== undefined) {
    const content =
      typeof toolResult === 'string' ? toolResult : typeof toolResult.content === 'string' ? toolResult.content : JSON.stringify(toolResult.content);
    return { kind: 'text', text: `tool said: ${content}` };
  }
  if (tools && tools.length > 0) return { kind: 'tool', text };
  return { kind: 'text', text };
}

async function readJson(req: http.IncomingMessage): Promise<{ raw: string; json: WireBody }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  return { raw, json: JSON.parse(raw) as WireBody };
}

function listen(
  name: string,
  handler: (fake: FakeLlm, req: http.IncomingMessage, res: http.ServerResponse, body: Received) => void,
  basePath: string,
): Promise<FakeLlm> {
  return new Promise((resolve) => {
    const fake = {
      name,
      received: [] as Received[],
      aborted: 0,
      faults: [],
      always: null,
      rejectKeys: new Set<string>(),
      callTools: true,
      quote: null,
      tokens: { input: 8, output: 7, cacheRead: 4, cacheWrite: 0 },
      reportUsage: true,
      delayMs: 0,
    } as unknown as FakeLlm;
    const server = http.createServer(async (req, res) => {
      const { raw, json } = await readJson(req);
      const got: Received = { path: req.url ?? '', headers: req.headers, raw, json };
      fake.received.push(got);
      res.on('close', () => {
        if (!res.writableFinished) fake.aborted++;
      });
      const key = (req.headers.authorization ?? '').replace(/^Bearer /, '') || String(req.headers['x-api-key'] ?? '');
      if (fake.rejectKeys.has(key)) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'invalid api key', type: 'authentication_error' } }));
        return;
      }
      const fault = fake.faults.shift() ?? fake.always;
      if (fault && applyFault(fault, req, res)) return;
      if (fault) CUT_MID_STREAM.add(res);
      if (fake.delayMs > 0) setTimeout(() => handler(fake, req, res, got), fake.delayMs);
      else handler(fake, req, res, got);
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      fake.port = port;
      fake.baseUrl = `http://127.0.0.1:${port}${basePath}`;
      fake.close = () =>
        new Promise((r) => {
          server.closeAllConnections();
          server.close(() => r());
        });
      resolve(fake);
    });
  });
}

const sse = (res: http.ServerResponse, data: unknown, event?: string) =>
  res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);

/** A fake OpenAI Chat Completions provider (OpenAI API reference: chat.completion, chat.completion.chunk). */
export function startFakeOpenAI(name: string): Promise<FakeLlm> {
  return listen(
    name,
    (fake, _req, res, got) => {
      const body = got.json;
      const p = plan(body.messages ?? [], fake.callTools ? body.tools : undefined, fake.quote?.(body));
      const model = body.model as string;
      if (p.kind === 'fail') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `[${name}] bad request: FAIL400`, type: 'invalid_request_error', param: 'messages', code: 'bad_input' } }));
        return;
      }
      const t = fake.tokens;
      const prompt = t.input + t.cacheRead + t.cacheWrite;
      const usage = fake.reportUsage
        ? {
            prompt_tokens: prompt,
            completion_tokens: t.output,
            total_tokens: prompt + t.output,
            prompt_tokens_details: t.cacheWrite > 0 ? { cached_tokens: t.cacheRead, cache_write_tokens: t.cacheWrite } : { cached_tokens: t.cacheRead },
          }
        : undefined;
      const toolCall = { id: 'call_abc123', type: 'function', function: { name: body.tools?.[0]?.function?.name ?? 'tool', arguments: '{"city":"Paris"}' } };
      const answer = replyText(name, p.text);
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        const message = p.kind === 'tool' ? { role: 'assistant', content: null, tool_calls: [toolCall] } : { role: 'assistant', content: answer };
        res.end(
          JSON.stringify({
            id: 'chatcmpl-fake1',
            object: 'chat.completion',
            created: 1_700_000_000,
            model,
            choices: [{ index: 0, message, finish_reason: p.kind === 'tool' ? 'tool_calls' : 'stop', logprobs: null }],
            usage,
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const chunk = (delta: unknown, finish: string | null = null) => ({
        id: 'chatcmpl-fake1',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
      sse(res, chunk({ role: 'assistant', content: '' }));
      if (CUT_MID_STREAM.has(res)) {
        sse(res, chunk({ content: 'partial ' }));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      if (p.kind === 'hang') {
        sse(res, chunk({ content: 'partial' }));
        return; // never ends
      }
      if (p.kind === 'tool') {
        sse(res, chunk({ tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: '' } }] }));
        sse(res, chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }));
        sse(res, chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }));
        sse(res, chunk({}, 'tool_calls'));
      } else {
        const words = answer.split(/(?<= )/);
        for (const w of words) sse(res, chunk({ content: w }));
        sse(res, chunk({}, 'stop'));
      }
      if (body.stream_options?.include_usage && usage)
        sse(res, { id: 'chatcmpl-fake1', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage });
      sse(res, '[DONE]');
      res.end();
    },
    '/v1',
  );
}

/** A fake Anthropic Messages provider (Anthropic API reference: Messages, Streaming Messages). */
export function startFakeAnthropic(name: string): Promise<FakeLlm> {
  return listen(
    name,
    (fake, _req, res, got) => {
      const body = got.json;
      const p = plan(body.messages ?? [], fake.callTools ? body.tools : undefined, fake.quote?.(body));
      const model = body.model as string;
      if (p.kind === 'fail') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: `[${name}] bad request: FAIL400` } }));
        return;
      }
      const t = fake.tokens;
      const reported = { input_tokens: t.input, output_tokens: t.output, cache_read_input_tokens: t.cacheRead, cache_creation_input_tokens: t.cacheWrite };
      // Anthropic always sends usage; a fake that "reports none" sends zeros, as a misbehaving proxy might.
      const usage = fake.reportUsage ? reported : { input_tokens: 0, output_tokens: 0 };
      const toolUse = { type: 'tool_use', id: 'toolu_01abc', name: body.tools?.[0]?.name ?? 'tool', input: { city: 'Paris' } };
      const answer = replyText(name, p.text);
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'msg_fake1',
            type: 'message',
            role: 'assistant',
            model,
            content: p.kind === 'tool' ? [toolUse] : [{ type: 'text', text: answer }],
            stop_reason: p.kind === 'tool' ? 'tool_use' : 'end_turn',
            stop_sequence: null,
            usage,
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      sse(
        res,
        {
          type: 'message_start',
          message: {
            id: 'msg_fake1',
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...usage, output_tokens: 1 },
          },
        },
        'message_start',
      );
      if (p.kind === 'hang' || CUT_MID_STREAM.has(res)) {
        sse(res, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
        if (CUT_MID_STREAM.has(res)) {
          sse(res, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'partial ' } }, 'content_block_delta');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        sse(res, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'partial' } }, 'content_block_delta');
        return; // never ends
      }
      sse(res, { type: 'ping' }, 'ping');
      if (p.kind === 'tool') {
        sse(res, { type: 'content_block_start', index: 0, content_block: { ...toolUse, input: {} } }, 'content_block_start');
        sse(res, { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"city":' } }, 'content_block_delta');
        sse(res, { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }, 'content_block_delta');
      } else {
        sse(res, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
        for (const w of answer.split(/(?<= )/))
          sse(res, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w } }, 'content_block_delta');
      }
      sse(res, { type: 'content_block_stop', index: 0 }, 'content_block_stop');
      sse(
        res,
        {
          type: 'message_delta',
          delta: { stop_reason: p.kind === 'tool' ? 'tool_use' : 'end_turn', stop_sequence: null },
          usage: { output_tokens: usage.output_tokens },
        },
        'message_delta',
      );
      sse(res, { type: 'message_stop' }, 'message_stop');
      res.end();
    },
    '',
  );
}
