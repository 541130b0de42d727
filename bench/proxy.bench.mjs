// Section 6 — the model gateway's added cost (issue 12).
//
// One fake upstream (bench/fake-upstream.mjs, its own process: OpenAI Chat Completions and
// Anthropic Messages, answers at once) is called directly and through the real daemon in the same
// run, by the same undici client with keep-alive, request by request in turn, so noise falls on
// both alike. Through the daemon a request is routed (`smart-routerd/auto`: embed, patches, DNA,
// sticky session), passed through (same protocol: only `model` is spliced) or translated (an
// OpenAI client to the Anthropic endpoint). Figures:
//   - added latency of a non-streamed request: gateway p50/p99 − direct p50/p99;
//   - added time to first byte of a streamed one (request sent → first body chunk);
//   - 64 concurrent streams: streams/s and p99 stream time, direct vs gateway.
// Goals (issue 12): added p50 ≤ 1 ms, added TTFB ≤ 1 ms (LiteLLM's published median overhead: 12 ms).

import { createRequire } from 'node:module';
import { ms, printTable, si, times } from './lib/format.mjs';
import { startDaemon, startScript } from './lib/procs.mjs';
import { median } from './lib/stats.mjs';
import { generateMessages } from './lib/texts.mjs';

const require = createRequire(import.meta.url);
const { Agent, request } = require('undici');

const percentile = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** Sends one request; resolves with {total, ttfb} in ms (the body read whole). */
async function call(dispatcher, url, body) {
  const t0 = performance.now();
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, dispatcher });
  let ttfb = null;
  for await (const _chunk of res.body) ttfb ??= performance.now() - t0;
  if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
  return { total: performance.now() - t0, ttfb: ttfb ?? performance.now() - t0 };
}

/** Runs the proxy section; returns { rows, data }. */
export async function runProxy({ quick = false, log = console.error }) {
  const upstream = await startScript('fake-upstream.mjs');
  const daemon = await startDaemon({
    config: {
      models: {
        providers: {
          bench: { api: 'openai-completions', baseUrl: `${upstream.url}/v1`, apiKey: 'bench-key', models: [{ id: 'm' }] },
          benchant: { api: 'anthropic-messages', baseUrl: upstream.url, apiKey: 'bench-key', models: [{ id: 'a' }] },
        },
      },
      defaultFlagshipModel: 'bench/m',
      defaultLightweightModel: 'bench/m',
    },
  });
  const gateway = daemon.url.replace(/^ws/, 'http');
  const dispatcher = new Agent({ keepAliveTimeout: 60_000, connections: 128 });
  const texts = generateMessages(64).map((m) => m.text ?? m);
  const body = (model, i, stream = false) => JSON.stringify({ model, stream, messages: [{ role: 'user', content: texts[i % texts.length] }] });
  const n = quick ? 300 : 1500;
  const variants = {
    direct: (i, s) => call(dispatcher, `${upstream.url}/v1/chat/completions`, body('m', i, s)),
    routed: (i, s) => call(dispatcher, `${gateway}/v1/chat/completions`, body('smart-routerd/auto', i, s)),
    passthrough: (i, s) => call(dispatcher, `${gateway}/v1/chat/completions`, body('bench/m', i, s)),
    translated: (i, s) => call(dispatcher, `${gateway}/v1/chat/completions`, body('benchant/a', i, s)),
  };
  const samples = {};
  for (const stream of [false, true]) {
    for (const name of Object.keys(variants)) samples[`${name}${stream ? ':stream' : ''}`] = [];
    for (let i = 0; i < 50; i++) for (const v of Object.values(variants)) await v(i, stream); // warm-up: JIT, connections
    for (let i = 0; i < n; i++) {
      for (const [name, v] of Object.entries(variants)) samples[`${name}${stream ? ':stream' : ''}`].push(await v(i, stream));
    }
  }
  log(`[proxy] ${n} sequential requests per variant, streamed and not`);

  // 64 concurrent streams, each of `perConn` requests back to back.
  const perConn = quick ? 20 : 60;
  const concurrent = {};
  for (const name of ['direct', 'routed']) {
    const times_ = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async (_, c) => {
        for (let k = 0; k < perConn; k++) times_.push((await variants[name](c * perConn + k, true)).total);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    concurrent[name] = { streams: times_.length, perSecond: times_.length / seconds, p50: median(times_), p99: percentile(times_, 99) };
  }
  await dispatcher.close();
  await daemon.stop();
  await upstream.stop();

  const stat = (key, field) => {
    const v = samples[key].map((s) => s[field]);
    return { p50: median(v), p99: percentile(v, 99) };
  };
  const data = {
    n,
    nonStreamed: Object.fromEntries(Object.keys(variants).map((k) => [k, stat(k, 'total')])),
    ttfb: Object.fromEntries(Object.keys(variants).map((k) => [k, stat(`${k}:stream`, 'ttfb')])),
    streamTotal: Object.fromEntries(Object.keys(variants).map((k) => [k, stat(`${k}:stream`, 'total')])),
    concurrent,
  };
  const d = data.nonStreamed.direct;
  const dt = data.ttfb.direct;
  data.added = {
    p50: data.nonStreamed.routed.p50 - d.p50,
    p99: data.nonStreamed.routed.p99 - d.p99,
    ttfbP50: data.ttfb.routed.p50 - dt.p50,
  };
  const rows = [];
  for (const k of Object.keys(variants)) {
    const ns = data.nonStreamed[k];
    const tf = data.ttfb[k];
    rows.push({
      path:
        k === 'direct'
          ? 'fake upstream, called directly'
          : `through the gateway: ${k === 'routed' ? 'routed (smart-routerd/auto)' : k === 'passthrough' ? 'named model, same protocol' : 'named model, OpenAI → Anthropic translated'}`,
      'p50 / p99 (not streamed)': `${ms(ns.p50)} / ${ms(ns.p99)}`,
      'added p50 / p99': k === 'direct' ? '' : `${ms(ns.p50 - d.p50)} / ${ms(ns.p99 - d.p99)}`,
      'TTFB p50 / p99 (streamed)': `${ms(tf.p50)} / ${ms(tf.p99)}`,
      'added TTFB p50': k === 'direct' ? '' : ms(tf.p50 - dt.p50),
    });
  }
  rows.push({
    path: '64 concurrent streams: direct → gateway (routed)',
    'p50 / p99 (not streamed)': `${si(concurrent.direct.perSecond)}/s → ${si(concurrent.routed.perSecond)}/s streams (${times(concurrent.routed.perSecond / concurrent.direct.perSecond)})`,
    'added p50 / p99': `${ms(concurrent.routed.p50 - concurrent.direct.p50)} / ${ms(concurrent.routed.p99 - concurrent.direct.p99)}`,
    'TTFB p50 / p99 (streamed)': `stream time p99 ${ms(concurrent.direct.p99)} → ${ms(concurrent.routed.p99)}`,
    'added TTFB p50': '',
  });
  return { rows, data };
}

/** Prints the proxy table. */
export function printProxy(result) {
  printTable('6. model gateway: added latency over the same fake upstream called directly (sequential, one client; then 64 concurrent streams)', result.rows);
}
