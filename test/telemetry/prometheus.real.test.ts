import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteDecision } from '../../src/index.js';
import { freePort } from '../helpers/cluster-servers.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';

// Issue 17 (criterion 2): a real Prometheus (Debian's `prometheus` package, which .ci/run installs)
// scrapes the daemon's GET /metrics, and PromQL over Prometheus's HTTP API returns the decision
// counts the routes themselves reported. Without the binary the suite is skipped on a developer
// machine, but fails in CI so a missing install step cannot hide.

const PACKAGE_HINT = "Debian's `prometheus` package (apt-get install prometheus)";

/** The first executable `name` on PATH, or null. */
function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

const PROMETHEUS = onPath('prometheus');
const SKIP = PROMETHEUS === null && !process.env.CI;
if (SKIP) console.warn(`prometheus.real.test.ts skipped: no \`prometheus\` binary on PATH; install ${PACKAGE_HINT} to run it`);

/** Prometheus HTTP API envelope (https://prometheus.io/docs/prometheus/latest/querying/api/). */
interface ApiResponse<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}
interface TargetsData {
  activeTargets: Array<{ scrapeUrl: string; health: 'up' | 'down' | 'unknown'; lastError: string }>;
}
interface VectorData {
  resultType: string;
  result: Array<{ metric: Record<string, string>; value: [number, string] }>;
}

/** Three code-like and two chat-like messages; the test reads what each was routed to from the answers. */
const MESSAGES = [
  'Write a Python rate limiter with the token bucket algorithm',
  'Fix the off-by-one error in this TypeScript binary search function',
  'Implement a Rust function that parses a CSV line into fields, handling quoted commas',
  "Hey, what's up? Tell me something interesting.",
  'Good morning! How are you doing today?',
];

let daemon: RunningDaemon | undefined;
let prometheus: ChildProcess | undefined;
let prometheusExited: Promise<void> | undefined;
let tmp: string | undefined;
let api = '';
const prometheusOutput: string[] = [];
/** What the route answers said: tier → count, and `tier/intent/source` → count. */
const byTier = new Map<string, number>();
const bySeries = new Map<string, number>();
const seriesKey = (tier: string, intent: string, source: string) => `${tier}/${intent}/${source}`;

/** GETs a Prometheus API path and returns `data`, throwing on an HTTP or API error. */
async function promApi<T>(pathAndQuery: string): Promise<T> {
  const res = await fetch(`${api}${pathAndQuery}`);
  const body = (await res.json()) as ApiResponse<T>;
  if (!res.ok || body.status !== 'success') throw new Error(`${pathAndQuery}: HTTP ${res.status} ${body.error ?? ''}`);
  return body.data;
}

/** Polls `probe` every 250 ms until it returns a value (not undefined), for at most `ms`. */
async function pollUntil<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    if (prometheus && (prometheus.exitCode !== null || prometheus.signalCode !== null)) {
      throw new Error(`prometheus exited (${prometheus.exitCode ?? prometheus.signalCode}) while waiting for ${what}:\n${prometheusOutput.join('')}`);
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err; // Prometheus not listening yet, or the query not answerable yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not reached within ${ms / 1000} s (last error: ${String(last)}):\n${prometheusOutput.join('').slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Runs an instant PromQL query, polling until it returns at least one sample. */
async function query(promql: string): Promise<VectorData['result']> {
  return pollUntil(`samples for ${promql}`, 30_000, async () => {
    const data = await promApi<VectorData>(`/api/v1/query?query=${encodeURIComponent(promql)}`);
    if (data.resultType !== 'vector') throw new Error(`resultType ${data.resultType}, not vector`);
    return data.result.length > 0 ? data.result : undefined;
  });
}

describe.skipIf(SKIP)(`a real Prometheus scrapes GET /metrics (needs ${PACKAGE_HINT})`, () => {
  beforeAll(async () => {
    if (PROMETHEUS === null) throw new Error(`CI is set but no \`prometheus\` binary is on PATH: .ci/run must install ${PACKAGE_HINT}`);

    daemon = await startDaemon();
    const client = await daemon.client();
    try {
      for (const text of MESSAGES) {
        const decision = await client.request<RouteDecision>('route', { text });
        byTier.set(decision.modelTier, (byTier.get(decision.modelTier) ?? 0) + 1);
        const key = seriesKey(decision.modelTier, decision.intent ?? 'none', decision.source);
        bySeries.set(key, (bySeries.get(key) ?? 0) + 1);
      }
    } finally {
      await client.close();
    }

    tmp = mkdtempSync(path.join(os.tmpdir(), 'srd-prometheus-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    // Only a static loopback target: no service discovery, alerting or remote write, so nothing
    // reaches the network.
    writeFileSync(
      path.join(tmp, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: smart-routerd',
        '    metrics_path: /metrics',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${daemon.port}']`,
        '',
      ].join('\n'),
    );
    const proc = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(tmp, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(tmp, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus = proc;
    prometheusExited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.stdout?.on('data', (d: Buffer) => prometheusOutput.push(d.toString()));
    proc.stderr?.on('data', (d: Buffer) => prometheusOutput.push(d.toString()));

    const expectedUrl = `http://127.0.0.1:${daemon.port}/metrics`;
    await pollUntil('the smart-routerd target up', 30_000, async () => {
      const data = await promApi<TargetsData>('/api/v1/targets');
      const target = data.activeTargets.find((t) => t.scrapeUrl === expectedUrl);
      if (target?.health === 'down') throw new Error(`target down: ${target.lastError}`);
      return target?.health === 'up' ? target : undefined;
    });
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
      prometheus.kill('SIGTERM');
      const killTimer = setTimeout(() => prometheus?.kill('SIGKILL'), 10_000);
      await prometheusExited;
      clearTimeout(killTimer);
    }
    await daemon?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('sum by (tier) (smart_routerd_decisions_total) equals the tiers the routes returned', async () => {
    const result = await query('sum by (tier) (smart_routerd_decisions_total)');
    const got = Object.fromEntries(result.map((s) => [s.metric.tier, Number(s.value[1])]));
    expect(got).toEqual(Object.fromEntries(byTier));
    expect(Object.values(got).reduce((a, b) => a + b, 0)).toBe(MESSAGES.length);
  });

  it('the series carry the intent and deciding stage the routes returned', async () => {
    const result = await query('sum by (tier, intent, source) (smart_routerd_decisions_total)');
    const got = Object.fromEntries(result.map((s) => [seriesKey(s.metric.tier ?? '', s.metric.intent ?? '', s.metric.source ?? ''), Number(s.value[1])]));
    expect(got).toEqual(Object.fromEntries(bySeries));
  });

  it('labels every sample with the scrape job and the daemon as instance', async () => {
    const result = await query('smart_routerd_decisions_total');
    for (const sample of result) {
      expect(sample.metric).toMatchObject({ __name__: 'smart_routerd_decisions_total', job: 'smart-routerd', instance: `127.0.0.1:${daemon?.port}` });
    }
  });
});
