#!/usr/bin/env node
// A fake LLM provider for the proxy bench (section 6): OpenAI Chat Completions at
// /v1/chat/completions and Anthropic Messages at /v1/messages, non-streamed (one small JSON answer)
// or streamed (8 SSE events in one write each, no delay). It does no work per request beyond
// reading the body, so what the bench measures over it is the gateway's own cost. Prints one JSON
// line with its url when listening.
import http from 'node:http';

const WORDS = ['Hello', ' from', ' the', ' fake', ' upstream', ',', ' done', '.'];

function openai(body, res) {
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
  for (const w of WORDS)
    res.write(
      `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })}\n\n`,
    );
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
    if (req.url === '/v1/messages') anthropic(body, res);
    else openai(body, res);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })));
