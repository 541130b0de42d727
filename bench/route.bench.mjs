// Section 2 — route latency and throughput over real WebSockets.
//
// Peer: a spawned echo server on the same `ws` stack (bench/echo-server.mjs) that answers every
// `req` with its params as a `res`: the transport floor, measured by the same client code.
// The daemon under test holds 1,500 user patches (taught over route.feedback first), as issue 7
// asks; a second daemon without patches is measured alongside in (a) for reference.
// (a) One connection, sequential `route` requests with generated messages, vs the echo server.
//     Latency = send → matching res, recorded in ns in perf_hooks histograms (p50/p99/p99.9).
// (b) 64 connections, open loop: requests are sent on a fixed schedule at the offered rate,
//     round-robin over the connections, never waiting for responses (so a slow server cannot slow
//     the senders: no coordinated omission); latency is send → res, and the generator's own lag
//     behind its schedule is recorded apart. A rate passes with p99 ≤ 5 ms, nothing lost and
//     ≥ 95% of the offered rate answered. The offered
//     rate climbs ×1.5 per step until p99 > 5 ms (a failing step is retried once), then is
//     bisected. The highest passing rate is "sustained". The same search runs against the echo
//     server. A closed-loop run (64 connections × 1 request in flight) gives raw msgs/s too.

import { createHistogram } from 'node:perf_hooks';
import { LocalEmbedder } from '../dist/embedding/local.js';
import { KernelPool } from '../dist/kernel/index.js';
import { PatchIndex } from '../dist/memory/index.js';
import { mib, ms, printTable, si, times } from './lib/format.mjs';
import { GatewayConn } from './lib/gateway-conn.mjs';
import { BENCH_TOKEN, rssBytes, startDaemon, startScript, watchRss } from './lib/procs.mjs';
import { histogramMs } from './lib/stats.mjs';
import { generateMessages, prng, randomPhrases } from './lib/texts.mjs';

const CONNECTIONS = 64;
const P99_LIMIT_MS = 5;
/** Fewest recorded responses a step's p99 may rest on (the window stretches up to MAX_WINDOW_MS). */
const MIN_SAMPLES = 400;
const MAX_WINDOW_MS = 6_000;
/** User patches preloaded into the second daemon for the "route with user patches" rows. */
const PATCHES = 1_500;
/** Its vectorStore.compactionThreshold: above PATCHES (plus what prefixed messages teach), so no compaction merges or evicts. */
const PATCHES_COMPACTION_THRESHOLD = 5_000;
const PRELOAD_CONNECTIONS = 16;

/** One sequential request/response per iteration; records send → res in ns into `h`. */
async function sequential(conn, method, paramsOf, count, h, onPayload) {
  for (let i = 0; i < count; i++) {
    const params = paramsOf(i);
    const t0 = performance.now();
    const frame = await conn.call(method, params);
    const dt = performance.now() - t0;
    if (h) h.record(Math.max(1, Math.round(dt * 1e6)));
    if (onPayload) onPayload(frame.payload);
  }
}

