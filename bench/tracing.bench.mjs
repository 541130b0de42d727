// Section 8 — what OpenTelemetry tracing costs a route (issue 17; goal: p50 ≤ 1.05× without it).
//
// Two real daemons on the default config (packaged DNA, local embedder): one with
// `telemetry.otlp.endpoint` pointing at a loopback OTLP/HTTP sink (a plain http server that reads
// and drops each POST /v1/traces), one without (the SDK is then never loaded). Metrics are on in
// both (the daemon always has them). One connection each, sequential `route` requests, the two
// daemons alternated block by block so background noise falls on both alike; latency = send →
// matching res. The ratio of the p50s (and p99s) is the figure; absolute times are for reference.

import http from 'node:http';
import { createHistogram } from 'node:perf_hooks';
import { ms, printTable } from './lib/format.mjs';
import { GatewayConn } from './lib/gateway-conn.mjs';
import { BENCH_TOKEN, startDaemon } from './lib/procs.mjs';
import { histogramMs } from './lib/stats.mjs';
import { generateMessages } from './lib/texts.mjs';

/** A loopback OTLP/HTTP sink: counts the export requests and their bytes, answers 200. */
async function startSink() {
  const got = { posts: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (c) => {
      got.bytes += c.length;
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') got.posts++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    got,
    close: () => new Promise((resolve) => server.close(resolve)),
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
  const traced = await startDaemon({ config: { telemetry: { otlp: { endpoint: sink.endpoint } } } });
  const plain = await startDaemon();
  try {
    const cOn = await GatewayConn.connect(traced.url, BENCH_TOKEN);
    const cOff = await GatewayConn.connect(plain.url, BENCH_TOKEN);
    await sequential(cOn, paramsOf, 500, null);
    await sequential(cOff, paramsOf, 500, null);
    const hOn = createHistogram();
    const hOff = createHistogram();
    const per = Math.ceil(count / blocks);
    for (let b = 0; b < blocks; b++) {
      // Alternate which daemon goes first, too.
      const order = b % 2 === 0 ? [cOn, cOff] : [cOff, cOn];
      for (const c of order) await sequential(c, (i) => paramsOf(b * per + i), per, c === cOn ? hOn : hOff);
    }
    await cOn.close();
    await cOff.close();
    const on = histogramMs(hOn);
    const off = histogramMs(hOff);
    await new Promise((r) => setTimeout(r, 700)); // the last batch
    log(`[tracing] ${count} routes each; the sink got ${sink.got.posts} OTLP exports, ${(sink.got.bytes / 1024).toFixed(0)} KiB`);
    return { count, on, off, ratios: { p50: on.p50 / off.p50, p99: on.p99 / off.p99 }, sink: { ...sink.got } };
  } finally {
    await Promise.all([traced.stop(), plain.stop()]);
    await sink.close();
  }
}

export function printTracing(r) {
  printTable('8. route with OpenTelemetry tracing on / off (metrics on in both; sequential, one connection)', [
    { row: 'tracing on (OTLP/HTTP to a loopback sink)', p50: ms(r.on.p50), p99: ms(r.on.p99) },
    { row: 'tracing off (SDK not loaded)', p50: ms(r.off.p50), p99: ms(r.off.p99) },
    { row: 'on / off (goal p50 ≤ 1.05×)', p50: `${r.ratios.p50.toFixed(3)}×`, p99: `${r.ratios.p99.toFixed(3)}×` },
  ]);
}
