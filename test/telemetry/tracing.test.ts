import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type FakeLlm, startFakeAnthropic, startFakeOpenAI } from '../helpers/fake-llm.js';

// Issue 17 (traces): a real daemon exporting OTLP/HTTP JSON to a loopback receiver, fake upstreams
// behind it. The span tree and attributes of a WebSocket route and of a routed model-API request
// that fails over; no message text on any span; no export and no SDK without an endpoint.

const OPUS = 'anthropic/claude-opus-4-5';
const KIMI = 'openrouter/moonshotai/kimi-k2.5';
/** Routed by the DNA to flagship / CODE (as in metrics.test.ts); the marker must never reach a span. */
const SECRET = 'zebra7731';
const CODE_TEXT = `Write a Python rate limiter with the token bucket algorithm ${SECRET}`;

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: AnyValue }>;
  status?: { code?: number };
}
interface Span {
  traceId: string;
  spanId: string;
  parent: string | null;
  name: string;
  kind: number;
  start: bigint;
  end: bigint;
  attrs: Record<string, string | number | boolean>;
  status: number;
}

/** A loopback OTLP/HTTP receiver: records every POST /v1/traces (JSON) and answers 200. */
interface Receiver {
  endpoint: string;
  bodies: unknown[];
  /** Content types of the POSTs received. */
  contentTypes: Set<string>;
  spans(): Span[];
  resources(): Array<Record<string, string | number | boolean>>;
  close(): Promise<void>;
}

const anyValue = (v: AnyValue): string | number | boolean =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue ?? ''));
const attrsOf = (list: Array<{ key: string; value: AnyValue }> = []) => Object.fromEntries(list.map((a) => [a.key, anyValue(a.value)]));

type Export = { resourceSpans?: Array<{ resource?: { attributes?: Array<{ key: string; value: AnyValue }> }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }> };

async function startReceiver(): Promise<Receiver> {
  const bodies: unknown[] = [];
  const contentTypes = new Set<string>();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method === 'POST' && req.url === '/v1/traces') {
      contentTypes.add(String(req.headers['content-type']));
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const exports = () => bodies as Export[];
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    contentTypes,
    spans: () =>
      exports().flatMap((b) =>
        (b.resourceSpans ?? []).flatMap((rs) =>
          (rs.scopeSpans ?? []).flatMap((ss) =>
            (ss.spans ?? []).map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parent: s.parentSpanId ? s.parentSpanId : null,
              name: s.name,
              kind: s.kind,
              start: BigInt(s.startTimeUnixNano),
              end: BigInt(s.endTimeUnixNano),
              attrs: attrsOf(s.attributes),
              status: s.status?.code ?? 0,
            })),
          ),
        ),
      ),
    resources: () => exports().flatMap((b) => (b.resourceSpans ?? []).map((rs) => attrsOf(rs.resource?.attributes))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
async function waitFor<T>(check: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting for spans');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// OTLP span kinds and status codes (opentelemetry-proto trace.proto).
const KIND = { internal: 1, server: 2, client: 3 } as const;
const STATUS_ERROR = 2;

let claude: FakeLlm;
let kimi: FakeLlm;
let receiver: Receiver;
let daemon: RunningDaemon | null = null;

const config = () => ({
  models: {
    providers: {
      anthropic: { api: 'anthropic-messages', baseUrl: claude.baseUrl, apiKey: 'sk-a1', models: [{ id: 'claude-opus-4-5' }] },
      openrouter: { api: 'openai-completions', baseUrl: kimi.baseUrl, apiKey: 'sk-or', models: [{ id: 'moonshotai/kimi-k2.5' }] },
    },
    [OPUS]: { fallbacks: [KIMI] },
  },
  proxy: { timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 } },
});

beforeAll(async () => {
  claude = await startFakeAnthropic('claude');
  kimi = await startFakeOpenAI('kimi');
  receiver = await startReceiver();
});
afterAll(async () => {
  await Promise.all([claude?.close(), kimi?.close(), receiver?.close()]);
});
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  receiver.bodies.length = 0;
  claude.faults.length = 0;
});

