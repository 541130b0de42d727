#!/usr/bin/env node
// smart-routerd benchmarks (issue 7). Not tests: they print ratios measured in one run and never
// pass or fail on time (DESIGN.md §9). From the repository root: `npm run bench` (builds first),
// or `node bench/run.mjs --scope kernel|route|startup|learn|plugin|proxy|soak|tracing|classifier|cluster|all` on an existing build.
// Writes every figure to bench/results/<timestamp>.json. See bench/README.md.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const SCOPES = ['kernel', 'route', 'startup', 'learn', 'plugin', 'proxy', 'soak', 'tracing', 'classifier', 'cluster', 'all'];
const USAGE = `usage: node bench/run.mjs [--scope ${SCOPES.join('|')}] [--quick]
  --scope  which section to run (default all)
  --quick  smaller N (≤ 100,000 rows) and shorter runs, for trying changes; not for reporting`;

function parseArgs(argv) {
  const opts = { scope: 'all', quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a === '--quick') opts.quick = true;
    else if (a === '--scope' || a.startsWith('--scope=')) {
      const v = a === '--scope' ? argv[++i] : a.slice('--scope='.length);
      if (!SCOPES.includes(v)) fail(`unknown scope ${JSON.stringify(v ?? '')}; valid scopes: ${SCOPES.join(', ')}`);
      opts.scope = v;
    } else fail(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
  }
  return opts;
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

function gitRevision() {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--', 'src', 'assembly'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !==
      '';
    return dirty ? `${rev}+dirty(src)` : rev;
  } catch {
    return null;
  }
}

const opts = parseArgs(process.argv.slice(2));
const want = (s) => opts.scope === 'all' || opts.scope === s;

for (const file of ['dist/cli/main.js', 'dist/kernel/kernel-pool.js', 'build/kernel.wasm', 'build/kernel-scalar.wasm']) {
  if (!existsSync(path.join(ROOT, file))) fail(`${file} is missing: run \`npm run build\` first (\`npm run bench\` builds and then runs this)`);
}

const log = (line) => console.error(line);
const started = new Date();
const meta = {
  date: started.toISOString(),
  scope: opts.scope,
  quick: opts.quick,
  git: gitRevision(),
  node: process.version,
  v8: process.versions.v8,
  platform: `${process.platform}-${process.arch}`,
  cpu: os.cpus()[0]?.model ?? null,
  cores: os.availableParallelism(),
  memoryBytes: os.totalmem(),
  loadavg: { start: os.loadavg() },
};
log(
  `[bench] ${meta.date} scope=${opts.scope}${opts.quick ? ' (quick)' : ''} node ${meta.node} on ${meta.cores} × ${meta.cpu}; load average ${meta.loadavg.start.map((x) => x.toFixed(2)).join(' ')}`,
);

// Sections run cheapest-footprint first: the kernel section holds ~8 GiB (the shared matrix and
// the native peer's copy) until the process exits, so it goes last; tables print in order 1–4.
const results = {};
const printers = [];
if (want('startup')) {
  const m = await import('./startup.bench.mjs');
  results.startup = await m.runStartup({ quick: opts.quick, log });
  printers[3] = () => m.printStartup(results.startup);
}
if (want('route')) {
  const m = await import('./route.bench.mjs');
  results.route = await m.runRoute({ quick: opts.quick, log });
  printers[2] = () => m.printRoute(results.route);
}
if (want('learn')) {
  const m = await import('./learn.bench.mjs');
  results.learn = await m.runLearn({ quick: opts.quick, log });
  printers[4] = () => m.printLearn(results.learn);
}
if (want('plugin')) {
  const m = await import('./plugin.bench.mjs');
  results.plugin = await m.runPlugin({ quick: opts.quick, log });
  printers[5] = () => m.printPlugin(results.plugin);
}
if (want('proxy')) {
  const m = await import('./proxy.bench.mjs');
  results.proxy = await m.runProxy({ quick: opts.quick, log });
  printers[6] = () => m.printProxy(results.proxy);
}
if (want('soak')) {
  const m = await import('./soak.bench.mjs');
  results.soak = await m.runSoak({ quick: opts.quick, log });
  printers[7] = () => m.printSoak(results.soak);
}
if (want('tracing')) {
  const m = await import('./tracing.bench.mjs');
  results.tracing = await m.runTracing({ quick: opts.quick, log });
  printers[8] = () => m.printTracing(results.tracing);
}
if (want('classifier')) {
  const m = await import('./classifier.bench.mjs');
  results.classifier = await m.runClassifier({ quick: opts.quick, log });
  printers[9] = () => m.printClassifier(results.classifier);
}
if (want('cluster')) {
  const m = await import('./cluster.bench.mjs');
  results.cluster = await m.runCluster({ quick: opts.quick, log });
  printers[10] = () => m.printCluster(results.cluster);
}
if (want('kernel')) {
  const { ensureNative } = await import('./setup.mjs');
  const native = await ensureNative();
  if (!native.ok) log(`[kernel] native peer unavailable: ${native.reason}`);
  const m = await import('./kernel.bench.mjs');
  results.kernel = await m.runKernel({ native, quick: opts.quick, log });
  printers[1] = () => m.printKernel(results.kernel);
}
meta.loadavg.end = os.loadavg();
meta.seconds = (Date.now() - started.getTime()) / 1000;

