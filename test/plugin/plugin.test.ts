// The plugin's before_model_resolve handler against a real smart-routerd (dist/, port 0): routing,
// fail-open on a stopped daemon within the bounded wait, one log line per outage, reconnect when the
// daemon comes back, and prefix corrections reaching the daemon as learning events.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeSharedRouter } from '../../dist/plugin/entry.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { eventually, registerPlugin } from './helpers.js';

const CODE = 'Write a Python rate limiter with the token bucket algorithm';
const CHAT = "Hey, what's up? Tell me something interesting.";
const lists = { flagshipModels: ['oc-flag/big'], lightweightModels: ['oc-light/small'] };
const overrideFor = (tier: string) =>
  tier === 'flagship' ? { providerOverride: 'oc-flag', modelOverride: 'big' } : { providerOverride: 'oc-light', modelOverride: 'small' };

let daemon: RunningDaemon;
beforeAll(async () => {
  daemon = await startDaemon({ config: { flagshipModels: ['flag/big'], lightweightModels: ['light/small'] } });
});
afterAll(async () => {
  await daemon?.stop();
});
afterEach(() => closeSharedRouter());

/** The tier the daemon itself answers for `text` (read-only socket: nothing is learned). */
async function daemonTier(d: RunningDaemon, text: string): Promise<string> {
  const client = await d.client({ scopes: ['operator.read'] });
  try {
    return (await client.request<{ modelTier: string }>('route', { text })).modelTier;
  } finally {
    await client.close();
  }
}

async function patches(d: RunningDaemon): Promise<number> {
  const client = await d.client();
  try {
    return (await client.request<{ patches: number }>('memory.stats', {})).patches;
  } finally {
    await client.close();
  }
}

describe('routing agent turns through the daemon', () => {
  it("returns the model of the tier the daemon chose, from the plugin's model lists", async () => {
    const plugin = registerPlugin({ url: daemon.url, token: daemon.token, timeoutMs: 2000, ...lists });
    for (const text of [CODE, CHAT]) {
      const tier = await daemonTier(daemon, text);
      expect(await plugin.resolve(text), text).toEqual(overrideFor(tier));
    }
    expect(plugin.lines('warn')).toEqual([]);
  });

  it("uses the daemon's selectedModel as the provider/model ref when the plugin has no lists", async () => {
    const plugin = registerPlugin({ url: daemon.url, token: daemon.token, timeoutMs: 2000 });
    const tier = await daemonTier(daemon, CODE);
    expect(await plugin.resolve(CODE)).toEqual(
      tier === 'flagship' ? { providerOverride: 'flag', modelOverride: 'big' } : { providerOverride: 'light', modelOverride: 'small' },
    );
  });

  it('registers the hook with a runner backstop, gateway_stop, and the prefix-stripping text transform', () => {
    const plugin = registerPlugin({ url: daemon.url, token: daemon.token });
    expect(plugin.hooks.sort()).toEqual(['before_model_resolve', 'gateway_stop']);
    expect(plugin.hookOptions?.timeoutMs).toBeGreaterThanOrEqual(250);
    expect(plugin.transforms).toHaveLength(1);
    expect(registerPlugin({ url: daemon.url, token: daemon.token, stripPrefix: false }).transforms).toEqual([]);
  });

  it('logs one info line per routed turn with logDecisions, naming tier, model and latency', async () => {
    const plugin = registerPlugin({ url: daemon.url, token: daemon.token, timeoutMs: 2000, logDecisions: true, ...lists });
    await plugin.resolve(CODE);
    expect(plugin.lines('info')).toEqual([
      expect.stringMatching(/^smart-routerd: (flagship|lightweight) → oc-(flag\/big|light\/small) \(.+; route \d+\.\d\d ms\); hook \d+\.\d\d ms$/),
    ]);
  });

  it('decides a prefixed message from the prefix at once and still sends it to the daemon, which learns it', async () => {
    const plugin = registerPlugin({ url: daemon.url, token: daemon.token, timeoutMs: 2000, ...lists });
    await plugin.resolve(CHAT); // connected
    const before = await patches(daemon);
    expect(await plugin.resolve('F: summarise the vendor contract renewal terms for legal')).toEqual(overrideFor('flagship'));
    expect(await plugin.resolve('轻量：把这段会议记录整理成三条要点')).toEqual(overrideFor('lightweight'));
    await eventually(async () => (await patches(daemon)) === before + 2);
  });

  it('sends a prefixed message through route when the tier has no configured model, and maps the answer', async () => {
    const plugin = registerPlugin({ url: daemon.url, token: daemon.token, timeoutMs: 2000 });
    expect(await plugin.resolve('L: draft a two-line status update for the design review')).toEqual({ providerOverride: 'light', modelOverride: 'small' });
  });
});

