#!/usr/bin/env node
// A fake LLM provider for the proxy bench (section 6): OpenAI Chat Completions at
// /v1/chat/completions and Anthropic Messages at /v1/messages, non-streamed (one small JSON answer)
// or streamed (8 SSE events in one write each, no delay). It does no work per request beyond
// reading the body, so what the bench measures over it is the gateway's own cost. Prints one JSON
// line with its url when listening. With FAIL_RATE=<0..1> (the soak, section 7) that share of requests
// fails at random: half before the first byte (a 500, or the connection reset), half mid-stream (the
// connection reset after two events).
import http from 'node:http';

const FAIL_RATE = Number(process.env.FAIL_RATE ?? 0);
/** 'early' | 'mid' | null for one request. */
function fault() {
  const r = Math.random();
  return r < FAIL_RATE / 2 ? 'early' : r < FAIL_RATE ? 'mid' : null;
}

const WORDS = ['Hello', ' from', ' the', ' fake', ' upstream', ',', ' done', '.'];

function openai(body, res, f) {
  const model = body.model;
  if (!body.stream) {
    const text = JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created: 1,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: WORDS.join('') }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const [i, w] of WORDS.entries()) {
    res.write(
      `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })}\n\n`,
    );
    if (f === 'mid' && i === 1) {
      setTimeout(() => res.socket.destroy(), 5);
      return;
    }
  }
  res.write(
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
  );
  res.end('data: [DONE]\n\n');
}

function anthropic(body, res) {
  const model = body.model;
  const usage = { input_tokens: 10, output_tokens: 8 };
  if (!body.stream) {
    const text = JSON.stringify({
      id: 'msg_bench',
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: WORDS.join('') }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const ev = (name, data) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  ev('message_start', {
    type: 'message_start',
    message: { id: 'msg_bench', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage },
  });
  ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  for (const w of WORDS) ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w } });
  ev('content_block_stop', { type: 'content_block_stop', index: 0 });
  ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 8 } });
  ev('message_stop', { type: 'message_stop' });
  res.end();
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const f = fault();
    if (f === 'early' || (f === 'mid' && !body.stream)) {
      if (Math.random() < 0.5) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"injected failure","type":"server_error"}}');
      } else req.socket.destroy();
      return;
    }
    if (req.url === '/v1/messages') anthropic(body, res);
    else openai(body, res, f);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })));