for (const p of printers) if (p) p();
const summary = goals(results);
if (summary.length) {
  const { printTable } = await import('./lib/format.mjs');
  printTable(
    'Goals (issues 7 and 12) — from this run',
    summary.map((g) => ({ goal: g.goal, measured: g.text, target: g.target, met: g.met })),
  );
}
console.log(
  `\nload average ${meta.loadavg.start.map((x) => x.toFixed(2)).join(' ')} → ${meta.loadavg.end.map((x) => x.toFixed(2)).join(' ')} on ${meta.cores} cores (above ~${meta.cores} means other work shared the machine); ${meta.seconds.toFixed(0)} s`,
);

const dir = path.join(BENCH, 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
const strip = (r) => (r ? r.data : undefined);
writeFileSync(
  file,
  `${JSON.stringify({ meta, goals: summary, kernel: strip(results.kernel), route: strip(results.route), startup: strip(results.startup), learn: strip(results.learn), proxy: strip(results.proxy), soak: strip(results.soak), cluster: strip(results.cluster) }, null, 2)}\n`,
);
console.log(`results: ${path.relative(process.cwd(), file)}`);

/** The issue-7 goals this run can speak to, each with the measured ratio and whether it is met. */
function goals(r) {
  const out = [];
  const fmt = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v >= 0.1 ? v.toFixed(2) : v.toPrecision(2)}×`);
  const add = (goal, value, target, atLeast) => {
    const known = value !== null && value !== undefined && Number.isFinite(value);
    out.push({
      goal,
      value: known ? value : null,
      text: fmt(value),
      target: `${atLeast ? '≥' : '≤'} ${target}×`,
      met: !known ? '—' : (atLeast ? value >= target : value <= target) ? 'yes' : 'NO',
    });
  };
  const k = r.kernel?.data.byN;
  if (k) {
    for (const n of [100_000, 1_000_000]) {
      if (!k[n]) continue;
      const label = n.toLocaleString('en-US');
      add(`kernel SIMD / plain JS, N=${label}`, k[n].ratios.simdOverJs, 8, true);
      add(`kernel SIMD / native, N=${label}`, k[n].ratios.simdOverNative, 0.9, true);
    }
    if (k[1_000_000]) {
      add('kernel SIMD / bandwidth floor, N=1,000,000', k[1_000_000].ratios.simdOverFloor, 0.8, true);
      add('pool 2 workers / 1 worker, N=1,000,000', k[1_000_000].ratios.pool2OverPool1, 1.7, true);
    }
  }
  if (r.tracing) add('route p50 with metrics + tracing / without (issue 17)', r.tracing.ratios.p50, 1.05, false);
  const rt = r.route?.data;
  if (rt) {
    const n = rt.patches.count.toLocaleString('en-US');
    add(`route p50 / echo p50 (1 sequential client, ${n} user patches)`, rt.sequential.ratios.p50, 1.5, false);
    add(`route p99 / echo p99 (1 sequential client, ${n} user patches)`, rt.sequential.ratios.p99, 2, false);
    add(`sustained routes/s / echo msgs/s (64 conns, p99 ≤ 5 ms, ${n} user patches)`, rt.load.ratio, 0.6, true);
    const wp = rt.withoutPatches;
    out.push({
      goal: `route p50 / p99 ÷ echo for a daemon without user patches (1 sequential client)`,
      value: wp.ratios.overEcho.p50,
      text: `${fmt(wp.ratios.overEcho.p50)} / ${fmt(wp.ratios.overEcho.p99)} (with ${n} ÷ without: ${fmt(wp.ratios.withOverWithout.p50)} / ${fmt(wp.ratios.withOverWithout.p99)})`,
      target: 'no target set',
      met: '—',
    });
  }
  if (r.startup) add('start-to-ready / bare node', r.startup.data.ratio, 3, false);
  const px = r.proxy?.data;
  if (px) {
    const addMs = (goal, value, target) =>
      out.push({ goal, value, text: `${value.toFixed(3)} ms`, target: `≤ ${target} ms`, met: value <= target ? 'yes' : 'NO' });
    addMs('gateway added p50, non-streamed routed request (issue 12)', px.added.p50, 1);
    addMs('gateway added TTFB p50, streamed routed request (issue 12)', px.added.ttfbP50, 1);
  }
  const ln = r.learn?.data;
  if (ln) {
    const conc = Object.values(ln.concurrent);
    out.push({
      goal: `learning events/s ÷ fsync floor (1 client; ${conc.map((c) => `${c.connections} conns`).join('; ')})`,
      value: ln.sequential.ratio,
      text: [ln.sequential.ratio, ...conc.map((c) => c.ratio)].map(fmt).join('; '),
      target: 'no target set',
      met: '—',
    });
  }
  return out;
}