describe('OpenTelemetry traces with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  it('a WebSocket route is one root smart_router.route span with the decision', async () => {
    daemon = await startDaemon({ config: config(), env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } });
    const client = await daemon.client();
    const decision = (await client.request('route', { text: CODE_TEXT })) as { decisionId: string; confidence: number; selectedModel: string };
    await client.close();
    const span = await waitFor(() => receiver.spans().find((s) => s.name === 'smart_router.route'));
    expect(span.parent).toBeNull();
    expect(span.kind).toBe(KIND.internal);
    expect(span.attrs).toMatchObject({
      'smart_router.decision_id': decision.decisionId,
      'smart_router.tier': 'flagship',
      'smart_router.intent': 'CODE',
      'smart_router.source': 'model',
      'smart_router.model': decision.selectedModel,
      'smart_router.via': 'gateway',
    });
    expect(span.attrs['smart_router.confidence']).toBeCloseTo(decision.confidence, 6);
    expect(span.end).toBeGreaterThanOrEqual(span.start);
    expect(receiver.resources()[0]).toMatchObject({ 'service.name': 'smart-routerd' });
    expect([...receiver.contentTypes]).toEqual(['application/json']);
    expect(JSON.stringify(receiver.bodies)).not.toContain(SECRET);
  });

  it('a routed request that fails over: the request span, its route and two attempts, the failed one with its class', async () => {
    daemon = await startDaemon({ config: config(), env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } });
    claude.faults.push({ status: 500 });
    const res = await fetch(`http://127.0.0.1:${daemon.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart-routerd/auto', messages: [{ role: 'user', content: CODE_TEXT }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    expect(res.headers.get('x-smart-router-model')).toBe(KIMI);
    expect(res.headers.get('x-smart-router-attempts')).toBe('2');
    const decisionId = res.headers.get('x-smart-router-decision-id')!;

    const root = await waitFor(() => receiver.spans().find((s) => s.name === 'POST /v1/chat/completions'));
    const spans = await waitFor(() => {
      const all = receiver.spans().filter((s) => s.traceId === root.traceId);
      return all.length >= 4 ? all : undefined;
    });
    expect(spans).toHaveLength(4);
    expect(root.parent).toBeNull();
    expect(root.kind).toBe(KIND.server);
    expect(root.attrs).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
      'gen_ai.request.model': 'smart-routerd/auto',
      'gen_ai.response.model': KIMI,
      'smart_router.decision_id': decisionId,
      'smart_router.tier': 'flagship',
      'smart_router.intent': 'CODE',
      'smart_router.source': 'model',
      'smart_router.attempts': 2,
      // The fake OpenAI upstream reports prompt_tokens 12 (4 cached) and completion_tokens 7.
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'smart_router.request_id': res.headers.get('x-request-id'),
    });
    expect(root.status).not.toBe(STATUS_ERROR);

    const children = spans.filter((s) => s.parent === root.spanId);
    expect(children.map((s) => s.name).sort()).toEqual(['smart_router.route', 'smart_router.upstream_attempt', 'smart_router.upstream_attempt']);
    const route = children.find((s) => s.name === 'smart_router.route')!;
    expect(route.attrs).toMatchObject({ 'smart_router.decision_id': decisionId, 'smart_router.via': 'proxy', 'smart_router.model': OPUS });

    const [failed, answered] = children.filter((s) => s.name === 'smart_router.upstream_attempt').sort((a, b) => Number(a.start - b.start));
    expect(failed!.kind).toBe(KIND.client);
    expect(failed!.status).toBe(STATUS_ERROR);
    expect(failed!.attrs).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-opus-4-5',
      'smart_router.model': OPUS,
      'http.response.status_code': 500,
      'smart_router.attempt.failure_class': 'transient',
      'error.type': 'transient',
    });
    expect(failed!.attrs['gen_ai.response.model']).toBeUndefined();
    expect(answered!.status).not.toBe(STATUS_ERROR);
    expect(answered!.attrs).toMatchObject({
      'gen_ai.provider.name': 'openrouter',
      'gen_ai.request.model': 'moonshotai/kimi-k2.5',
      'gen_ai.response.model': 'moonshotai/kimi-k2.5',
      'smart_router.model': KIMI,
      'http.response.status_code': 200,
    });
    expect(answered!.attrs['smart_router.attempt.failure_class']).toBeUndefined();
    // Children lie inside their parent, attempts one after the other.
    for (const c of children) {
      expect(c.start).toBeGreaterThanOrEqual(root.start);
      expect(c.end).toBeLessThanOrEqual(root.end);
    }
    expect(answered!.start).toBeGreaterThanOrEqual(failed!.end);
    // The upstream got the text; no span did.
    expect(JSON.stringify(kimi.received.at(-1)!.json)).toContain(SECRET);
    expect(JSON.stringify(receiver.bodies)).not.toContain(SECRET);
    for (const s of receiver.spans()) for (const v of Object.values(s.attrs)) expect(String(v)).not.toContain('rate limiter');
  });

  it('stopping the daemon flushes the spans not yet exported', async () => {
    daemon = await startDaemon({ config: config(), env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } });
    const client = await daemon.client();
    const { decisionId } = (await client.request('route', { text: 'hello there' })) as { decisionId: string };
    await client.close();
    expect(await daemon.stop()).toBe(0);
    daemon = null;
    expect(receiver.spans().find((s) => s.attrs['smart_router.decision_id'] === decisionId)).toBeDefined();
  });

  it('telemetry.captureContent: true puts the routed text on the route span', async () => {
    daemon = await startDaemon({
      config: { ...config(), telemetry: { otlp: { endpoint: receiver.endpoint }, captureContent: true } },
    });
    const client = await daemon.client();
    await client.request('route', { text: CODE_TEXT });
    await client.close();
    const span = await waitFor(() => receiver.spans().find((s) => s.name === 'smart_router.route'));
    expect(JSON.parse(String(span.attrs['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: CODE_TEXT }] }]);
  });
});

describe('without an endpoint', () => {
  it('exports nothing and never loads the OpenTelemetry SDK', async () => {
    // NODE_DEBUG=module: Node logs every CommonJS load (the SDK is required through createRequire).
    const env = { NODE_DEBUG: 'module', OTEL_EXPORTER_OTLP_ENDPOINT: '' };
    daemon = await startDaemon({ config: config(), env });
    const client = await daemon.client();
    await client.request('route', { text: CODE_TEXT });
    await client.close();
    const res = await fetch(`http://127.0.0.1:${daemon.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart-routerd/auto', messages: [{ role: 'user', content: CODE_TEXT }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    await new Promise((r) => setTimeout(r, 700)); // longer than the batch delay
    const lines = [...daemon.lines];
    await daemon.stop();
    daemon = null;
    expect(receiver.bodies).toEqual([]);
    // prom-client (loaded once ready) requires @opentelemetry/api for exemplars; the SDK must not load.
    expect(lines.some((l) => /prom-client/.test(l))).toBe(true); // the probe sees lazily required packages
    expect(lines.filter((l) => /@opentelemetry[/\\](sdk-trace|exporter-trace|resources|otlp-)/.test(l))).toEqual([]);
    expect(lines.some((l) => l.includes('tracing: exporting spans'))).toBe(false);

    // The same probe does see the SDK when an endpoint is set.
    // (The SDK loads in the trace worker, which starts beside the daemon's thread: wait for it.)
    daemon = await startDaemon({ config: config(), env: { NODE_DEBUG: 'module', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } });
    const sdkSeen = () => daemon!.lines.some((l) => /@opentelemetry[/\\]sdk-trace-base/.test(l));
    for (let i = 0; i < 100 && !sdkSeen(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(sdkSeen()).toBe(true);
  });
});
