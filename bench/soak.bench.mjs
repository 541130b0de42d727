// Section 7 — failover soak (issue 13): 64 concurrent streams for 60 s (`--quick`: 10 s) through
// the real daemon against three fake upstreams (bench/fake-upstream.mjs, each its own process).
// The first of the chain fails at random: 20% of its requests, half before the first byte (a 500 or
// a connection reset), half mid-stream (reset after two events). Its transient cooldowns are set short
// (auth.cooldowns.transientBaseSeconds 0.01, transientMaxSeconds 0.25) so it keeps taking traffic for
// the whole soak; with the defaults (30 s doubling to 1 h) it would be taken out after a few failures.
// Every request must end with a complete answer (…finish_reason, [DONE]) or a protocol-correct error
// (an HTTP error in the OpenAI shape, or an error chunk then [DONE]); none may hang (30 s each) and
// none may end silently. Prints the count of each outcome. Not a pass/fail test: a bench section.

import { createRequire } from 'node:module';
import { printTable, si } from './lib/format.mjs';
import { startDaemon, startScript } from './lib/procs.mjs';

const require = createRequire(import.meta.url);
const { Agent, request } = require('undici');

/** How one streamed request ended. */
function outcomeOf(status, text) {
  if (status !== 200) {
    try {
      return JSON.parse(text).error?.message ? 'http error (OpenAI shape)' : 'malformed';
    } catch {
      return 'malformed';
    }
  }
  const events = text.split('\n\n').filter((b) => b.startsWith('data: '));
  if (events.at(-1) !== 'data: [DONE]') return 'truncated (no [DONE])';
  const last = JSON.parse(events.at(-2)?.slice(6) ?? '{}');
  if (last.error) return 'error event then [DONE]';
  const finished = events.slice(0, -1).some((e) => JSON.parse(e.slice(6)).choices?.[0]?.finish_reason);
  return finished ? 'complete' : 'truncated (no finish_reason)';
}

/** Runs the soak section; returns { rows, data }. */
export async function runSoak({ quick = false, log = console.error }) {
  const seconds = quick ? 10 : 60;
  const failing = await startScript('fake-upstream.mjs', { FAIL_RATE: '0.2' });
  const second = await startScript('fake-upstream.mjs');
  const third = await startScript('fake-upstream.mjs');
  const daemon = await startDaemon({
    config: {
      models: {
        providers: {
          flaky: { api: 'openai-completions', baseUrl: `${failing.url}/v1`, apiKey: 'k', models: [{ id: 'm' }] },
          steady: { api: 'openai-completions', baseUrl: `${second.url}/v1`, apiKey: 'k', models: [{ id: 'm' }] },
          spare: { api: 'anthropic-messages', baseUrl: third.url, apiKey: 'k', models: [{ id: 'a' }] },
        },
        'flaky/m': { fallbacks: ['steady/m', 'spare/a'] },
      },
      auth: { cooldowns: { transientBaseSeconds: 0.01, transientMaxSeconds: 0.25 } },
      proxy: { timeouts: { connectMs: 2000, firstByteMs: 5000, idleMs: 5000 } },
    },
  });
  const url = `${daemon.url.replace(/^ws/, 'http')}/v1/chat/completions`;
  const dispatcher = new Agent({ keepAliveTimeout: 60_000, connections: 128 });
  const counts = {};
  let failedOver = 0;
  const answeredBy = {};
  const deadline = Date.now() + seconds * 1000;
  const body = JSON.stringify({ model: 'flaky/m', stream: true, messages: [{ role: 'user', content: 'soak' }] });
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (Date.now() < deadline) {
        let outcome;
        try {
          const res = await request(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            dispatcher,
            headersTimeout: 30_000,
            bodyTimeout: 30_000,
          });
          const text = await res.body.text();
          outcome = outcomeOf(res.statusCode, text);
          const by = res.headers['x-smart-router-model'] ?? '(none)';
          answeredBy[by] = (answeredBy[by] ?? 0) + 1;
          if (Number(res.headers['x-smart-router-attempts']) > 1) failedOver++;
        } catch (err) {
          outcome = /Timeout/i.test(err.code ?? err.name) ? 'hang (no answer within 30 s)' : `client error ${err.code ?? err.message}`;
        }
        counts[outcome] = (counts[outcome] ?? 0) + 1;
      }
    }),
  );
  await dispatcher.close();
  await daemon.stop();
  await Promise.all([failing.stop(), second.stop(), third.stop()]);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  log(`[soak] ${total} streamed requests in ${seconds} s, 64 at a time`);
  const rows = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([outcome, n]) => ({ outcome, requests: n, share: `${((100 * n) / total).toFixed(2)}%` }));
  rows.push({
    outcome: `answered by: ${Object.entries(answeredBy)
      .map(([m, n]) => `${m} ${n}`)
      .join(', ')}`,
    requests: total,
    share: '',
  });
  rows.push({
    outcome: 'requests answered after a failover (x-smart-router-attempts > 1)',
    requests: failedOver,
    share: `${si(total / seconds)} req/s overall`,
  });
  return { rows, data: { seconds, total, counts, answeredBy, failedOver } };
}

/** Prints the soak table. */
export function printSoak(result) {
  printTable(
    '7. failover soak: 64 concurrent streams, one of three upstreams failing 20% at random (half mid-stream); every request must end complete or with a protocol error',
    result.rows,
  );
}
