// Section 4 — learning events/s through `route.feedback` (DESIGN.md §6–7).
//
// Not measurable yet: user learning (journal append + fsync per event, then compaction) is not
// wired into the daemon. This section asks a real daemon whether the method exists, so the TODO
// row says what the daemon answered today; once it is wired, replace the probe with a sequential
// and a 64-connection run like section 2, against a floor of one fsync'd append per event.

import { printTable } from './lib/format.mjs';
import { GatewayConn } from './lib/gateway-conn.mjs';
import { BENCH_TOKEN, startDaemon } from './lib/procs.mjs';

/** Runs the learning section (a probe and a TODO row); returns { rows, data }. */
export async function runLearn() {
  const daemon = await startDaemon();
  let answer;
  try {
    const conn = await GatewayConn.connect(daemon.url, BENCH_TOKEN, ['operator.read', 'operator.write']);
    answer = await new Promise((resolve) => {
      conn.request('route.feedback', { text: 'bench probe', tier: 'flagship' }, (ok, frame) => resolve(ok ? 'ok' : `${frame?.error?.code}: ${frame?.error?.message}`));
    });
    await conn.close();
  } finally {
    await daemon.stop();
  }
  const rows = [
    {
      metric: 'route.feedback learning events/s',
      value: answer === 'ok' ? 'TODO: route.feedback answers now; add its benchmark here' : 'TODO: learning: not yet available',
      'daemon answers today': answer,
      'floor (planned)': 'one fsync’d journal append per event',
    },
  ];
  return { rows, data: { available: answer === 'ok', probe: answer } };
}

/** Prints the learning table. */
export function printLearn(result) {
  printTable('4. learning events/s (route.feedback)', result.rows);
}
