import { AsyncLocalStorage } from 'node:async_hooks';
import type { Channel } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/index.js';
import { channels, type DecisionEvent, type ProxyRequestEvent, type ProxyStartEvent, type RouteContentEvent, type UpstreamAttemptEvent } from '../events.js';

const require = createRequire(import.meta.url);

type Api = typeof import('@opentelemetry/api');

/**
 * The OTLP base URL traces go to, or null when tracing is off: the daemon's
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (the OpenTelemetry variable, as every SDK reads it), else config
 * `telemetry.otlp.endpoint`. `OTEL_SDK_DISABLED=true` turns tracing off whatever is set.
 */
export function tracingEndpoint(config: Config, env: NodeJS.ProcessEnv): string | null {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return null;
  const url = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || config.telemetry.otlp.endpoint;
  return url ? url.replace(/\/+$/, '') : null;
}

/** Options of Tracing. */
export interface TracingOptions {
  /** OTLP/HTTP base URL; spans are POSTed (JSON) to `<endpoint>/v1/traces`. */
  endpoint: string;
  /** service.version of the resource. */
  version: string;
  /** Put the routed text on route spans (config telemetry.captureContent). */
  captureContent: boolean;
  /** ms between batch exports (default 500). */
  scheduleDelayMs?: number;
  /** Called with an error thrown while building a span (it is dropped; the daemon goes on). */
  onError?: (err: unknown) => void;
}

/** Largest number of captured texts waiting for their decision (they arrive right before it). */
const MAX_PENDING_CONTENT = 64;

/** How long span builds wait to be batched, ms. */
const DEFER_MS = 100;
/** Span builds queued before a batch runs at once. */
const MAX_DEFERRED = 1024;

/**
 * OpenTelemetry traces of one daemon (issue 17), built from the events of src/events.ts: the rooms
 * publish, this subscribes, and no room imports OpenTelemetry. The SDK is loaded (createRequire) only
 * when a Tracing is made, that is when an OTLP endpoint is configured. Spans:
 *
 * - `smart_router.route` (internal): one per route decision; a root span for a WebSocket `route`,
 *   the child of the request's span for a routed model-API request.
 * - `POST /v1/chat/completions` etc. (server): one per model-API request, from its `proxyStart`
 *   (bound to an AsyncLocalStorage through diagnostics_channel `bindStore`, so the decision and
 *   attempt events of the request find it) to its end.
 * - `smart_router.upstream_attempt` (client): one per candidate tried, children of the request's span.
 *
 * Attributes follow the OpenTelemetry GenAI and HTTP semantic conventions where they apply, plus
 * `smart_router.*`; never message text unless `captureContent`.
 */
export class Tracing {
  /** Where spans are POSTed. */
  readonly url: string;
  private readonly api: Api;
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  /** The span of the model-API request being handled (async context). */
  private readonly current = new AsyncLocalStorage<Span | undefined>();
  private readonly requests = new WeakMap<ProxyStartEvent, Span>();
  private readonly content = new Map<string, string>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly onError: (err: unknown) => void;
  /** Span builds waiting for the next batch (see defer). */
  private readonly deferred: Array<() => void> = [];

