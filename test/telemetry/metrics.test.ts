import { readFileSync } from 'node:fs';
import path from 'node:path';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type FakeLlm, startFakeAnthropic, startFakeOpenAI } from '../helpers/fake-llm.js';

// Issue 17 (first part): GET /metrics on the gateway port, parsed with a Prometheus text-format
// parser, after a known sequence of routes, feedback, bad requests and proxied requests.

let daemon: RunningDaemon;
let kimi: FakeLlm;
let claude: FakeLlm;
let families: MetricFamily[];

const value = (name: string, labels: Record<string, string> = {}): number | undefined => {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample?.value === undefined ? undefined : Number(sample.value);
};

beforeAll(async () => {
  kimi = await startFakeOpenAI('kimi');
  claude = await startFakeAnthropic('claude');
  daemon = await startDaemon({
    config: {
      models: {
        providers: {
          openrouter: { api: 'openai-completions', baseUrl: kimi.baseUrl, apiKey: 'k1', models: [{ id: 'moonshotai/kimi-k2.5' }] },
          anthropic: { api: 'anthropic-messages', baseUrl: claude.baseUrl, apiKey: 'k2', models: [{ id: 'claude-opus-4-5' }] },
        },
        'anthropic/claude-opus-4-5': { fallbacks: ['openrouter/moonshotai/kimi-k2.5'] },
      },
    },
  });
  const client = await daemon.client();
  await client.request('route', { text: 'Write a Python rate limiter with the token bucket algorithm' });
  await client.request('route', { text: "Hey, what's up? Tell me something interesting." });
  await client.request('route', { text: 'F: hi there' });
  await client.request('route.feedback', { text: 'Summarise this contract', tier: 'flagship' });
  await client.request('route', { text: 'Summarise this contract' });
  await client.request('no.such.method', {}).catch(() => undefined);
  const chat = (model: string) =>
    fetch(`http://127.0.0.1:${daemon.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'secret message text 12345' }] }),
    });
  await (await chat('openrouter/moonshotai/kimi-k2.5')).text();
  claude.faults.push({ status: 500 });
  await (await chat('anthropic/claude-opus-4-5')).text();
  const res = await fetch(`http://127.0.0.1:${daemon.port}/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  expect(text).not.toContain('secret message text');
  families = parsePrometheusTextFormat(text);
  await client.close();
});
afterAll(async () => {
  await daemon?.stop();
  await kimi?.close();
  await claude?.close();
});

describe('GET /metrics', () => {
  it('counts decisions by tier, intent and deciding stage, and times them', () => {
    expect(value('smart_routerd_decisions_total', { tier: 'flagship', intent: 'CODE', source: 'model' })).toBe(1);
    expect(value('smart_routerd_decisions_total', { tier: 'lightweight', intent: 'CHAT', source: 'model' })).toBe(1);
    expect(value('smart_routerd_decisions_total', { tier: 'flagship', intent: 'none', source: 'prefix' })).toBe(1);
    expect(value('smart_routerd_decisions_total', { tier: 'flagship', intent: 'none', source: 'patch' })).toBe(1);
    const hist = families.find((f) => f.name === 'smart_routerd_route_duration_seconds')!;
    expect(hist.type).toBe('HISTOGRAM');
    expect(Number(hist.metrics[0]!.count)).toBe(4);
  });

  it('counts gateway requests by method and outcome, with unknown methods under one label', () => {
    expect(value('smart_routerd_gateway_requests_total', { method: 'route', outcome: 'ok' })).toBe(4);
    expect(value('smart_routerd_gateway_requests_total', { method: 'route.feedback', outcome: 'ok' })).toBe(1);
    expect(value('smart_routerd_gateway_requests_total', { method: 'unknown', outcome: 'INVALID_REQUEST' })).toBe(1);
    expect(families.find((f) => f.name === 'smart_routerd_gateway_requests_total')!.metrics.some((m) => m.labels?.method === 'no.such.method')).toBe(false);
  });

  it('counts upstream attempts by model and outcome, fallbacks and proxied requests', () => {
    expect(value('smart_routerd_upstream_requests_total', { model: 'openrouter/moonshotai/kimi-k2.5', outcome: 'ok' })).toBe(2);
    expect(value('smart_routerd_upstream_requests_total', { model: 'anthropic/claude-opus-4-5', outcome: 'transient' })).toBe(1);
    expect(value('smart_routerd_fallbacks_total')).toBe(1);
    expect(value('smart_routerd_proxy_requests_total', { endpoint: '/v1/chat/completions', status: '200' })).toBe(2);
    expect(value('smart_routerd_cooldowns_active')).toBe(1);
  });

  it('counts learning events by tier and origin, journal fsyncs and kernel scans', () => {
    expect(value('smart_routerd_learning_events_total', { tier: 'flagship', origin: 'prefix' })).toBe(1);
    expect(value('smart_routerd_learning_events_total', { tier: 'flagship', origin: 'feedback' })).toBe(1);
    expect(Number(families.find((f) => f.name === 'smart_routerd_journal_fsync_duration_seconds')!.metrics[0]!.count)).toBeGreaterThanOrEqual(1);
    // The patch scan of the route after the corrections, inline with the built-in embedder (the
    // intent classifier decides before the DNA, so the DNA is not scanned).
    expect(value('smart_routerd_kernel_scans_total', { mode: 'inline' })).toBeGreaterThanOrEqual(1);
    expect(value('smart_routerd_kernel_scans_total', { mode: 'pool' })).toBeUndefined();
    expect(value('smart_routerd_compactions_total')).toBe(0);
  });

  it('reports build info, connections, live patches and process metrics', () => {
    expect(value('smart_routerd_build_info')).toBe(1);
    expect(value('smart_routerd_patches')).toBe(2); // the prefix and the feedback
    expect(value('smart_routerd_websocket_connections')).toBeGreaterThanOrEqual(0);
    expect(families.some((f) => f.name === 'smart_routerd_process_resident_memory_bytes')).toBe(true);
  });

  it('has every metric that docs/grafana-dashboard.json queries (edit both together)', () => {
    const dashboard = readFileSync(path.join(ROOT, 'docs', 'grafana-dashboard.json'), 'utf8');
    const queried = new Set([...dashboard.matchAll(/smart_routerd_[a-z_]+/g)].map((m) => m[0].replace(/_bucket$/, '')));
    const missing = [...queried].filter((name) => !families.some((f) => f.name === name));
    expect(missing).toEqual([]);
  });
});

describe('telemetry.metrics: false', () => {
  it('serves no /metrics (404) and still routes', async () => {
    const d = await startDaemon({ config: { telemetry: { metrics: false } } });
    try {
      const res = await fetch(`http://127.0.0.1:${d.port}/metrics`);
      expect(res.status).toBe(404);
      const client = await d.client();
      expect(await client.request<{ modelTier: string }>('route', { text: 'hello there' })).toHaveProperty('modelTier');
      await client.close();
    } finally {
      await d.stop();
    }
  });
});