/** Resolves once no connection has a request in flight (or after `maxMs`). */
async function drained(conns, maxMs = 10_000) {
  const end = performance.now() + maxMs;
  while (conns.some((c) => c.pending.size > 0) && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  return conns.every((c) => c.pending.size === 0);
}

/**
 * One open-loop step at `rate` req/s over `conns`: warm-up `warmMs` (not recorded), then
 * `measureMs` recorded. Sends follow the schedule whatever the server does (they never wait for
 * responses), so latency is taken from the actual send; how late the generator itself ran
 * against its schedule is recorded apart (`lagMs`) so a step the generator could not drive is
 * visible. Waits up to 2 s after the last send for stragglers; anything still missing counts as
 * lost. Returns { rate, achieved, lost, failed, latency (ms), lagMs, pass }.
 */
function openLoopStep(conns, rate, paramsOf, { warmMs, measureMs }) {
  // At low rates, stretch the window so p99 rests on at least MIN_SAMPLES responses.
  measureMs = Math.min(MAX_WINDOW_MS, Math.max(measureMs, (MIN_SAMPLES * 1000) / rate));
  const interval = 1000 / rate;
  const total = Math.max(1, Math.round((rate * (warmMs + measureMs)) / 1000));
  const warmCount = Math.round((rate * warmMs) / 1000);
  const h = createHistogram();
  const lag = createHistogram();
  let sent = 0;
  let received = 0;
  let failed = 0;
  let firstAt = 0;
  let lastAt = 0;
  const start = performance.now() + 2;
  return new Promise((resolve) => {
    let timer;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const lat = histogramMs(h);
      const lost = total - received;
      const achieved = h.count > 1 ? ((h.count - 1) * 1000) / Math.max(0.001, lastAt - firstAt) : 0;
      resolve({
        rate,
        achieved,
        lost,
        failed,
        latency: lat,
        lagMs: histogramMs(lag),
        pass: lost === 0 && failed === 0 && lat.p99 <= P99_LIMIT_MS && achieved >= 0.95 * rate,
      });
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const i = sent++;
        const sentAt = performance.now();
        if (i >= warmCount) lag.record(Math.max(1, Math.round((sentAt - (start + i * interval)) * 1e6)));
        conns[i % conns.length].request('route', paramsOf(i), (ok) => {
          if (done) return;
          const t = performance.now();
          received++;
          if (!ok) failed++;
          else if (i >= warmCount) {
            h.record(Math.max(1, Math.round((t - sentAt) * 1e6)));
            if (firstAt === 0) firstAt = t;
            lastAt = t;
          }
          if (received === total) finish();
        });
      }
      if (sent < total) timer = setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
      else timer = setTimeout(finish, 2_000);
    };
    timer = setTimeout(tick, 0);
  });
}

/**
 * Finds the highest offered rate with p99 ≤ 5 ms: ×1.5 ladder from `from` (or ÷2 below it when
 * `from` already fails), a failing step retried once, then `bisections` geometric bisections.
 * Returns { sustained, best, firstFailing, steps }.
 */
async function findSustainedRate(conns, paramsOf, { from, floor = 60, warmMs, measureMs, bisections, log, label }) {
  const steps = [];
  const trial = async (rate) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      await drained(conns);
      const r = await openLoopStep(conns, Math.round(rate), paramsOf, { warmMs, measureMs });
      steps.push(r);
      log(
        `[route] ${label} ${Math.round(rate)}/s: p50 ${ms(r.latency.p50)} p99 ${ms(r.latency.p99)} achieved ${si(r.achieved)}/s lost ${r.lost} generator lag p99 ${ms(r.lagMs.p99)}${r.pass ? '' : ' ✗'}`,
      );
      if (r.pass) return r;
    }
    return null;
  };
  let good = null;
  let badRate = null;
  for (let rate = from; rate <= 400_000; rate *= 1.5) {
    const r = await trial(rate);
    if (!r) {
      badRate = rate;
      break;
    }
    good = r;
  }
  // Failing at the first rate: halve down to `floor`/s so there is still a figure to compare.
  for (let rate = from / 2; !good && rate >= floor; rate /= 2) {
    const r = await trial(rate);
    if (r) good = r;
    else badRate = rate;
  }
  if (good && badRate) {
    let lo = good.rate;
    let hi = badRate;
    for (let i = 0; i < bisections; i++) {
      const mid = Math.sqrt(lo * hi);
      const r = await trial(mid);
      if (r) {
        good = r;
        lo = mid;
      } else hi = mid;
    }
  }
  await drained(conns);
  return { sustained: good?.rate ?? 0, best: good, firstFailing: badRate, steps };
}

/** Closed loop: every connection keeps one request in flight for `durationMs`. */
async function closedLoop(conns, paramsOf, durationMs) {
  const h = createHistogram();
  let count = 0;
  let n = 0;
  const end = performance.now() + durationMs;
  const t0 = performance.now();
  await Promise.all(
    conns.map(
      (c) =>
        new Promise((resolve) => {
          const next = () => {
            if (performance.now() >= end) return resolve();
            const sentAt = performance.now();
            c.request('route', paramsOf(n++), () => {
              h.record(Math.max(1, Math.round((performance.now() - sentAt) * 1e6)));
              count++;
              next();
            });
          };
          next();
        }),
    ),
  );
  return { msgsPerSec: (count * 1000) / (performance.now() - t0), latency: histogramMs(h) };
}

