import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  type CompactionEvent,
  channels,
  type DecisionEvent,
  type EmbeddingCallEvent,
  type GatewayRequestEvent,
  type JournalSyncEvent,
  type KernelScanEvent,
  type LearnedEvent,
  type ProxyRequestEvent,
  type UpstreamAttemptEvent,
} from '../events.js';

const require = createRequire(import.meta.url);

/** Gauges read when Prometheus scrapes (the daemon supplies them). */
export interface MetricSources {
  version: string;
  /** Open WebSocket connections. */
  connections: () => number;
  /** Learned corrections live in user memory (null without memory). */
  patches: () => number | null;
  /** (profile, model) pairs and profiles cooling down now. */
  coolingDown: () => number;
  /** The remote embedding provider's circuit breaker, or null for the built-in embedder. */
  breaker: () => { provider: string; state: 'closed' | 'half-open' | 'open' } | null;
  /** USD left per virtual key with a budget (usage ledger), by a bounded label: alias or hash prefix. */
  budgets?: () => Promise<Array<{ key: string; remainingUsd: number }>>;
}

/** Circuit-breaker states as gauge values (0 closed, 1 half-open, 2 open). */
const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** How long events wait to be counted in a batch, ms. */
const FLUSH_MS = 100;
/** Events queued before a batch is counted at once. */
const MAX_PENDING = 1024;

/** Route latency buckets, seconds: the router answers in tens of µs to a few ms. */
const ROUTE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05];
/** Time-to-first-byte buckets, seconds: LLM providers answer in tens of ms to tens of s. */
const TTFB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The Prometheus registry of one daemon (issue 17): counters and histograms fed by the events of
 * src/events.ts, gauges read at scrape time, process metrics and build info. Names follow
 * Prometheus conventions (`smart_routerd_` prefix, base units, `_total` counters, `_seconds`
 * histograms); labels hold bounded values only (tier, intent, source, method, outcome, model refs
 * from config), never text, keys or sessions. prom-client is loaded on first use.
 */
export class Metrics {
  readonly registry: Registry;
  private readonly unsubscribe: Array<() => void> = [];
  /** Events waiting to be counted (see `on`). */
  private readonly pending: Array<[(event: unknown) => void, unknown]> = [];

