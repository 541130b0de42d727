// Section 10 — a team gateway (issue 20): 1 vs 3 instances on one PostgreSQL and one Redis.
//
// Private PostgreSQL and Redis servers (Debian's binaries, loopback, throw-away data dirs) and
// real daemons configured with `cluster.postgres.url` and `cluster.redis.url` (compaction off, so
// the table only grows). Rows:
// (a) routes/s, closed loop, 16 connections in all (1 in flight each), spread round-robin over the
//     instances: routing reads no store, so this shows what sharing costs a route (nothing but CPU
//     on a 2-core machine, where 3 instances share the same cores).
// (b) learning events/s, `route.feedback {text, tier}` closed loop over 16 connections: each event
//     commits to PostgreSQL (group commit per instance, ids ordered by an advisory lock) before
//     its ack.
// (c) replication lag: a correction acknowledged by A, until B and C both route its text from the
//     patch (each polled by a route every ~1 ms: the lag includes one route's time), p50/p90/p99/max;
//     and the instances' own view (status: commit on A → applied on B, from the rows' timestamps).
// Ratios from one run, never pass/fail on time. Without PostgreSQL or Redis binaries the section
// prints why and is skipped.

import { clusterUnavailable, startPostgres, startRedis } from './lib/cluster-servers.mjs';
import { ms, printTable, si, times } from './lib/format.mjs';
import { GatewayConn } from './lib/gateway-conn.mjs';
import { BENCH_TOKEN, startDaemon } from './lib/procs.mjs';
import { generateMessages, randomPhrases } from './lib/texts.mjs';

const CONNECTIONS = 16;
const SCOPES = ['operator.read', 'operator.write'];

/** Closed loop of `method` over `conns` (1 in flight each) for `durationMs`; resolves completed calls per second. */
async function rate(conns, method, nextParams, durationMs) {
  let stop;
  const stopped = new Promise((r) => {
    stop = r;
  });
  let done = 0;
  const t0 = performance.now();
  let live = true;
  const loops = conns.map(
    (conn) =>
      new Promise((resolve) => {
        const step = () => {
          if (!live) return resolve();
          conn.request(method, nextParams(), (ok) => {
            if (ok) done++;
            step();
          });
        };
        step();
      }),
  );
  setTimeout(() => {
    live = false;
    stop();
  }, durationMs);
  await stopped;
  await Promise.all(loops);
  return done / ((performance.now() - t0) / 1000);
}

function quantiles(values) {
  const s = [...values].sort((a, b) => a - b);
  const q = (f) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1] };
}

async function startCluster(count, urls) {
  const daemons = [];
  for (let i = 0; i < count; i++) {
    daemons.push(
      await startDaemon({
        config: {
          cluster: { instance: `bench-${i}`, postgres: { url: urls.pg }, redis: { url: urls.redis } },
          vectorStore: { enableCompaction: false },
        },
      }),
    );
  }
  const conns = [];
  for (let c = 0; c < CONNECTIONS; c++) conns.push(await GatewayConn.connect(daemons[c % count].url, BENCH_TOKEN, SCOPES));
  return {
    daemons,
    conns,
    async stop() {
      await Promise.all(conns.map((c) => c.close()));
      for (const d of daemons) await d.stop();
    },
  };
}

/** Sequential corrections on A; the ms until B and C both route each text from its patch. */
async function replicationLag(daemons, samples, nextText) {
  const [a, ...others] = await Promise.all(daemons.map((d) => GatewayConn.connect(d.url, BENCH_TOKEN, SCOPES)));
  const lags = [];
  for (let i = 0; i < samples; i++) {
    const text = nextText();
    await a.call('route.feedback', { text, tier: 'flagship' });
    const t0 = performance.now();
    await Promise.all(
      others.map(async (conn) => {
        for (;;) {
          const r = await conn.call('route', { text });
          if (r.payload.source === 'patch') return;
          if (performance.now() - t0 > 5000) throw new Error('a correction did not replicate within 5 s');
          await new Promise((res) => setTimeout(res, 1));
        }
      }),
    );
    lags.push(performance.now() - t0);
  }
  const view = (await others[0].call('status', {})).payload.cluster.corrections.lagMs;
  await Promise.all([a, ...others].map((c) => c.close()));
  return { polled: quantiles(lags), statusView: view };
}