/** a / b as a percentage, e.g. "30%". */
function share(r) {
  return `${(r * 100).toPrecision(2)}%`;
}

/** "3.32 k/s", or "none ≥ 60/s" when even the lowest rate tried failed. */
function rateText(load) {
  return load.sustained ? `${si(load.sustained)}/s` : `none ≥ ${si(load.firstFailing)}/s`;
}

/**
 * Where the in-daemon time of one route goes, measured in this process on the same texts with the
 * daemon's own parts: the local embedder; the DNA scan as the daemon does it (48 rows like the
 * packaged DNA, column-major, KernelPool.scan inline); the user-patch scan as the daemon does it
 * (PATCHES local-embedder vectors in a PatchIndex: inverted lists, inline unless the scan's work
 * exceeds INLINE_SCAN_WORK); and, for comparison, the same patch rows row-major in a worker
 * (Piscina round trip, back to back), the layout and dispatch used before. Sequential calls.
 */
async function inProcessBreakdown(texts, count) {
  const embedder = new LocalEmbedder(1024);
  const hEmbed = createHistogram();
  const queries = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const v = embedder.embedSync(texts[i % texts.length]);
    hEmbed.record(Math.max(1, Math.round((performance.now() - t0) * 1e6)));
    if (i < 256) queries.push(v);
  }
  const pool = new KernelPool({ minThreads: 2, maxThreads: 2 });
  await pool.warm();
  const dims = 1024;
  const rnd = prng(77);
  const unitRows = (rows) => {
    const m = new Float32Array(rows * dims).map(() => rnd() - 0.5);
    for (let r = 0; r < rows; r++) {
      const row = m.subarray(r * dims, (r + 1) * dims);
      const norm = Math.hypot(...row);
      for (let j = 0; j < dims; j++) row[j] /= norm;
    }
    return m;
  };
  const dna = pool.loadColumns(unitRows(48), 48, dims);
  // Patches as the daemon gets them: local-embedder vectors of random-word texts (as preloaded).
  const nextText = randomPhrases(23);
  const patchRows = new Float32Array(PATCHES * dims);
  for (let r = 0; r < PATCHES; r++) patchRows.set(embedder.embedSync(nextText()), r * dims);
  const index = new PatchIndex(pool, dims);
  index.replace(patchRows, PATCHES);
  const rowMajor = pool.load(patchRows, PATCHES, dims);
  const timed = async (h, fn) => {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await fn(queries[i % queries.length]);
      if (i >= 200) h.record(Math.max(1, Math.round((performance.now() - t0) * 1e6)));
    }
  };
  const hDna = createHistogram();
  await timed(hDna, (q) => pool.scan(q, dna, 0, true));
  const hPatch = createHistogram();
  const before = pool.completedTasks;
  await timed(hPatch, async (q) => {
    const { matrix, release } = index.acquire();
    try {
      await pool.scan(q, matrix, 32);
    } finally {
      release();
    }
  });
  const patchInWorkerShare = (pool.completedTasks - before) / count;
  const hOld = createHistogram();
  await timed(hOld, (q) => pool.scanInWorker(q, rowMajor, 32));
  const nonZero = queries.map((q) => q.reduce((a, x) => a + (x !== 0 ? 1 : 0), 0)).sort((a, b) => a - b);
  await pool.close();
  return {
    embed: histogramMs(hEmbed),
    dnaScan: histogramMs(hDna),
    patchScan: histogramMs(hPatch),
    patchScanInWorkerShare: patchInWorkerShare,
    patchLayout: index.layout,
    rowMajorPatchScanInWorker: histogramMs(hOld),
    queryNonZeroDims: { p10: nonZero[Math.floor(nonZero.length * 0.1)], p50: nonZero[nonZero.length >> 1], p90: nonZero[Math.floor(nonZero.length * 0.9)] },
  };
}

