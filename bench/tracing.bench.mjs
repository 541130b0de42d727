// Section 8 — what metrics and OpenTelemetry tracing cost a route (issue 17; goal: p50 ≤ 1.05×
// without them).
//
// Three real daemons on the default config (packaged DNA, local embedder): "on" has metrics and
// `telemetry.otlp.endpoint` pointing at a loopback OTLP/HTTP sink (a plain http server that reads
// and drops each POST /v1/traces); "metrics only" has the default telemetry (metrics, no traces);
// "off" has `telemetry.metrics: false` and no endpoint (neither prom-client nor the SDK loaded).
// One connection each, sequential `route` requests, the daemons alternated block by block (and
// their order rotated) so background noise falls on all alike; latency = send → matching res. The
// ratio of the p50s (and p99s) to "off" is the figure; absolute times are for reference.

import { spawn } from 'node:child_process';
import { createHistogram } from 'node:perf_hooks';
import { ms, printTable } from './lib/format.mjs';
import { GatewayConn } from './lib/gateway-conn.mjs';
import { BENCH_TOKEN, startDaemon } from './lib/procs.mjs';
import { histogramMs } from './lib/stats.mjs';
import { generateMessages } from './lib/texts.mjs';

/**
 * A loopback OTLP/HTTP sink in a process of its own (as a collector is): counts the export requests
 * and their bytes, answers 200. In the bench's own process its request handling would delay the
 * client's reading of the traced daemon's answers, and be charged to tracing.
 */
async function startSink() {
  const code = `
    const http = require('node:http');
    const got = { posts: 0, bytes: 0 };
    const server = http.createServer((req, res) => {
      req.on('data', (c) => { got.bytes += c.length; });
      req.on('end', () => {
        if (req.url === '/v1/traces') got.posts++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
    process.on('message', () => process.send({ got }, () => process.exit(0)));
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m.got));
        child.send('stop');
      }),
  };
}

async function sequential(conn, paramsOf, count, h) {
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await conn.call('route', paramsOf(i));
    if (h) h.record(Math.max(1, Math.round((performance.now() - t0) * 1e6)));
  }
}

/** Runs the tracing section; returns { on, off, ratios, sink }. */
export async function runTracing({ quick = false, log = console.error }) {
  const texts = generateMessages(4000);
  const paramsOf = (i) => ({ text: texts[i % texts.length] });
  const count = quick ? 2_000 : 10_000;
  const blocks = 10;
  const sink = await startSink();
  const daemons = [
    await startDaemon({ config: { telemetry: { otlp: { endpoint: sink.endpoint } } } }),
    await startDaemon(),
    await startDaemon({ config: { telemetry: { metrics: false } } }),
  ];
  try {
    const conns = [];
    for (const d of daemons) conns.push(await GatewayConn.connect(d.url, BENCH_TOKEN));
    for (const c of conns) await sequential(c, paramsOf, 500, null);
    const hs = conns.map(() => createHistogram());
    const per = Math.ceil(count / blocks);
    for (let b = 0; b < blocks; b++) {
      // Rotate which daemon goes first, too.
      for (let k = 0; k < conns.length; k++) {
        const i = (b + k) % conns.length;
        await sequential(conns[i], (j) => paramsOf(b * per + j), per, hs[i]);
      }
    }
    for (const c of conns) await c.close();
    const [on, metricsOnly, off] = hs.map(histogramMs);
    await new Promise((r) => setTimeout(r, 700)); // the last batch
    return {
      count,
      on,
      metricsOnly,
      off,
      ratios: { p50: on.p50 / off.p50, p99: on.p99 / off.p99, metricsP50: metricsOnly.p50 / off.p50 },
    };
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    const got = await sink.close();
    log(`[tracing] ${count} routes each; the sink got ${got.posts} OTLP exports, ${(got.bytes / 1024).toFixed(0)} KiB`);
  }
}

export function printTracing(r) {
  printTable('8. route with metrics and OpenTelemetry tracing on / off (sequential, one connection each)', [
    { row: 'metrics + tracing on (OTLP/HTTP to a loopback sink)', p50: ms(r.on.p50), p99: ms(r.on.p99) },
    { row: 'metrics only (the default)', p50: ms(r.metricsOnly.p50), p99: ms(r.metricsOnly.p99) },
    { row: 'both off (telemetry.metrics: false, no endpoint)', p50: ms(r.off.p50), p99: ms(r.off.p99) },
    { row: 'metrics only / off', p50: `${r.ratios.metricsP50.toFixed(3)}×`, p99: '' },
    { row: 'on / off (goal p50 ≤ 1.05×)', p50: `${r.ratios.p50.toFixed(3)}×`, p99: `${r.ratios.p99.toFixed(3)}×` },
  ]);
}