/** Runs the section; resolves `{ data }` or `{ data: { skipped } }`. */
export async function runCluster({ quick, log }) {
  const why = clusterUnavailable();
  if (why) {
    log(`[cluster] skipped: ${why}`);
    return { data: { skipped: why } };
  }
  const durationMs = quick ? 1500 : 4000;
  const rounds = quick ? 1 : 2;
  const pgServer = await startPostgres();
  const redis = await startRedis();
  const messages = generateMessages(2000, 31);
  let m = 0;
  const nextRoute = () => ({ text: messages[m++ % messages.length] });
  const phrase = randomPhrases(97);
  let t = 0;
  const nextLearn = () => ({ text: phrase(), tier: t++ % 2 === 0 ? 'flagship' : 'lightweight' });
  const data = { connections: CONNECTIONS, durationMs, rounds, byInstances: {} };
  try {
    for (const count of [1, 3]) {
      const urls = { pg: await pgServer.createDatabase(), redis: redis.url };
      log(`[cluster] ${count} instance(s) on one PostgreSQL and one Redis, ${CONNECTIONS} connections`);
      const c = await startCluster(count, urls);
      try {
        const routes = [];
        const learns = [];
        // Warm-up, then rounds alternating routes and learning.
        await rate(c.conns, 'route', nextRoute, 300);
        for (let r = 0; r < rounds; r++) {
          routes.push(await rate(c.conns, 'route', nextRoute, durationMs));
          learns.push(await rate(c.conns, 'route.feedback', nextLearn, durationMs));
        }
        const entry = { routesPerSec: Math.max(...routes), learnPerSec: Math.max(...learns), routeRounds: routes, learnRounds: learns };
        if (count === 3) entry.lag = await replicationLag(c.daemons, quick ? 40 : 150, phrase);
        data.byInstances[count] = entry;
      } finally {
        await c.stop();
      }
    }
  } finally {
    await redis.stop();
    await pgServer.stop();
  }
  const one = data.byInstances[1];
  const three = data.byInstances[3];
  data.ratios = { routes: three.routesPerSec / one.routesPerSec, learn: three.learnPerSec / one.learnPerSec };
  return { data };
}

export function printCluster(r) {
  const d = r.data;
  if (d.skipped) {
    console.log(`\n10. Team gateway (issue 20): skipped — ${d.skipped}`);
    return;
  }
  const one = d.byInstances[1];
  const three = d.byInstances[3];
  printTable(
    `10. Team gateway (issue 20): 1 vs 3 instances on one PostgreSQL + Redis, ${d.connections} connections, closed loop (best of ${d.rounds} × ${d.durationMs} ms)`,
    [
      { row: 'routes/s', '1 instance': si(one.routesPerSec), '3 instances': si(three.routesPerSec), '3 ÷ 1': times(d.ratios.routes) },
      {
        row: 'learning events/s (ack after the PostgreSQL commit)',
        '1 instance': si(one.learnPerSec),
        '3 instances': si(three.learnPerSec),
        '3 ÷ 1': times(d.ratios.learn),
      },
    ],
  );
  const p = three.lag.polled;
  const v = three.lag.statusView;
  printTable('10b. Replication lag of a correction acknowledged by A (3 instances)', [
    { measured: 'until B and C both route it from the patch (polled)', n: p.n, p50: ms(p.p50), p90: ms(p.p90), p99: ms(p.p99), max: ms(p.max) },
    { measured: "B's status view: commit on A → applied on B", n: v.samples, p50: ms(v.p50), p90: '—', p99: ms(v.p99), max: ms(v.max) },
  ]);
  console.log('On 2 cores the three instances, PostgreSQL, Redis and this load generator share the same CPUs: 3 ÷ 1 shows what sharing costs, not scale-out.');
}
