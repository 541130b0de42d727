// The plugin's protocol client against a scripted daemon: the handshake it sends, what a `route`
// carries, the tick watchdog, slow and failing answers, auth failure, one shared connection.
import { afterEach, describe, expect, it } from 'vitest';
import { closeSharedRouter } from '../../dist/plugin/entry.js';
import { eventually, type FakeDaemon, registerPlugin, startFakeDaemon } from './helpers.js';

const TOKEN = 'wire-token-0123456789';
const fakes: FakeDaemon[] = [];
async function fake(...args: Parameters<typeof startFakeDaemon>): Promise<FakeDaemon> {
  const f = await startFakeDaemon(...args);
  fakes.push(f);
  return f;
}
afterEach(async () => {
  closeSharedRouter();
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

const requests = (f: FakeDaemon, method: string) => f.connections.flatMap((c) => c.frames).filter((fr) => fr.method === method);

describe('the connection to smart-routerd', () => {
  it('answers connect.challenge with a protocol-4 connect: gateway-client/backend, operator.read + operator.write, the token', async () => {
    const f = await fake(TOKEN);
    const plugin = registerPlugin({ url: f.url, token: TOKEN, timeoutMs: 1000 });
    await plugin.resolve('hello');
    const [connect] = requests(f, 'connect');
    expect(connect).toMatchObject({
      type: 'req',
      method: 'connect',
      params: {
        minProtocol: 4,
        maxProtocol: 4,
        client: { id: 'gateway-client', mode: 'backend', platform: process.platform, displayName: 'openclaw-plugin:smart-routerd' },
        role: 'operator',
        scopes: ['operator.read', 'operator.write'],
        auth: { token: TOKEN },
      },
    });
    expect(f.connections[0]!.frames[0].method).toBe('connect');
  });

  it("sends route with the user's text only: the prompt, without OpenClaw's envelope, nothing else", async () => {
    const f = await fake(TOKEN);
    const plugin = registerPlugin({ url: f.url, token: TOKEN, timeoutMs: 1000 });
    await plugin.resolve('Compare WebSockets vs SSE vs polling for 10K concurrent users');
    await plugin.resolve('[Sat 2026-11-21 18:54 UTC] Remind me tomorrow at 9am and ping Slack about the deploy');
    expect(requests(f, 'route').map((r) => r.params)).toEqual([
      { text: 'Compare WebSockets vs SSE vs polling for 10K concurrent users' },
      { text: 'Remind me tomorrow at 9am and ping Slack about the deploy' },
    ]);
  });

  it('sends at most the first 8000 characters of a long message, so one paste cannot eat the budget', async () => {
    const f = await fake(TOKEN);
    const plugin = registerPlugin({ url: f.url, token: TOKEN, timeoutMs: 1000 });
    const long = `F: ${'review this log line by line. '.repeat(2000)}`;
    await plugin.resolve(long);
    const [route] = requests(f, 'route');
    expect(route.params.text).toBe(long.slice(0, 8000));
  });

  it('keeps one connection for every registration of the same daemon (OpenClaw registers the plugin several times)', async () => {
    const f = await fake(TOKEN);
    const full = registerPlugin({ url: f.url, token: TOKEN, timeoutMs: 1000 }, 'full');
    const discovery = registerPlugin({ url: f.url, token: TOKEN, timeoutMs: 1000 }, 'discovery');
    await discovery.resolve('one');
    await full.resolve('two');
    await discovery.resolve('three');
    expect(f.connections).toHaveLength(1);
    expect(requests(f, 'route')).toHaveLength(3);
  });

  it('connects at a full registration, ahead of the first turn, and not at a discovery one', async () => {
    const f = await fake(TOKEN);
    registerPlugin({ url: f.url, token: TOKEN }, 'discovery');
    await new Promise((r) => setTimeout(r, 200));
    expect(f.connections).toHaveLength(0);
    registerPlugin({ url: f.url, token: TOKEN }, 'full');
    await eventually(() => requests(f, 'connect').length === 1);
  });

  it('closes with 4000 when no frame arrives for 2 × tickIntervalMs, then reconnects', async () => {
    const f = await fake(TOKEN);
    f.tickIntervalMs = 100;
    f.ticks = false;
    registerPlugin({ url: f.url, token: TOKEN }, 'full');
    await eventually(() => f.connections[0]?.closed?.code === 4000, 5000);
    expect(f.connections[0]!.closed).toEqual({ code: 4000, reason: 'tick timeout' });
    await eventually(() => f.connections.length >= 2, 5000);
  });

  it('keeps the connection while ticks arrive', async () => {
    const f = await fake(TOKEN);
    f.tickIntervalMs = 250;
    registerPlugin({ url: f.url, token: TOKEN }, 'full');
    await eventually(() => requests(f, 'connect').length === 1);
    await new Promise((r) => setTimeout(r, 1200));
    expect(f.connections).toHaveLength(1);
    expect(f.connections[0]!.closed).toBeUndefined();
  });

  it('closes the connection with 1000 on gateway_stop', async () => {
    const f = await fake(TOKEN);
    const plugin = registerPlugin({ url: f.url, token: TOKEN, timeoutMs: 1000 });
    await plugin.resolve('hello');
    await plugin.stop();
    await eventually(() => f.connections[0]?.closed !== undefined);
    expect(f.connections[0]!.closed!.code).toBe(1000);
  });
});

describe('failing open', () => {
  it('gives no override when the daemon does not answer within timeoutMs, without holding the turn longer', async () => {
    const f = await fake(TOKEN, () => 'stall');
    const plugin = registerPlugin({ url: f.url, token: TOKEN, timeoutMs: 80 });
    await eventually(() => requests(f, 'connect').length === 1);
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      expect(await plugin.resolve('Write unit tests for the auth middleware, cover edge cases')).toBeUndefined();
      const ms = performance.now() - started;
      expect(ms).toBeGreaterThanOrEqual(75);
      expect(ms).toBeLessThan(1000);
    }
    expect(plugin.lines('warn')).toEqual([expect.stringMatching(/^smart-routerd unavailable: no decision within 80 ms/)]);
  });

  it('gives no override when the daemon answers with an error, and says so once', async () => {
    const f = await fake(TOKEN, () => ({ error: { code: 'UNAVAILABLE', message: 'daemon is reloading' } }));
    const plugin = registerPlugin({ url: f.url, token: TOKEN, timeoutMs: 1000 });
    expect(await plugin.resolve('a')).toBeUndefined();
    expect(await plugin.resolve('b')).toBeUndefined();
    expect(plugin.lines('warn')).toEqual([expect.stringContaining('smart-routerd unavailable: route failed: daemon is reloading')]);
    f.route = () => ({ payload: { modelTier: 'flagship', selectedModel: 'p/m' } });
    expect(await plugin.resolve('c')).toEqual({ providerOverride: 'p', modelOverride: 'm' });
    expect(plugin.lines('info', 'smart-routerd is back')).toHaveLength(1);
  });

  it('gives no override for an answer that is not a decision', async () => {
    const f = await fake(TOKEN, () => ({ payload: { modelTier: 'medium' } }));
    const plugin = registerPlugin({ url: f.url, token: TOKEN, timeoutMs: 1000 });
    expect(await plugin.resolve('a')).toBeUndefined();
  });

  it("reports a refused token once, with the daemon's message", async () => {
    const f = await fake(TOKEN);
    const plugin = registerPlugin({ url: f.url, token: 'wrong-token', timeoutMs: 200 });
    for (let i = 0; i < 3; i++) expect(await plugin.resolve('hello')).toBeUndefined();
    expect(plugin.lines('warn')).toEqual([expect.stringContaining('refused the connection: unauthorized: gateway token mismatch')]);
  });

  it('leaves heartbeat turns and empty prompts alone (no request, no override)', async () => {
    const f = await fake(TOKEN);
    const plugin = registerPlugin({ url: f.url, token: TOKEN, timeoutMs: 1000 });
    expect(await plugin.resolve('check the inbox', { trigger: 'heartbeat' })).toBeUndefined();
    expect(await plugin.resolve('   ')).toBeUndefined();
    expect(requests(f, 'route')).toEqual([]);
  });
});