async function openConns(url, n, scopes) {
  const conns = [];
  for (let i = 0; i < n; i++) conns.push(await GatewayConn.connect(url, BENCH_TOKEN, scopes));
  return conns;
}

/**
 * Teaches `count` user patches over `route.feedback` (random-word texts, tiers alternating),
 * `PRELOAD_CONNECTIONS` in flight at once so group commit makes it quick. Returns memory.stats
 * afterwards and the time taken.
 */
async function preloadPatches(url, count) {
  const scopes = ['operator.read', 'operator.write'];
  const conns = await openConns(url, PRELOAD_CONNECTIONS, scopes);
  const nextText = randomPhrases(23);
  let issued = 0;
  const t0 = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      while (issued < count) {
        const i = issued++;
        await c.call('route.feedback', { text: nextText(), tier: i % 2 ? 'lightweight' : 'flagship' });
      }
    }),
  );
  const elapsedMs = performance.now() - t0;
  const stats = (await conns[0].call('memory.stats', {})).payload;
  await Promise.all(conns.map((c) => c.close()));
  return { ms: elapsedMs, stats };
}

/** Runs the route section; returns { seqRows, loadRows, breakdownRows, data }. */
export async function runRoute({ quick = false, log = console.error }) {
  const texts = generateMessages(4000);
  const paramsOf = (i) => ({ text: texts[i % texts.length] });
  const seqCount = quick ? 2_000 : 10_000;
  const blocks = 10;
  const stepOpts = quick ? { warmMs: 200, measureMs: 700, bisections: 2 } : { warmMs: 300, measureMs: 1500, bisections: 3 };

  // The daemon under test holds PATCHES user patches, as issue 7 specifies ("the local embedder,
  // DNA and 1,500 patches"); a second daemon without any is the reference of 2a (stopped before 2b).
  const daemon = await startDaemon({ config: { vectorStore: { compactionThreshold: PATCHES_COMPACTION_THRESHOLD } } });
  const echo = await startScript('echo-server.mjs');
  let plain = await startDaemon();
  const data = { texts: texts.length, connections: CONNECTIONS, p99LimitMs: P99_LIMIT_MS, daemon: { kernel: daemon.kernel, threads: daemon.threads } };
  try {
    const restRssEmpty = rssBytes(daemon.proc.pid);
    const preload = await preloadPatches(daemon.url, PATCHES);
    log(
      `[route] preloaded ${PATCHES} user patches in ${ms(preload.ms)} (${si((PATCHES * 1000) / preload.ms)}/s, ${PRELOAD_CONNECTIONS} connections): ${preload.stats.patches} live, ${preload.stats.journalFsyncs} fsyncs, ${preload.stats.compactions} compactions`,
    );
    if (preload.stats.patches !== PATCHES) throw new Error(`expected ${PATCHES} live patches after the preload, memory.stats says ${preload.stats.patches}`);
    const restRss = rssBytes(daemon.proc.pid);
    // (a) one sequential client.
    const d1 = await GatewayConn.connect(daemon.url, BENCH_TOKEN);
    const e1 = await GatewayConn.connect(echo.url, BENCH_TOKEN);
    const p1 = await GatewayConn.connect(plain.url, BENCH_TOKEN);
    const decisionsInto = (sources, h) => (p) => {
      sources[p.source] = (sources[p.source] ?? 0) + 1;
      h.record(Math.max(1, Math.round(p.latencyMs * 1e6)));
    };
    const sources = {};
    const inDaemon = createHistogram();
    const onPayload = decisionsInto(sources, inDaemon);
    const sourcesP = {};
    const inDaemonP = createHistogram();
    const onPayloadP = decisionsInto(sourcesP, inDaemonP);
    await sequential(d1, 'route', paramsOf, 500, null, null);
    await sequential(e1, 'route', paramsOf, 500, null, null);
    await sequential(p1, 'route', paramsOf, 500, null, null);
    const hRoute = createHistogram();
    const hEcho = createHistogram();
    const hPlain = createHistogram();
    const per = Math.ceil(seqCount / blocks);
    const t0 = performance.now();
    for (let b = 0; b < blocks; b++) {
      // Alternate blocks so background noise lands on all three alike.
      await sequential(d1, 'route', (i) => paramsOf(b * per + i), per, hRoute, onPayload);
      await sequential(e1, 'route', (i) => paramsOf(b * per + i), per, hEcho, null);
      await sequential(p1, 'route', (i) => paramsOf(b * per + i), per, hPlain, onPayloadP);
    }
    const daemonEnd = (await d1.call('memory.stats', {})).payload;
    log(
      `[route] sequential: ${seqCount} routes with ${PATCHES} patches + ${seqCount} echoes + ${seqCount} routes without patches in ${ms(performance.now() - t0)}; decision sources ${JSON.stringify(sources)} (${daemonEnd?.patches} live patches at the end), without patches ${JSON.stringify(sourcesP)}`,
    );
    const rRoute = histogramMs(hRoute);
    const rEcho = histogramMs(hEcho);
    const rIn = histogramMs(inDaemon);
    const rPlain = histogramMs(hPlain);
    const rInP = histogramMs(inDaemonP);
    await d1.close();
    await e1.close();
    await p1.close();
    await plain.stop();
    plain = null;

    // (b) 64 connections.
    const dConns = await openConns(daemon.url, CONNECTIONS);
    const eConns = await openConns(echo.url, CONNECTIONS);
    const dRss = watchRss(daemon.proc.pid);
    const eRss = watchRss(echo.proc.pid);
    const dClosed = await closedLoop(dConns, paramsOf, quick ? 1000 : 2000);
    const eClosed = await closedLoop(eConns, paramsOf, quick ? 1000 : 2000);
    log(`[route] closed loop, ${CONNECTIONS} connections: daemon ${si(dClosed.msgsPerSec)}/s, echo ${si(eClosed.msgsPerSec)}/s`);
    const dLoad = await findSustainedRate(dConns, paramsOf, { from: 250, ...stepOpts, log, label: 'daemon' });
    const eLoad = await findSustainedRate(eConns, paramsOf, { from: 250, ...stepOpts, log, label: 'echo' });
    const loadRss = dRss.stop();
    const echoLoadRss = eRss.stop();
    await Promise.all([...dConns, ...eConns].map((c) => c.close()));

    const seqRatios = { p50: rRoute.p50 / rEcho.p50, p99: rRoute.p99 / rEcho.p99, p999: rRoute.p999 / rEcho.p999 };
    const plainRatios = {
      withOverWithout: { p50: rRoute.p50 / rPlain.p50, p99: rRoute.p99 / rPlain.p99, p999: rRoute.p999 / rPlain.p999 },
      overEcho: { p50: rPlain.p50 / rEcho.p50, p99: rPlain.p99 / rEcho.p99, p999: rPlain.p999 / rEcho.p999 },
    };
    const loadRatio = eLoad.sustained ? dLoad.sustained / eLoad.sustained : null;
    const closedRatio = dClosed.msgsPerSec / eClosed.msgsPerSec;
    Object.assign(data, {
      patches: {
        count: PATCHES,
        compactionThreshold: PATCHES_COMPACTION_THRESHOLD,
        preload: {
          ms: preload.ms,
          perSec: (PATCHES * 1000) / preload.ms,
          connections: PRELOAD_CONNECTIONS,
          fsyncs: preload.stats.journalFsyncs,
          compactions: preload.stats.compactions,
        },
        liveAtEnd: daemonEnd?.patches ?? null,
      },
      sequential: { count: seqCount, route: rRoute, echo: rEcho, inDaemonLatencyMs: rIn, sources, patchHits: sources.patch ?? 0, ratios: seqRatios },
      withoutPatches: { route: rPlain, inDaemonLatencyMs: rInP, sources: sourcesP, ratios: plainRatios },
      load: {
        daemon: { sustainedPerSec: dLoad.sustained, atSustained: dLoad.best, firstFailing: dLoad.firstFailing, steps: dLoad.steps, closedLoop: dClosed },
        echo: { sustainedPerSec: eLoad.sustained, atSustained: eLoad.best, firstFailing: eLoad.firstFailing, steps: eLoad.steps, closedLoop: eClosed },
        ratio: loadRatio,
        closedLoopRatio: closedRatio,
      },
      rss: { daemonAtRestNoPatchesBytes: restRssEmpty, daemonAtRestBytes: restRss, daemonUnderLoadPeakBytes: loadRss, echoUnderLoadPeakBytes: echoLoadRss },
    });

    const n = PATCHES.toLocaleString('en-US');
    const seqRows = [
      { metric: 'p50', route: ms(rRoute.p50), 'echo (floor)': ms(rEcho.p50), 'route / echo': times(seqRatios.p50), goal: '≤ 1.5×' },
      { metric: 'p99', route: ms(rRoute.p99), 'echo (floor)': ms(rEcho.p99), 'route / echo': times(seqRatios.p99), goal: '≤ 2×' },
      { metric: 'p99.9', route: ms(rRoute.p999), 'echo (floor)': ms(rEcho.p999), 'route / echo': times(seqRatios.p999), goal: '' },
      { metric: 'mean', route: ms(rRoute.mean), 'echo (floor)': ms(rEcho.mean), 'route / echo': times(rRoute.mean / rEcho.mean), goal: '' },
      {
        metric: 'requests/s (1 client)',
        route: si(1000 / rRoute.mean),
        'echo (floor)': si(1000 / rEcho.mean),
        'route / echo': times(rEcho.mean / rRoute.mean),
        goal: '',
      },
      { metric: 'in-daemon latencyMs p50 / p99', route: `${ms(rIn.p50)} / ${ms(rIn.p99)}`, 'echo (floor)': '—', 'route / echo': '', goal: '' },
      {
        metric: 'decisions from a user patch (source "patch")',
        route: `${sources.patch ?? 0} of ${seqCount.toLocaleString('en-US')}`,
        'echo (floor)': '',
        'route / echo': '',
        goal: '',
      },
      ...[
        ['p50', 'p50'],
        ['p99', 'p99'],
        ['p99.9', 'p999'],
      ].map(([label, k]) => ({
        metric: `${label} of a daemon WITHOUT user patches`,
        route: ms(rPlain[k]),
        'echo (floor)': ms(rEcho[k]),
        'route / echo': times(plainRatios.overEcho[k]),
        goal: '',
        [`with ${n} / without patches`]: times(plainRatios.withOverWithout[k]),
      })),
      {
        metric: 'in-daemon latencyMs p50 / p99 without patches',
        route: `${ms(rInP.p50)} / ${ms(rInP.p99)}`,
        'echo (floor)': '—',
        'route / echo': '',
        goal: '',
        [`with ${n} / without patches`]: `${times(rIn.p50 / rInP.p50)} / ${times(rIn.p99 / rInP.p99)}`,
      },
    ];
    const loadRows = [
      {
        metric: `highest offered rate with p99 ≤ ${P99_LIMIT_MS} ms`,
        daemon: rateText(dLoad),
        'echo (floor)': rateText(eLoad),
        'daemon / echo': times(loadRatio),
        goal: '≥ 0.6×',
      },
      {
        metric: 'p50 / p99 at that rate',
        daemon: dLoad.best ? `${ms(dLoad.best.latency.p50)} / ${ms(dLoad.best.latency.p99)}` : '—',
        'echo (floor)': eLoad.best ? `${ms(eLoad.best.latency.p50)} / ${ms(eLoad.best.latency.p99)}` : '—',
        'daemon / echo': '',
        goal: '',
      },
      {
        metric: 'load generator lag p99 at that rate',
        daemon: dLoad.best ? ms(dLoad.best.lagMs.p99) : '—',
        'echo (floor)': eLoad.best ? ms(eLoad.best.lagMs.p99) : '—',
        'daemon / echo': '',
        goal: '',
      },
      { metric: 'first failing rate', daemon: `${si(dLoad.firstFailing)}/s`, 'echo (floor)': `${si(eLoad.firstFailing)}/s`, 'daemon / echo': '', goal: '' },
      {
        metric: 'closed loop msgs/s (1 in flight per conn)',
        daemon: `${si(dClosed.msgsPerSec)}/s`,
        'echo (floor)': `${si(eClosed.msgsPerSec)}/s`,
        'daemon / echo': times(closedRatio),
        goal: '',
      },
      {
        metric: 'closed loop p50 / p99',
        daemon: `${ms(dClosed.latency.p50)} / ${ms(dClosed.latency.p99)}`,
        'echo (floor)': `${ms(eClosed.latency.p50)} / ${ms(eClosed.latency.p99)}`,
        'daemon / echo': '',
        goal: '',
      },
      {
        metric: 'RSS peak under this load (VmRSS)',
        daemon: mib(loadRss),
        'echo (floor)': mib(echoLoadRss),
        'daemon / echo': times(loadRss / echoLoadRss),
        goal: '',
      },
      {
        metric: `daemon RSS at rest: with ${PATCHES.toLocaleString('en-US')} patches / before them`,
        daemon: `${mib(restRss)} / ${mib(restRssEmpty)}`,
        'echo (floor)': '',
        'daemon / echo': '',
        goal: '',
      },
    ];
    await Promise.all([daemon.stop(), echo.stop()]);
    const b = await inProcessBreakdown(texts, quick ? 2_000 : 5_000);
    data.breakdown = b;
    const nz = b.queryNonZeroDims;
    const breakdownRows = [
      { step: 'local embedder, embedSync(text)', p50: ms(b.embed.p50), p99: ms(b.embed.p99), 'of route p50': share(b.embed.p50 / rRoute.p50) },
      {
        step: 'DNA scan, 48 rows column-major, inline (as the daemon does)',
        p50: ms(b.dnaScan.p50),
        p99: ms(b.dnaScan.p99),
        'of route p50': share(b.dnaScan.p50 / rRoute.p50),
      },
      {
        step: `user-patch scan, ${PATCHES.toLocaleString('en-US')} rows, top-32, as the daemon does (PatchIndex layout "${b.patchLayout}"; ${share(b.patchScanInWorkerShare)} went to a worker); query non-zero dims p10/p50/p90 ${nz.p10}/${nz.p50}/${nz.p90} of 1024`,
        p50: ms(b.patchScan.p50),
        p99: ms(b.patchScan.p99),
        'of route p50': share(b.patchScan.p50 / rRoute.p50),
      },
      {
        step: 'same rows row-major in a worker (Piscina round trip; the layout used before)',
        p50: ms(b.rowMajorPatchScanInWorker.p50),
        p99: ms(b.rowMajorPatchScanInWorker.p99),
        'of route p50': share(b.rowMajorPatchScanInWorker.p50 / rRoute.p50),
      },
      { step: 'whole route in the daemon (its latencyMs)', p50: ms(rIn.p50), p99: ms(rIn.p99), 'of route p50': share(rIn.p50 / rRoute.p50) },
      { step: 'echo round trip (transport floor)', p50: ms(rEcho.p50), p99: ms(rEcho.p99), 'of route p50': share(rEcho.p50 / rRoute.p50) },
    ];
    return { seqRows, loadRows, breakdownRows, data };
  } finally {
    await Promise.all([daemon.stop(), echo.stop(), plain?.stop()]);
  }
}

/** Prints the route tables. */
export function printRoute(result) {
  const s = result.data.sequential;
  const p = result.data.patches;
  printTable(
    `2a. route latency, 1 client sequential over WebSocket (${s.count.toLocaleString('en-US')} each; send → res; the daemon holds ${p.count.toLocaleString('en-US')} user patches (compactionThreshold ${p.compactionThreshold.toLocaleString('en-US')}, ${p.liveAtEnd?.toLocaleString('en-US')} live at the end), sources ${JSON.stringify(s.sources)}; a second daemon without patches: sources ${JSON.stringify(result.data.withoutPatches.sources)})`,
    result.seqRows,
  );
  printTable(
    `2b. ${CONNECTIONS} connections, open loop (send → res; a rate passes with p99 ≤ ${P99_LIMIT_MS} ms, nothing lost, ≥ 95% answered; a failing rate is retried once)`,
    result.loadRows,
  );
  printTable("2c. where a route's time goes (measured in the bench process, sequential, same texts)", result.breakdownRows);
}
