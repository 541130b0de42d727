// Section 5 — latency the OpenClaw plugin adds to an agent turn (issue 8, criterion 3).
//
// Runs bench/plugin-latency.mjs (real daemon, the plugin's before_model_resolve handler timed over
// the five demo messages) under OpenClaw's own runtime — Node 26 from .cache/openclaw-e2e when
// `node scripts/openclaw-e2e-setup.mjs` has installed it — and under this Node, and prints both.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from './lib/format.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs the plugin section; returns { rows, data }. */
export async function runPlugin({ quick, log }) {
  const turns = quick ? 300 : 2000;
  const runtimes = [{ label: `this Node (${process.version})`, node: process.execPath }];
  const paths = path.join(ROOT, '.cache', 'openclaw-e2e', 'paths.json');
  if (existsSync(paths)) runtimes.unshift({ label: "OpenClaw's Node 26", node: JSON.parse(readFileSync(paths, 'utf8')).node });
  else log('[plugin] Node 26 not installed (node scripts/openclaw-e2e-setup.mjs); measuring on this Node only');
  const data = {};
  const rows = [];
  for (const rt of runtimes) {
    log(`[plugin] ${turns} turns on ${rt.label}`);
    const out = execFileSync(rt.node, [path.join(ROOT, 'bench', 'plugin-latency.mjs'), '--turns', String(turns), '--json'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    const r = JSON.parse(out);
    data[r.node] = r;
    const ms = (x) => `${x.toFixed(3)} ms`;
    rows.push(
      {
        runtime: rt.label,
        case: 'routed turn (hook wall time)',
        p50: ms(r.routed.p50),
        p99: ms(r.routed.p99),
        'vs raw route p50': `${(r.routed.p50 / r.rawRoute.p50).toFixed(2)}×`,
      },
      { runtime: rt.label, case: 'raw `route` round trip (floor)', p50: ms(r.rawRoute.p50), p99: ms(r.rawRoute.p99), 'vs raw route p50': '1.00×' },
      { runtime: rt.label, case: 'daemon stopped (fail-open)', p50: ms(r.failOpen.p50), p99: ms(r.failOpen.p99), 'vs raw route p50': '' },
    );
  }
  return { rows, data };
}

/** Prints the plugin table. */
export function printPlugin(result) {
  printTable('5. OpenClaw plugin: latency added per agent turn (before_model_resolve handler)', result.rows);
}
