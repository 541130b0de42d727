// Section 4 — learning events/s through `route.feedback` (DESIGN.md §6–7).
//
// A real daemon (fresh state dir, local embedder, automatic compaction off so the journal only
// grows and its byte count can be checked) receives `route.feedback {text, tier}` (operator.write)
// over WebSocket. Each event is acknowledged only after its journal record is fsync'd; concurrent
// events share one write + fdatasync (group commit). Texts are random words (lib/texts.mjs
// randomPhrases), tiers alternate. Every daemon figure is printed next to its floor, measured in
// this process on the same filesystem (a sibling of the daemon's state dir) in the same run:
// (a) one client, sequential (each event waits for its ack) vs (a') a loop of writeSync(4,204 B)
//     + fdatasyncSync per event: one fsync per event, nothing else.
// (b) 16 and 64 connections, closed loop (1 event in flight per connection) vs (b') the group-commit
//     floor: the same number of events written as one writeSync + one fdatasyncSync per batch of
//     `connections` records. The daemon's own fsync/write counters (memory.stats) show how many
//     batches it really made.
// Daemon and floor blocks alternate, so background noise falls on both alike. Bytes per event =
// journalBytes delta / acknowledged events, expected to be the constant record size (O(1)).

import { closeSync, fdatasyncSync, ftruncateSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { LocalEmbedder } from '../dist/embedding/local.js';
import { mib, ms, pct, printTable, si, times } from './lib/format.mjs';
import { GatewayConn } from './lib/gateway-conn.mjs';
import { BENCH_TOKEN, rssBytes, startDaemon, watchRss } from './lib/procs.mjs';
import { histogramMs, summarize } from './lib/stats.mjs';
import { randomPhrases } from './lib/texts.mjs';

/** One journal record at 1024 dims: 12 B frame header + 72 B fixed payload + 24 B space id + 4 × 1024 B vector. */
export const RECORD_BYTES = 4_204;
const TIERS = ['flagship', 'lightweight'];
const SCOPES = ['operator.read', 'operator.write'];
/** The control connection also clears the memory between rounds (memory.clear needs operator.admin). */
const ADMIN_SCOPES = ['operator.read', 'operator.write', 'operator.admin'];

const recordNs = (h, t0) => h.record(Math.max(1, Math.round((performance.now() - t0) * 1e6)));

async function memoryStats(conn) {
  return (await conn.call('memory.stats', {})).payload;
}

/** Counter deltas between two memory.stats answers. */
function delta(before, after) {
  return {
    bytes: after.journalBytes - before.journalBytes,
    fsyncs: after.journalFsyncs - before.journalFsyncs,
    writes: after.journalWrites - before.journalWrites,
    patches: after.patches - before.patches,
  };
}

/** Sums counter objects field by field. */
function add(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** `count` sequential route.feedback calls on `conn`; ack latency (send → res) into `h`. Returns events/s. */
async function daemonSequential(conn, count, nextText, h) {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await conn.call('route.feedback', { text: nextText(), tier: TIERS[i & 1] });
    recordNs(h, t);
  }
  return (count * 1000) / (performance.now() - t0);
}

/**
 * Closed loop: each connection keeps one route.feedback in flight for `durationMs`; returns
 * { events, failed, eventsPerSec }, ack latencies into `h`.
 */
async function daemonClosedLoop(conns, durationMs, nextText, h) {
  let events = 0;
  let failed = 0;
  let n = 0;
  const t0 = performance.now();
  const end = t0 + durationMs;
  await Promise.all(
    conns.map(
      (c) =>
        new Promise((resolve) => {
          const next = () => {
            if (performance.now() >= end) return resolve();
            const sentAt = performance.now();
            c.request('route.feedback', { text: nextText(), tier: TIERS[n++ & 1] }, (ok) => {
              if (ok) {
                recordNs(h, sentAt);
                events++;
              } else failed++;
              if (!ok && c.ws.readyState !== 1) return resolve();
              next();
            });
          };
          next();
        }),
    ),
  );
  return { events, failed, eventsPerSec: (events * 1000) / (performance.now() - t0) };
}

/**
 * The floor: `events` records appended to `fd` as one writeSync + one fdatasyncSync per batch of
 * `batch` records (the last batch may be smaller). Per-batch time into `h` (every record of a
 * batch is durable when its batch is). Returns events/s.
 */
function floorAppends(fd, events, batch, h) {
  const full = Buffer.alloc(RECORD_BYTES * batch, 0x5a);
  const t0 = performance.now();
  for (let done = 0; done < events; done += batch) {
    const n = Math.min(batch, events - done);
    const t = performance.now();
    writeSync(fd, n === batch ? full : full.subarray(0, n * RECORD_BYTES));
    fdatasyncSync(fd);
    recordNs(h, t);
  }
  return (events * 1000) / (performance.now() - t0);
}

/** Runs the learning section; returns { seqRows, concRows, data }. */
export async function runLearn({ quick = false, log = console.error } = {}) {
  const seq = quick ? { blocks: 2, perBlock: 150 } : { blocks: 6, perBlock: 400 };
  const conc = quick ? { rounds: 1, durationMs: 800 } : { rounds: 5, durationMs: 1_500 };
  const levels = [16, 64];
  const nextText = randomPhrases(11);

  // Automatic compaction off: within a round the journal only grows, so bytes/event is exact and
  // no compaction (a snapshot rewrite) lands inside a measurement. Everything else is the default config.
  const daemon = await startDaemon({ config: { vectorStore: { enableCompaction: false } } });
  const floorDir = mkdtempSync(path.join(path.dirname(daemon.stateDir), 'srd-bench-floor-'));
  const sameFs = statSync(floorDir).dev === statSync(daemon.stateDir).dev;
  const floorFd = openSync(path.join(floorDir, 'floor.journal'), 'a');
  const data = { recordBytes: RECORD_BYTES, sameFilesystem: sameFs, config: { enableCompaction: false } };
  const conns = [];
  const rss = watchRss(daemon.proc.pid);
  const restRss = rssBytes(daemon.proc.pid);
  try {
    const ctl = await GatewayConn.connect(daemon.url, BENCH_TOKEN, ADMIN_SCOPES);
    let maxResident = 0;
    // Between rounds (never inside one): forget every patch, so each round starts with an empty
    // memory instead of tens of thousands of resident patches (compaction is off).
    const clear = async () => {
      maxResident = Math.max(maxResident, (await memoryStats(ctl)).patches);
      await ctl.call('memory.clear', { confirm: true });
      ftruncateSync(floorFd, 0); // the floor's file restarts empty too
    };

    // (a) one sequential client vs one write + fdatasync per event. Warm-up first (JIT, journal open).
    await daemonSequential(ctl, quick ? 50 : 200, nextText, createHistogram());
    await clear();
    const warmFloor = createHistogram();
    floorAppends(floorFd, 50, 1, warmFloor);
    const hSeq = createHistogram();
    const hSeqFloor = createHistogram();
    const seqRates = [];
    const floorRates = [];
    let seqCounters = { bytes: 0, fsyncs: 0, writes: 0, patches: 0 };
    for (let b = 0; b < seq.blocks; b++) {
      const before = await memoryStats(ctl);
      seqRates.push(await daemonSequential(ctl, seq.perBlock, nextText, hSeq));
      seqCounters = add(seqCounters, delta(before, await memoryStats(ctl)));
      floorRates.push(floorAppends(floorFd, seq.perBlock, 1, hSeqFloor));
    }
    const seqEvents = seq.blocks * seq.perBlock;
    const sequential = {
      events: seqEvents,
      daemon: { eventsPerSec: summarize(seqRates), ack: histogramMs(hSeq), ...seqCounters },
      floor: { eventsPerSec: summarize(floorRates), latency: histogramMs(hSeqFloor), fsyncs: seqEvents },
    };
    sequential.ratio = sequential.daemon.eventsPerSec.median / sequential.floor.eventsPerSec.median;
    log(
      `[learn] sequential: daemon ${si(sequential.daemon.eventsPerSec.median)}/s (ack p50 ${ms(sequential.daemon.ack.p50)} p99 ${ms(sequential.daemon.ack.p99)}, ${seqCounters.fsyncs} fsyncs for ${seqEvents} events), floor ${si(sequential.floor.eventsPerSec.median)}/s`,
    );

    // (b) 16 and 64 connections, closed loop, vs one write + fdatasync per batch of `c` records.
    const concurrent = {};
    for (const c of levels) {
      while (conns.length < c) conns.push(await GatewayConn.connect(daemon.url, BENCH_TOKEN, SCOPES));
      const use = conns.slice(0, c);
      const h = createHistogram();
      const hFloor = createHistogram();
      const rates = [];
      const fRates = [];
      let events = 0;
      let failed = 0;
      let floorFsyncs = 0;
      let counters = { bytes: 0, fsyncs: 0, writes: 0, patches: 0 };
      await daemonClosedLoop(use, 200, nextText, createHistogram()); // warm-up, not recorded
      for (let r = 0; r < conc.rounds; r++) {
        await clear();
        const before = await memoryStats(ctl);
        const run = await daemonClosedLoop(use, conc.durationMs, nextText, h);
        counters = add(counters, delta(before, await memoryStats(ctl)));
        rates.push(run.eventsPerSec);
        events += run.events;
        failed += run.failed;
        fRates.push(floorAppends(floorFd, run.events, c, hFloor));
        floorFsyncs += Math.ceil(run.events / c);
      }
      concurrent[c] = {
        connections: c,
        events,
        failed,
        daemon: { eventsPerSec: summarize(rates), ack: histogramMs(h), ...counters, eventsPerFsync: counters.fsyncs ? events / counters.fsyncs : null },
        floor: { eventsPerSec: summarize(fRates), latency: histogramMs(hFloor), fsyncs: floorFsyncs, batch: c },
      };
      concurrent[c].ratio = concurrent[c].daemon.eventsPerSec.median / concurrent[c].floor.eventsPerSec.median;
      log(
        `[learn] ${c} connections: daemon ${si(concurrent[c].daemon.eventsPerSec.median)}/s (ack p50 ${ms(concurrent[c].daemon.ack.p50)} p99 ${ms(concurrent[c].daemon.ack.p99)}; ${events} events, ${counters.fsyncs} fsyncs, ${counters.writes} writes${failed ? `, ${failed} FAILED` : ''}), group-commit floor ${si(concurrent[c].floor.eventsPerSec.median)}/s`,
      );
    }

    await clear();
    const last = await memoryStats(ctl);
    const total = [
      seqCounters,
      ...Object.values(concurrent).map((c) => ({ bytes: c.daemon.bytes, fsyncs: c.daemon.fsyncs, writes: c.daemon.writes, patches: c.daemon.patches })),
    ].reduce(add);
    await ctl.close();
    await Promise.all(conns.map((c) => c.close()));

    // Where a daemon event's CPU goes besides the fsync: the local embedder on the same kind of text.
    const embedder = new LocalEmbedder(1024);
    const hEmbed = createHistogram();
    const probe = randomPhrases(99);
    for (let i = 0; i < 3_000; i++) {
      const text = probe();
      const t = performance.now();
      embedder.embedSync(text);
      if (i >= 500) recordNs(hEmbed, t);
    }

    Object.assign(data, {
      sequential,
      concurrent,
      journal: {
        ...total,
        events: seqEvents + Object.values(concurrent).reduce((n, c) => n + c.events, 0),
        maxResidentPatches: maxResident,
        compactions: last.compactions,
      },
      embedMs: histogramMs(hEmbed),
      rss: { daemonAtStartBytes: restRss, daemonPeakBytes: rss.stop() },
      floorFilesystemPath: floorDir,
    });
    return { ...rowsOf(data), data };
  } finally {
    rss.stop();
    closeSync(floorFd);
    rmSync(floorDir, { recursive: true, force: true });
    await Promise.all(conns.map((c) => c.close()));
    await daemon.stop();
  }
}

function rowsOf(d) {
  const s = d.sequential;
  const seqRows = [
    {
      metric: 'events/s (median of blocks)',
      daemon: `${si(s.daemon.eventsPerSec.median)}/s ${pct(s.daemon.eventsPerSec.spreadPct)}`,
      'floor: write + fdatasync per event': `${si(s.floor.eventsPerSec.median)}/s ${pct(s.floor.eventsPerSec.spreadPct)}`,
      'daemon / floor': times(s.ratio),
    },
    {
      metric: 'ack p50 (floor: one write + fdatasync)',
      daemon: ms(s.daemon.ack.p50),
      'floor: write + fdatasync per event': ms(s.floor.latency.p50),
      'daemon / floor': times(s.daemon.ack.p50 / s.floor.latency.p50),
    },
    {
      metric: 'ack p99',
      daemon: ms(s.daemon.ack.p99),
      'floor: write + fdatasync per event': ms(s.floor.latency.p99),
      'daemon / floor': times(s.daemon.ack.p99 / s.floor.latency.p99),
    },
    {
      metric: 'ack p99.9',
      daemon: ms(s.daemon.ack.p999),
      'floor: write + fdatasync per event': ms(s.floor.latency.p999),
      'daemon / floor': times(s.daemon.ack.p999 / s.floor.latency.p999),
    },
    {
      metric: `fsyncs / writes for ${s.events.toLocaleString('en-US')} events`,
      daemon: `${s.daemon.fsyncs} / ${s.daemon.writes}`,
      'floor: write + fdatasync per event': `${s.floor.fsyncs} / ${s.floor.fsyncs}`,
      'daemon / floor': '',
    },
    {
      metric: 'journal bytes / event',
      daemon: (s.daemon.bytes / s.events).toFixed(1),
      'floor: write + fdatasync per event': String(RECORD_BYTES),
      'daemon / floor': '',
    },
    {
      metric: 'local embedder per text (bench process, p50 / p99)',
      daemon: `${ms(d.embedMs.p50)} / ${ms(d.embedMs.p99)}`,
      'floor: write + fdatasync per event': '—',
      'daemon / floor': '',
    },
  ];
  const concRows = [];
  for (const c of Object.values(d.concurrent)) {
    const dd = c.daemon;
    const f = c.floor;
    concRows.push(
      {
        connections: c.connections,
        metric: 'events/s (median of rounds)',
        daemon: `${si(dd.eventsPerSec.median)}/s ${pct(dd.eventsPerSec.spreadPct)}`,
        'floor: 1 write + fdatasync per batch of conns': `${si(f.eventsPerSec.median)}/s ${pct(f.eventsPerSec.spreadPct)}`,
        'daemon / floor': times(c.ratio),
      },
      {
        connections: c.connections,
        metric: 'ack p50 (floor: one batch)',
        daemon: ms(dd.ack.p50),
        'floor: 1 write + fdatasync per batch of conns': ms(f.latency.p50),
        'daemon / floor': times(dd.ack.p50 / f.latency.p50),
      },
      {
        connections: c.connections,
        metric: 'ack p99',
        daemon: ms(dd.ack.p99),
        'floor: 1 write + fdatasync per batch of conns': ms(f.latency.p99),
        'daemon / floor': times(dd.ack.p99 / f.latency.p99),
      },
      {
        connections: c.connections,
        metric: `fsyncs / writes for ${c.events.toLocaleString('en-US')} events`,
        daemon: `${dd.fsyncs} / ${dd.writes} (${dd.eventsPerFsync ? dd.eventsPerFsync.toFixed(1) : '—'} events per fsync)`,
        'floor: 1 write + fdatasync per batch of conns': `${f.fsyncs} / ${f.fsyncs} (${c.connections} per fsync)`,
        'daemon / floor': times(dd.fsyncs / f.fsyncs),
      },
      {
        connections: c.connections,
        metric: 'journal bytes / event',
        daemon: c.events ? (dd.bytes / c.events).toFixed(1) : '—',
        'floor: 1 write + fdatasync per batch of conns': String(RECORD_BYTES),
        'daemon / floor': c.failed ? `${c.failed} FAILED` : '',
      },
    );
  }
  return { seqRows, concRows };
}

/** Prints the learning tables. */
export function printLearn(result) {
  const d = result.data;
  const j = d.journal;
  printTable(
    `4a. learning events/s, 1 client sequential (route.feedback {text, tier}, each waits for its fsync'd ack; ${d.sequential.events.toLocaleString('en-US')} events; floor in the bench process on the ${d.sameFilesystem ? 'same' : 'DIFFERENT'} filesystem)`,
    result.seqRows,
  );
  printTable('4b. learning events/s, N connections closed loop (1 event in flight per connection) vs the group-commit floor', result.concRows);
  console.log(
    `journal over the whole section: ${j.events.toLocaleString('en-US')} events acked, ${j.bytes.toLocaleString('en-US')} bytes appended = ${(j.bytes / j.events).toFixed(1)} bytes/event (record size ${RECORD_BYTES.toLocaleString('en-US')}: O(1) per event); ${j.fsyncs} fsyncs, ${j.writes} writes; compactions ${j.compactions} (automatic compaction off; memory cleared between rounds, at most ${j.maxResidentPatches.toLocaleString('en-US')} patches resident); daemon VmRSS ${mib(d.rss.daemonAtStartBytes)} at start, peak ${mib(d.rss.daemonPeakBytes)}`,
  );
}
