import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PendingRequests } from '../../src/plugin/requests.js';
import { ROOT } from '../helpers/daemon.js';

/** A WebSocket server answering every `req` at once, in a process of its own (so it answers while this thread is blocked). */
const SERVER = `
  const { WebSocketServer } = require('ws');
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => console.log(server.address().port));
  server.on('connection', (s) => s.on('message', (data) => {
    const req = JSON.parse(data.toString());
    s.send(JSON.stringify({ type: 'res', id: req.id, ok: true, payload: req.params }));
  }));
`;

// The plugin's request budget against a real WebSocket on loopback: an answer that arrived in time
// must win even when the plugin's thread was busy past the budget (OpenClaw's first agent turn
// loads modules for hundreds of ms), because Node runs expired timers before it reads sockets.
describe('PendingRequests', () => {
  let server: ChildProcess;
  let ws: WebSocket;
  let pending: PendingRequests;
  beforeAll(async () => {
    server = spawn(process.execPath, ['-e', SERVER], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((r) => server.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
    pending = new PendingRequests();
    ws = new WebSocket(`ws://127.0.0.1:${port}`);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { id: string };
      pending.answer(frame.id, frame as unknown as Record<string, unknown>);
    });
    await new Promise((r) => ws.once('open', r));
  });
  afterAll(() => {
    ws.close();
    server.kill();
  });

  it('takes an answer that arrived in time although the thread was blocked past the budget', async () => {
    const answer = pending.send(ws as never, 'route', { text: 'hi' }, 20, false);
    const until = performance.now() + 80;
    while (performance.now() < until) {
      // busy: the answer lands in the socket meanwhile, and the 20 ms timer expires
    }
    await expect(answer).resolves.toEqual({ text: 'hi' });
  });

  it('still times out when no answer comes', async () => {
    const silent = { send: () => undefined };
    await expect(pending.send(silent as never, 'route', {}, 20, false)).rejects.toMatchObject({ kind: 'timeout' });
  });
});