  constructor(sources: MetricSources) {
    const prom = require('prom-client') as typeof import('prom-client');
    const registry = new prom.Registry();
    this.registry = registry;
    prom.collectDefaultMetrics({ register: registry, prefix: 'smart_routerd_' });
    new prom.Gauge({ name: 'smart_routerd_build_info', help: 'Build information (value 1)', labelNames: ['version', 'node'], registers: [registry] })
      .labels(sources.version, process.version)
      .set(1);
    const decisions: Counter = new prom.Counter({
      name: 'smart_routerd_decisions_total',
      help: 'Routing decisions by tier, intent and deciding stage',
      labelNames: ['tier', 'intent', 'source'],
      registers: [registry],
    });
    const routeSeconds: Histogram = new prom.Histogram({
      name: 'smart_routerd_route_duration_seconds',
      help: 'Time inside the router per decision',
      buckets: ROUTE_BUCKETS,
      registers: [registry],
    });
    const requests: Counter = new prom.Counter({
      name: 'smart_routerd_gateway_requests_total',
      help: 'WebSocket gateway requests by method and outcome (ok or the wire error code)',
      labelNames: ['method', 'outcome'],
      registers: [registry],
    });
    const attempts: Counter = new prom.Counter({
      name: 'smart_routerd_upstream_requests_total',
      help: 'Upstream attempts of the model gateway by model and outcome (ok or the failure class)',
      labelNames: ['model', 'outcome'],
      registers: [registry],
    });
    const ttfb: Histogram = new prom.Histogram({
      name: 'smart_routerd_upstream_ttfb_seconds',
      help: 'Upstream time to first byte by model',
      labelNames: ['model'],
      buckets: TTFB_BUCKETS,
      registers: [registry],
    });
    const proxied: Counter = new prom.Counter({
      name: 'smart_routerd_proxy_requests_total',
      help: 'Model-API requests by endpoint and HTTP status',
      labelNames: ['endpoint', 'status'],
      registers: [registry],
    });
    const tokens: Counter = new prom.Counter({
      name: 'smart_routerd_tokens_total',
      help: 'Tokens of answered model-API requests by answering model and type (input, output, cache_read, cache_write), as upstreams reported them',
      labelNames: ['model', 'type'],
      registers: [registry],
    });
    const cost: Counter = new prom.Counter({
      name: 'smart_routerd_cost_usd_total',
      help: 'Cost in USD of answered model-API requests by answering model (usage ledger prices)',
      labelNames: ['model'],
      registers: [registry],
    });
    new prom.Gauge({
      name: 'smart_routerd_key_budget_remaining_usd',
      help: 'USD left in the current budget window of each virtual key with max_budget (label: its alias, else the first 12 hex digits of its hash)',
      labelNames: ['key'],
      registers: [registry],
      async collect() {
        const budgets = (await sources.budgets?.().catch(() => [])) ?? [];
        this.reset();
        for (const b of budgets) this.labels(b.key).set(b.remainingUsd);
      },
    });
    const fallbacks: Counter = new prom.Counter({
      name: 'smart_routerd_fallbacks_total',
      help: 'Model-API requests that tried more than one candidate',
      registers: [registry],
    });
    const gauge = (name: string, help: string, read: () => number | null): Gauge =>
      new prom.Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const v = read();
          if (v !== null) this.set(v);
        },
      });
    const learned: Counter = new prom.Counter({
      name: 'smart_routerd_learning_events_total',
      help: 'Corrections made durable in user memory, by tier and origin (prefix, feedback, cli)',
      labelNames: ['tier', 'origin'],
      registers: [registry],
    });
    const fsync: Histogram = new prom.Histogram({
      name: 'smart_routerd_journal_fsync_duration_seconds',
      help: 'Write and fdatasync time of one journal batch (group commit)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    });
    const compactions: Counter = new prom.Counter({ name: 'smart_routerd_compactions_total', help: 'User-memory compactions', registers: [registry] });
    const evicted: Counter = new prom.Counter({
      name: 'smart_routerd_compaction_evicted_total',
      help: 'Live corrections evicted by compaction for capacity',
      registers: [registry],
    });
    const scans: Counter = new prom.Counter({
      name: 'smart_routerd_kernel_scans_total',
      help: 'Kernel similarity scans, inline on the main thread or in a pool worker',
      labelNames: ['mode'],
      registers: [registry],
    });
    const embeddings: Counter = new prom.Counter({
      name: 'smart_routerd_embedding_calls_total',
      help: 'Remote embedding calls by provider and outcome (ok or the error code)',
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    });
    new prom.Gauge({
      name: 'smart_routerd_embedding_breaker_state',
      help: 'Circuit breaker of the remote embedding provider: 0 closed, 1 half-open, 2 open',
      labelNames: ['provider'],
      registers: [registry],
      collect() {
        const b = sources.breaker();
        this.reset();
        if (b) this.labels(b.provider).set(BREAKER_VALUE[b.state]);
      },
    });
    gauge('smart_routerd_websocket_connections', 'Open WebSocket connections', sources.connections);
    gauge('smart_routerd_patches', 'Learned corrections (patches) live in user memory', sources.patches);
    gauge('smart_routerd_cooldowns_active', 'Auth profiles and (profile, model) pairs cooling down', sources.coolingDown);

    this.on<DecisionEvent>(channels.decision, (e) => {
      decisions.labels(e.tier, e.intent ?? 'none', e.source).inc();
      routeSeconds.observe(e.latencyMs / 1000);
    });
    this.on<GatewayRequestEvent>(channels.gatewayRequest, (e) => requests.labels(e.method, e.outcome).inc());
    this.on<LearnedEvent>(channels.learned, (e) => learned.labels(e.tier, e.origin).inc());
    this.on<JournalSyncEvent>(channels.journalSync, (e) => fsync.observe(e.ms / 1000));
    this.on<CompactionEvent>(channels.compaction, (e) => {
      compactions.inc();
      evicted.inc(e.evicted);
    });
    this.on<KernelScanEvent>(channels.kernelScan, (e) => scans.labels(e.mode).inc());
    this.on<EmbeddingCallEvent>(channels.embeddingCall, (e) => embeddings.labels(e.provider, e.outcome).inc());
    this.on<UpstreamAttemptEvent>(channels.upstreamAttempt, (e) => {
      attempts.labels(e.model, e.outcome).inc();
      if (e.ttfbMs !== null) ttfb.labels(e.model).observe(e.ttfbMs / 1000);
    });
    this.on<ProxyRequestEvent>(channels.proxyRequest, (e) => {
      proxied.labels(e.endpoint, String(e.status)).inc();
      const u = e.start.usage;
      const model = e.start.responseModel;
      if (u && model) {
        tokens.labels(model, 'input').inc(u.inputTokens);
        tokens.labels(model, 'output').inc(u.outputTokens);
        tokens.labels(model, 'cache_read').inc(u.cacheReadTokens);
        tokens.labels(model, 'cache_write').inc(u.cacheWriteTokens);
        cost.labels(model).inc(u.costUsd);
      }
      if (e.attempts > 1) fallbacks.inc();
    });
  }

  /** The Prometheus text exposition (format 0.0.4) and its content type; events not yet counted are counted first. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    this.flush();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Stops listening to the event channels. */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.pending.length = 0;
  }

  /**
   * Counts an event later, in a batch: every FLUSH_MS, at MAX_PENDING events, and before each
   * scrape. Events arrive on the route path, and prom-client's label lookup and bucket search cost
   * microseconds each; queued, the answer no longer waits for them (bench section 8: route p50
   * with metrics was 1.03–1.05× that without). A scrape always sees every event published before it.
   */
  private on<T>(channel: import('node:diagnostics_channel').Channel, handler: (event: T) => void): void {
    const listener = (message: unknown) => {
      this.pending.push([handler as (event: unknown) => void, message]);
      if (this.pending.length >= MAX_PENDING) this.flush();
      else if (this.pending.length === 1) setTimeout(() => this.flush(), FLUSH_MS).unref();
    };
    channel.subscribe(listener);
    this.unsubscribe.push(() => channel.unsubscribe(listener));
  }

  /** Applies the queued events to the metrics. */
  private flush(): void {
    const batch = this.pending.splice(0);
    for (const [handler, event] of batch) {
      try {
        handler(event);
      } catch {
        // A metric that cannot count one event (a label prom-client refuses) must not stop the others or the daemon.
      }
    }
  }
}
