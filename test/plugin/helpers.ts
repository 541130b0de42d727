import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { SocketLike } from '../../dist/plugin/connection.js';
import { createPlugin } from '../../dist/plugin/entry.js';
import type { ModelOverride } from '../../dist/plugin/models.js';
import type { AgentHookContext, ModelResolveHandler, PluginApi, RegistrationMode } from '../../dist/plugin/types.js';

/** Node 20 has no global WebSocket: the tests hand the plugin `ws`, which offers the same API. */
export const wsSocket = (url: string): SocketLike => new WebSocket(url, { perMessageDeflate: false }) as unknown as SocketLike;

/** A plugin registered on a recording stand-in for OpenClaw's `api`. */
export interface Registered {
  /** The before_model_resolve handler OpenClaw would call. */
  resolve: (prompt: string, ctx?: AgentHookContext) => Promise<ModelOverride | undefined>;
  handler: ModelResolveHandler;
  hookOptions: { timeoutMs?: number } | undefined;
  hooks: string[];
  logs: Array<{ level: 'debug' | 'info' | 'warn' | 'error'; message: string }>;
  transforms: Array<{ input?: Array<{ from: string | RegExp; to: string }> }>;
  /** Log lines of one level containing `text`. */
  lines(level: 'debug' | 'info' | 'warn' | 'error', text?: string): string[];
  /** Runs the gateway_stop hook. */
  stop(): Promise<void>;
}

/** A handler of any hook, as `api.on` records it (before_model_resolve is cast back to its own type). */
type HookHandler = (...args: never[]) => unknown;

/** Registers the plugin the way OpenClaw does, with `config` as `plugins.entries.smart-routerd.config`. */
export function registerPlugin(config: Record<string, unknown>, mode: RegistrationMode = 'full', env: NodeJS.ProcessEnv = {}): Registered {
  const logs: Registered['logs'] = [];
  const handlers = new Map<string, { fn: HookHandler; options?: { timeoutMs?: number } }>();
  const transforms: Registered['transforms'] = [];
  const api: PluginApi = {
    registrationMode: mode,
    pluginConfig: config,
    logger: {
      debug: (message) => logs.push({ level: 'debug', message }),
      info: (message) => logs.push({ level: 'info', message }),
      warn: (message) => logs.push({ level: 'warn', message }),
      error: (message) => logs.push({ level: 'error', message }),
    },
    on: ((hook: string, fn: HookHandler, options?: { timeoutMs?: number }) => {
      handlers.set(hook, { fn, ...(options ? { options } : {}) });
    }) as PluginApi['on'],
    registerTextTransforms: (t) => transforms.push(t),
  };
  createPlugin({ socket: wsSocket, env }).register(api);
  const entry = handlers.get('before_model_resolve');
  const handler = entry?.fn as ModelResolveHandler;
  return {
    resolve: (prompt, ctx) => handler({ prompt }, ctx ?? { trigger: 'user' }),
    handler,
    hookOptions: entry?.options,
    hooks: [...handlers.keys()],
    logs,
    transforms,
    lines: (level, text) => logs.filter((l) => l.level === level && (text === undefined || l.message.includes(text))).map((l) => l.message),
    stop: async () => {
      await handlers.get('gateway_stop')?.fn();
    },
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A request frame the plugin sent to the fake daemon. */
export interface RequestFrame {
  type: string;
  id: string;
  method: string;
  params: { auth?: { token?: string } } & Record<string, unknown>;
}

/** What a scripted fake daemon does with a `route` request. */
export type RouteBehaviour = (params: RequestFrame['params']) => { payload?: unknown; error?: { code: string; message: string } } | 'stall';

/** A scripted smart-routerd stand-in speaking the handshake, for wire-level plugin tests. */
export interface FakeDaemon {
  url: string;
  port: number;
  /** Every frame received, per connection. */
  connections: Array<{ frames: RequestFrame[]; closed?: { code: number; reason: string } }>;
  route: RouteBehaviour;
  tickIntervalMs: number;
  /** Send `tick` events on the interval (default true). */
  ticks: boolean;
  close(): Promise<void>;
}

/** Starts a fake daemon on 127.0.0.1:0 that accepts `token`. */
export async function startFakeDaemon(
  token: string,
  route: RouteBehaviour = () => ({ payload: { modelTier: 'lightweight', selectedModel: 'x/y' } }),
): Promise<FakeDaemon> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const fake: FakeDaemon = {
    url: '',
    port: 0,
    connections: [],
    route,
    tickIntervalMs: 30_000,
    ticks: true,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
  wss.on('connection', (ws) => {
    const conn: FakeDaemon['connections'][number] = { frames: [] };
    fake.connections.push(conn);
    let timer: NodeJS.Timeout | undefined;
    ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: Date.now() } }));
    ws.on('close', (code, reason) => {
      clearInterval(timer);
      conn.closed = { code, reason: reason.toString() };
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as RequestFrame;
      conn.frames.push(frame);
      if (frame.method === 'connect') {
        if (frame.params?.auth?.token !== token) {
          ws.send(
            JSON.stringify({
              type: 'res',
              id: frame.id,
              ok: false,
              error: { code: 'INVALID_REQUEST', message: 'unauthorized: gateway token mismatch', details: { code: 'AUTH_TOKEN_MISMATCH' } },
            }),
          );
          ws.close(1008, 'unauthorized');
          return;
        }
        ws.send(
          JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: { type: 'hello-ok', protocol: 4, policy: { tickIntervalMs: fake.tickIntervalMs } } }),
        );
        if (fake.ticks) timer = setInterval(() => ws.send(JSON.stringify({ type: 'event', event: 'tick', payload: { ts: Date.now() } })), fake.tickIntervalMs);
      } else if (frame.method === 'route') {
        const out = fake.route(frame.params);
        if (out === 'stall') return;
        ws.send(
          JSON.stringify(
            out.error ? { type: 'res', id: frame.id, ok: false, error: out.error } : { type: 'res', id: frame.id, ok: true, payload: out.payload },
          ),
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `ws://127.0.0.1:${fake.port}`;
  return fake;
}