  constructor(opts: TracingOptions) {
    this.onError = opts.onError ?? (() => undefined);
    const api = require('@opentelemetry/api') as Api;
    const sdk = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
    const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');
    this.api = api;
    this.url = `${opts.endpoint}/v1/traces`;
    this.provider = new sdk.BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'smart-routerd', [ATTR_SERVICE_VERSION]: opts.version }),
      spanProcessors: [new sdk.BatchSpanProcessor(new OTLPTraceExporter({ url: this.url }), { scheduledDelayMillis: opts.scheduleDelayMs ?? 500 })],
    });
    this.tracer = this.provider.getTracer('smart-routerd', opts.version);

    const start = channels.proxyStart as Channel<Span | undefined, ProxyStartEvent>;
    start.bindStore(this.current, (e) => this.guard(() => this.startRequest(e)));
    this.unsubscribe.push(() => start.unbindStore(this.current));
    this.on<DecisionEvent>(channels.decision, (e) => this.route(e));
    this.on<UpstreamAttemptEvent>(channels.upstreamAttempt, (e) => this.attempt(e));
    this.on<ProxyRequestEvent>(channels.proxyRequest, (e) => this.endRequest(e));
    if (opts.captureContent) {
      this.on<RouteContentEvent>(channels.routeContent, (e) => {
        if (this.content.size >= MAX_PENDING_CONTENT) this.content.clear();
        this.content.set(e.decisionId, e.text);
      });
    }
  }

  /** Stops listening, exports the spans not yet sent and shuts the exporter down. */
  async close(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.runDeferred();
    await this.provider.forceFlush().catch(() => undefined);
    await this.provider.shutdown().catch(() => undefined);
  }

  /** The context whose parent is the current request's span (root when there is none). */
  private parent() {
    const span = this.current.getStore();
    return span ? this.api.trace.setSpan(this.api.ROOT_CONTEXT, span) : this.api.ROOT_CONTEXT;
  }

  private route(e: DecisionEvent): void {
    const attributes: Attributes = {
      'smart_router.decision_id': e.decisionId,
      'smart_router.tier': e.tier,
      'smart_router.source': e.source,
      'smart_router.confidence': e.confidence,
      'smart_router.model': e.model,
      'smart_router.via': e.via,
    };
    if (e.intent !== null) attributes['smart_router.intent'] = e.intent;
    const text = this.content.get(e.decisionId);
    if (text !== undefined) {
      this.content.delete(e.decisionId);
      attributes['gen_ai.input.messages'] = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: text }] }]);
    }
    const parent = this.parent();
    // The span is built once the answer is on its way (the event is published before it is sent).
    this.defer(() => {
      const span = this.tracer.startSpan('smart_router.route', { kind: this.api.SpanKind.INTERNAL, startTime: e.ts - e.latencyMs, attributes }, parent);
      span.end(e.ts);
    });
  }

  /**
   * Queues a span build, off the path of the answer: the queue is drained every DEFER_MS (or at
   * MAX_DEFERRED), so the cost lands on one turn of the event loop per batch instead of after every
   * answer, where it would delay the next request on the same connection (bench section 8: with a
   * setImmediate per decision, route p50 was 1.06–1.29× that of a daemon without tracing). Spans
   * carry their own start and end times, so building them late changes nothing they say.
   */
  private defer(fn: () => void): void {
    this.deferred.push(fn);
    if (this.deferred.length >= MAX_DEFERRED) this.runDeferred();
    else if (this.deferred.length === 1) setTimeout(() => this.runDeferred(), DEFER_MS).unref();
  }

  private runDeferred(): void {
    for (const fn of this.deferred.splice(0)) this.guard(fn);
  }

  private startRequest(e: ProxyStartEvent): Span {
    const span = this.tracer.startSpan(
      `${e.method} ${e.endpoint}`,
      {
        kind: this.api.SpanKind.SERVER,
        startTime: e.ts,
        attributes: { 'http.request.method': e.method, 'http.route': e.endpoint, 'gen_ai.operation.name': 'chat' },
      },
      this.api.ROOT_CONTEXT,
    );
    this.requests.set(e, span);
    return span;
  }

  private attempt(e: UpstreamAttemptEvent): void {
    const failed = e.outcome !== 'ok';
    const attributes: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': e.provider,
      'gen_ai.system': e.provider,
      'gen_ai.request.model': e.providerModel,
      'smart_router.model': e.model,
      'smart_router.attempt.outcome': e.outcome,
    };
    if (e.status !== null) attributes['http.response.status_code'] = e.status;
    if (failed) {
      attributes['smart_router.attempt.failure_class'] = e.outcome;
      attributes['error.type'] = e.outcome;
    } else {
      attributes['gen_ai.response.model'] = e.providerModel;
    }
    const span = this.tracer.startSpan('smart_router.upstream_attempt', { kind: this.api.SpanKind.CLIENT, startTime: e.startedAt, attributes }, this.parent());
    if (failed) span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: e.outcome });
    span.end(e.startedAt + e.ms);
  }

  private endRequest(e: ProxyRequestEvent): void {
    const span = this.requests.get(e.start);
    if (!span) return;
    this.requests.delete(e.start);
    const s = e.start;
    const attributes: Attributes = { 'http.response.status_code': e.status, 'smart_router.attempts': e.attempts };
    if (s.requestModel !== null) attributes['gen_ai.request.model'] = s.requestModel;
    if (s.responseModel !== null) attributes['gen_ai.response.model'] = s.responseModel;
    if (s.usage) {
      // GenAI semconv: input tokens include cached ones (gen_ai.usage.cache_read.input_tokens is a part of them).
      attributes['gen_ai.usage.input_tokens'] = s.usage.inputTokens + s.usage.cacheReadTokens + s.usage.cacheWriteTokens;
      attributes['gen_ai.usage.output_tokens'] = s.usage.outputTokens;
      attributes['gen_ai.usage.cache_read.input_tokens'] = s.usage.cacheReadTokens;
      attributes['gen_ai.usage.cache_creation.input_tokens'] = s.usage.cacheWriteTokens;
      attributes['smart_router.cost_usd'] = s.usage.costUsd;
    }
    if (s.requestId) attributes['smart_router.request_id'] = s.requestId;
    if (s.decision) {
      attributes['smart_router.decision_id'] = s.decision.decisionId;
      attributes['smart_router.tier'] = s.decision.tier;
      attributes['smart_router.source'] = s.decision.source;
      if (s.decision.intent !== null) attributes['smart_router.intent'] = s.decision.intent;
    }
    // HTTP server spans: 5xx is an error of this service, 4xx the client's (semantic conventions).
    if (e.status >= 500) {
      attributes['error.type'] = String(e.status);
      span.setStatus({ code: this.api.SpanStatusCode.ERROR });
    }
    span.setAttributes(attributes);
    span.end(Date.now());
  }

  /**
   * Runs `fn`, reporting what it throws: a diagnostics_channel subscriber that throws would be
   * rethrown as an uncaught exception, and telemetry must never stop the daemon.
   */
  private guard<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.onError(err);
      return undefined;
    }
  }

  private on<T>(channel: Channel, handler: (event: T) => void): void {
    const listener = (message: unknown) => void this.guard(() => handler(message as T));
    channel.subscribe(listener);
    this.unsubscribe.push(() => channel.unsubscribe(listener));
  }
}