describe('when the daemon stops and comes back', () => {
  let stateDir: string;
  let d: RunningDaemon | undefined;
  beforeAll(() => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'srd-plugin-outage-'));
  });
  afterAll(async () => {
    await d?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('fails open within the bounded wait, logs the outage once, reconnects, and learns the corrections made meanwhile', async () => {
    // A token of its own: while this daemon is down, its port may be handed to another suite's daemon
    // (ports are reused under parallel load); with the shared test token the plugin would connect there.
    const token = `outage-token-${process.pid}-${Date.now()}`;
    // Lines logged from now on: under parallel load the plugin's very first connect can miss its
    // 50 ms budget, which is an outage of its own (logged, then "is back") before this test's one.
    const since = (level: 'warn' | 'info', text: string, from: number) => plugin.lines(level, text).slice(from);
    d = await startDaemon({ stateDir, token, config: { flagshipModels: ['flag/big'], lightweightModels: ['light/small'] } });
    const port = d.port;
    const plugin = registerPlugin({ url: d.url, token: d.token, timeoutMs: 50, ...lists });
    await eventually(async () => (await plugin.resolve(CODE)) !== undefined);
    const warnedBefore = plugin.lines('warn', 'smart-routerd unavailable').length;
    const backBefore = plugin.lines('info', 'smart-routerd is back').length;
    const learnedBefore = await patches(d);
    await d.stop();
    d = undefined;

    // Stopped: every turn gets no override (OpenClaw's configured model answers), quickly.
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect(await plugin.resolve(i % 2 ? CODE : CHAT)).toBeUndefined();
      // Bounded wait: 50 ms budget; the generous ceiling only proves the turn is not held.
      expect(performance.now() - started).toBeLessThan(1000);
    }
    // A prefix still decides the turn (the user forced the tier) and is kept for the daemon.
    expect(await plugin.resolve('L: turn this changelog into a short tweet for the launch')).toEqual(overrideFor('lightweight'));
    const warnings = since('warn', 'smart-routerd unavailable', warnedBefore);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^smart-routerd unavailable: (lost the connection|cannot connect) to ws:\/\/127\.0\.0\.1:\d+ .*Agent turns use OpenClaw's configured model until it is back \(logged once per outage\)\.$/,
    );

    // Back on the same port with the same state: routing resumes with no restart of the plugin.
    d = await startDaemon({ stateDir, token, config: { flagshipModels: ['flag/big'], lightweightModels: ['light/small'] }, args: ['--port', String(port)] });
    expect(d.port).toBe(port);
    const tier = await daemonTier(d, CHAT);
    expect(await eventually(() => plugin.resolve(CHAT))).toEqual(overrideFor(tier));
    expect(since('info', 'smart-routerd is back', backBefore)).toEqual([
      expect.stringMatching(/^smart-routerd is back at ws:\/\/127\.0\.0\.1:\d+ after \d+\.\d s; \d+ turn\(s\) used OpenClaw's configured model meanwhile\.$/),
    ]);
    expect(since('warn', 'smart-routerd unavailable', warnedBefore)).toHaveLength(1);
    await eventually(async () => (await patches(d!)) === learnedBefore + 1);

    // A second outage is a second warning.
    await d.stop();
    d = undefined;
    expect(await plugin.resolve(CHAT)).toBeUndefined();
    expect(since('warn', 'smart-routerd unavailable', warnedBefore)).toHaveLength(2);
  });

  it('fails open at once when nothing was ever listening, and logs that once', async () => {
    const plugin = registerPlugin({ url: 'ws://127.0.0.1:9', token: 'x', timeoutMs: 50 });
    for (let i = 0; i < 3; i++) expect(await plugin.resolve(CHAT)).toBeUndefined();
    expect(plugin.lines('warn')).toEqual([expect.stringContaining('smart-routerd unavailable: cannot connect to ws://127.0.0.1:9 (')]);
  });
});
