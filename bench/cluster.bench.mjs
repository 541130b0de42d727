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
//     and B's own view of the learning rounds before it (status → cluster.corrections.lagMs: from
//     the row's ts, taken when the instance that learned it received it, so its group-commit wait
//     and the ordering lock are in, to the moment B applied it).
// Ratios from one run, never pass/fail on time. Without PostgreSQL or Redis binaries the section
// prints why and is skipped.

import { clusterUnavailable, cpuSeconds, startPostgres, startRedis } from './lib/cluster-servers.mjs';
import { ms, pct, printTable, si, times } from './lib/format.mjs';
import { GatewayConn } from './lib/gateway-conn.mjs';
import { BENCH_TOKEN, startDaemon } from './lib/procs.mjs';
import { median, summarize } from './lib/stats.mjs';
import { generateMessages, randomPhrases } from './lib/texts.mjs';

const CONNECTIONS = 16;
const SCOPES = ['operator.read', 'operator.write'];

/**
 * Closed loop of `method` over `conns` (1 in flight each) for `durationMs`; resolves
 * `{ perSec, cores }`: completed calls per second and, per entry of `cpu()` (CPU seconds so far of
 * the daemons, of PostgreSQL), the cores it kept busy meanwhile.
 */
async function rate(conns, method, nextParams, durationMs, cpu) {
  let stop;
  const stopped = new Promise((r) => {
    stop = r;
  });
  let done = 0;
  const cpu0 = cpu();
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
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpu();
  const cores = Object.fromEntries(Object.keys(cpu1).map((k) => [k, (cpu1[k] - cpu0[k]) / seconds]));
  return { perSec: done / seconds, cores };
}

/** Nearest-rank quantiles. */
function quantiles(values) {
  const s = [...values].sort((a, b) => a - b);
  const q = (f) => s[Math.max(0, Math.ceil(f * s.length) - 1)];
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1] };
}

