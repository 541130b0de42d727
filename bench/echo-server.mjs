// Transport floor for the route section: the same `ws` server stack as the daemon
// (http.createServer + WebSocketServer, no permessage-deflate, one spawned Node process), the same
// handshake shape (connect.challenge → connect → res), then every `req` frame is answered with
// `{type:"res", id, ok:true, payload: params}`: parse + stringify + one socket write, no routing.
// Prints one JSON line with `url` when listening on 127.0.0.1 (port 0). SIGTERM stops it.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer } from 'ws';

const server = http.createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 25 * 1024 * 1024 });

wss.on('connection', (ws) => {
  ws.on('error', () => undefined);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const frame = JSON.parse(data.toString('utf8'));
    const payload = frame.method === 'connect' ? { type: 'hello-ok', protocol: 4 } : (frame.params ?? null);
    ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload }));
  });
  ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: randomUUID(), ts: Date.now() } }));
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(JSON.stringify({ msg: 'echo server ready', url: `ws://127.0.0.1:${port}` }));
});

process.once('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
});
