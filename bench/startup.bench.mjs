// Section 3 — start-up and resident memory.
//
// Daemon: time from spawn() of `node dist/cli/main.js start --port 0` (fresh state dir, packaged
// DNA, local embedder, default pool = cores) to its ready log line, and to the first successful
// `health` over a new WebSocket connection (handshake included). Floor: a bare Node process that
// binds a port with http.createServer().listen() and prints a line (bench/bare-server.mjs), timed
// the same way. Both are spawned alternately `reps` times; medians and robust spread are shown.
// RSS is VmRSS from /proc/<pid>/status, 500 ms after ready with no traffic ("at rest").

import { mib, ms, pct, printTable, times } from './lib/format.mjs';
import { GatewayConn } from './lib/gateway-conn.mjs';
import { BENCH_TOKEN, rssBytes, startDaemon, startScript } from './lib/procs.mjs';
import { summarize } from './lib/stats.mjs';

const sleep = (t) => new Promise((r) => setTimeout(r, t));

/** Runs the start-up section; returns { rows, data }. */
export async function runStartup({ quick = false, log = console.error }) {
  const reps = quick ? 3 : 5;
  const d = { ready: [], health: [], selfReady: [], rss: [] };
  const b = { ready: [], rss: [] };
  for (let i = 0; i < reps; i++) {
    const bare = await startScript('bare-server.mjs');
    b.ready.push(bare.readyMs);
    await sleep(500);
    b.rss.push(rssBytes(bare.proc.pid));
    await bare.stop();

    const daemon = await startDaemon();
    const conn = await GatewayConn.connect(daemon.url, BENCH_TOKEN);
    await conn.call('health', {});
    const healthMs = performance.now() - daemon.spawnedAt;
    d.ready.push(daemon.readyMs);
    d.health.push(healthMs);
    d.selfReady.push(daemon.selfReadyMs);
    await conn.close();
    await sleep(500);
    d.rss.push(rssBytes(daemon.proc.pid));
    await daemon.stop();
  }
  const s = {
    daemonReady: summarize(d.ready),
    daemonHealth: summarize(d.health),
    daemonSelfReady: summarize(d.selfReady),
    bareReady: summarize(b.ready),
    daemonRss: d.rss[0] === null ? null : summarize(d.rss),
    bareRss: b.rss[0] === null ? null : summarize(b.rss),
  };
  const ratio = s.daemonReady.median / s.bareReady.median;
  log(`[startup] ${reps} daemon starts: ready ${ms(s.daemonReady.median)}, bare node ${ms(s.bareReady.median)}`);
  const rows = [
    {
      metric: 'spawn → ready line',
      daemon: ms(s.daemonReady.median),
      '±%': pct(s.daemonReady.spreadPct),
      'bare node (floor)': ms(s.bareReady.median),
      'floor ±%': pct(s.bareReady.spreadPct),
      'daemon / floor': times(ratio),
      goal: '≤ 3×',
    },
    {
      metric: 'spawn → first ok `health` over WS',
      daemon: ms(s.daemonHealth.median),
      '±%': pct(s.daemonHealth.spreadPct),
      'bare node (floor)': ms(s.bareReady.median),
      'floor ±%': pct(s.bareReady.spreadPct),
      'daemon / floor': times(s.daemonHealth.median / s.bareReady.median),
      goal: '',
    },
    {
      metric: 'readyMs the daemon logs (its own clock)',
      daemon: ms(s.daemonSelfReady.median),
      '±%': pct(s.daemonSelfReady.spreadPct),
      'bare node (floor)': '',
      'floor ±%': '',
      'daemon / floor': '',
      goal: '',
    },
    {
      metric: 'RSS at rest (VmRSS)',
      daemon: mib(s.daemonRss?.median),
      '±%': pct(s.daemonRss?.spreadPct),
      'bare node (floor)': mib(s.bareRss?.median),
      'floor ±%': pct(s.bareRss?.spreadPct),
      'daemon / floor': s.daemonRss && s.bareRss ? times(s.daemonRss.median / s.bareRss.median) : '—',
      goal: '',
    },
  ];
  return { rows, data: { reps, ...s, ratio, raw: { daemon: d, bare: b } } };
}

/** Prints the start-up table. */
export function printStartup(result) {
  printTable(`3. start-up (${result.data.reps} spawns each, alternating; median, ±% robust spread)`, result.rows);
}