/** `count` daemons on their own database and Redis prefix, and CONNECTIONS connections spread round-robin over them. */
async function startCluster(count, urls, pgPid) {
  const daemons = [];
  for (let i = 0; i < count; i++) {
    daemons.push(
      await startDaemon({
        config: {
          cluster: { instance: `bench-${count}-${i}`, postgres: { url: urls.pg }, redis: { url: urls.redis, prefix: `srd-bench-${count}:` } },
          vectorStore: { enableCompaction: false },
        },
      }),
    );
  }
  const conns = [];
  for (let c = 0; c < CONNECTIONS; c++) conns.push(await GatewayConn.connect(daemons[c % count].url, BENCH_TOKEN, SCOPES));
  const pids = daemons.map((d) => d.proc.pid);
  return {
    count,
    daemons,
    conns,
    // CPU seconds so far: the daemons (every thread), PostgreSQL (postmaster and backends; the
    // other cluster's backends idle meanwhile) and this process (the load generator).
    cpu: () => ({
      daemons: cpuSeconds(pids),
      postgres: cpuSeconds([pgPid], { children: true }),
      bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    }),
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
  await Promise.all([a, ...others].map((c) => c.close()));
  return quantiles(lags);
}

/** Median per second and median cores busy over rounds from `rate`. */
function summarizeRounds(rounds) {
  const perSec = summarize(rounds.map((r) => r.perSec));
  const cores = Object.fromEntries(Object.keys(rounds[0].cores).map((k) => [k, median(rounds.map((r) => r.cores[k]))]));
  return { perSec: perSec.median, spreadPct: perSec.spreadPct, cores, rounds };
}

/** Runs the section; resolves `{ data }` or `{ data: { skipped } }`. */
export async function runCluster({ quick, log }) {
  const why = clusterUnavailable();
  if (why) {
    log(`[cluster] skipped: ${why}`);
    return { data: { skipped: why } };
  }
  const durationMs = quick ? 800 : 2500;
  const rounds = quick ? 3 : 5;
  const lagSamples = quick ? 100 : 300;
  const messages = generateMessages(2000, 31);
  let m = 0;
  const nextRoute = () => ({ text: messages[m++ % messages.length] });
  const phrase = randomPhrases(97);
  let t = 0;
  const nextLearn = () => ({ text: phrase(), tier: t++ % 2 === 0 ? 'flagship' : 'lightweight' });
  const data = { connections: CONNECTIONS, durationMs, rounds, byInstances: {} };
  const pgServer = await startPostgres();
  const redis = await startRedis();
  const clusters = [];
  try {
    for (const count of [1, 3]) {
      log(`[cluster] starting ${count} instance(s) on their own database, ${CONNECTIONS} connections`);
      clusters.push(await startCluster(count, { pg: await pgServer.createDatabase(), redis: redis.url }, pgServer.pid));
    }
    // Both clusters stay up; rounds alternate between them (the order flips every round) so
    // background load falls on both alike. All routing rounds come first, so every route is
    // measured on an empty patch index; then the learning rounds.
    const measure = async (method, next) => {
      const byCount = new Map(clusters.map((c) => [c.count, []]));
      for (const c of clusters) await rate(c.conns, method, next, 300, c.cpu); // warm-up
      for (let r = 0; r < rounds; r++) {
        for (const c of r % 2 ? [...clusters].reverse() : clusters) byCount.get(c.count).push(await rate(c.conns, method, next, durationMs, c.cpu));
      }
      return byCount;
    };
    log(`[cluster] routes: ${rounds} rounds × ${durationMs} ms per cluster`);
    const routes = await measure('route', nextRoute);
    log(`[cluster] learning: ${rounds} rounds × ${durationMs} ms per cluster`);
    const learns = await measure('route.feedback', nextLearn);
    for (const c of clusters) data.byInstances[c.count] = { routes: summarizeRounds(routes.get(c.count)), learn: summarizeRounds(learns.get(c.count)) };
    // B's own view now holds the learning rounds' corrections from A and C (the last 1,000).
    const b = await GatewayConn.connect(clusters[1].daemons[1].url, BENCH_TOKEN, SCOPES);
    const statusView = (await b.call('status', {})).payload.cluster.corrections.lagMs;
    await b.close();
    log(`[cluster] replication lag: ${lagSamples} corrections on A, one at a time`);
    data.byInstances[3].lag = { polled: await replicationLag(clusters[1].daemons, lagSamples, phrase), statusView };
  } finally {
    for (const c of clusters) await c.stop();
    await redis.stop();
    await pgServer.stop();
  }
  const one = data.byInstances[1];
  const three = data.byInstances[3];
  data.ratios = { routes: three.routes.perSec / one.routes.perSec, learn: three.learn.perSec / one.learn.perSec };
  return { data };
}

const cores = (row, one, three) => ({ row, '1 instance': one.toFixed(2), '3 instances': three.toFixed(2), '3 ÷ 1': times(three / one) });

export function printCluster(r) {
  const d = r.data;
  if (d.skipped) {
    console.log(`\n10. Team gateway (issue 20): skipped — ${d.skipped}`);
    return;
  }
  const one = d.byInstances[1];
  const three = d.byInstances[3];
  const rate = (row, a, b, ratio) => ({
    row,
    '1 instance': `${si(a.perSec)} ${pct(a.spreadPct)}`,
    '3 instances': `${si(b.perSec)} ${pct(b.spreadPct)}`,
    '3 ÷ 1': times(ratio),
  });
  printTable(
    `10. Team gateway (issue 20): 1 vs 3 instances on one PostgreSQL + Redis, ${d.connections} connections in all, closed loop (median of ${d.rounds} × ${d.durationMs} ms, alternating)`,
    [
      rate('routes/s', one.routes, three.routes, d.ratios.routes),
      cores('  cores busy: daemons', one.routes.cores.daemons, three.routes.cores.daemons),
      cores('  cores busy: bench (load generator)', one.routes.cores.bench, three.routes.cores.bench),
      rate('learning events/s (ack after the PostgreSQL commit)', one.learn, three.learn, d.ratios.learn),
      cores('  cores busy: daemons', one.learn.cores.daemons, three.learn.cores.daemons),
      cores('  cores busy: PostgreSQL', one.learn.cores.postgres, three.learn.cores.postgres),
      cores('  cores busy: bench (load generator)', one.learn.cores.bench, three.learn.cores.bench),
    ],
  );
  const p = three.lag.polled;
  const v = three.lag.statusView;
  printTable('10b. Replication lag of learned corrections (3 instances)', [
    {
      measured: 'ack by A → B and C both route it from the patch (polled; one correction at a time)',
      n: p.n,
      p50: ms(p.p50),
      p90: ms(p.p90),
      p99: ms(p.p99),
      max: ms(p.max),
    },
    {
      measured: "B's status view of the learning rounds: received by A or C → applied on B",
      n: v.samples,
      p50: ms(v.p50),
      p90: '—',
      p99: ms(v.p99),
      max: ms(v.max),
    },
  ]);
  console.log(
    'On 2 cores the four daemons (both clusters stay up), PostgreSQL, Redis and this load generator share the same CPUs: 3 ÷ 1 shows what sharing costs, not scale-out.',
  );
}
