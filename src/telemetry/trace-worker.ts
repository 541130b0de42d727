import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { FromWorker, ToWorker, TraceRecord, TraceWorkerData } from './trace-records.js';

/**
 * The trace worker (issue 17): owns the OpenTelemetry SDK, builds the spans of the records the
 * daemon's thread sends (trace-records.ts) and exports them over OTLP/HTTP JSON. Span building and
 * export serialisation run here, never on the thread that answers routes. Spans carry the times the
 * records say, so building them late changes nothing they show.
 */
const require = createRequire(import.meta.url);
const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
const sdk = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');

const data = workerData as TraceWorkerData;
const provider = new sdk.BasicTracerProvider({
  resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'smart-routerd', [ATTR_SERVICE_VERSION]: data.version }),
  spanProcessors: [new sdk.BatchSpanProcessor(new OTLPTraceExporter({ url: data.url }), { scheduledDelayMillis: data.scheduleDelayMs })],
});
const tracer: Tracer = provider.getTracer('smart-routerd', data.version);
/** Open request spans by request number. */
const requests = new Map<number, Span>();

const post = (m: FromWorker) => parentPort!.postMessage(m);

parentPort!.on('message', (m: ToWorker) => {
  if ('close' in m) {
    void provider
      .forceFlush()
      .catch(() => undefined)
      .then(() => provider.shutdown().catch(() => undefined))
      .then(() => post({ closed: true }));
    return;
  }
  for (const r of m.records) {
    try {
      build(r);
    } catch (err) {
      post({ error: (err as Error).message });
    }
  }
});

/** The context of a request's span (root when there is none). */
function parentOf(id: number | null) {
  const span = id === null ? undefined : requests.get(id);
  return span ? api.trace.setSpan(api.ROOT_CONTEXT, span) : api.ROOT_CONTEXT;
}

function build(r: TraceRecord): void {
  switch (r.k) {
    case 'req':
      requests.set(
        r.id,
        tracer.startSpan(
          `${r.method} ${r.endpoint}`,
          {
            kind: api.SpanKind.SERVER,
            startTime: r.ts,
            attributes: { 'http.request.method': r.method, 'http.route': r.endpoint, 'gen_ai.operation.name': 'chat' },
          },
          api.ROOT_CONTEXT,
        ),
      );
      return;
    case 'route': {
      const e = r.e;
      const attributes: Attributes = {
        'smart_router.decision_id': e.decisionId,
        'smart_router.tier': e.tier,
        'smart_router.source': e.source,
        'smart_router.confidence': e.confidence,
        'smart_router.model': e.model,
        'smart_router.via': e.via,
      };
      if (e.intent !== null) attributes['smart_router.intent'] = e.intent;
      if (r.text !== null) attributes['gen_ai.input.messages'] = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: r.text }] }]);
      tracer.startSpan('smart_router.route', { kind: api.SpanKind.INTERNAL, startTime: e.ts - e.latencyMs, attributes }, parentOf(r.parent)).end(e.ts);
      return;
    }
    case 'attempt': {
      const e = r.e;
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
      const span = tracer.startSpan('smart_router.upstream_attempt', { kind: api.SpanKind.CLIENT, startTime: e.startedAt, attributes }, parentOf(r.parent));
      if (failed) span.setStatus({ code: api.SpanStatusCode.ERROR, message: e.outcome });
      span.end(e.startedAt + e.ms);
      return;
    }
    case 'end': {
      const span = requests.get(r.id);
      if (!span) return;
      requests.delete(r.id);
      const attributes: Attributes = { 'http.response.status_code': r.status, 'smart_router.attempts': r.attempts };
      if (r.requestModel !== null) attributes['gen_ai.request.model'] = r.requestModel;
      if (r.responseModel !== null) attributes['gen_ai.response.model'] = r.responseModel;
      if (r.usage) {
        // GenAI semconv: input tokens include the cached ones (cache_read.input_tokens is a part of them).
        attributes['gen_ai.usage.input_tokens'] = r.usage.inputTokens + r.usage.cacheReadTokens + r.usage.cacheWriteTokens;
        attributes['gen_ai.usage.output_tokens'] = r.usage.outputTokens;
        attributes['gen_ai.usage.cache_read.input_tokens'] = r.usage.cacheReadTokens;
        attributes['gen_ai.usage.cache_creation.input_tokens'] = r.usage.cacheWriteTokens;
        attributes['smart_router.cost_usd'] = r.usage.costUsd;
      }
      if (r.requestId) attributes['smart_router.request_id'] = r.requestId;
      if (r.decision) {
        attributes['smart_router.decision_id'] = r.decision.decisionId;
        attributes['smart_router.tier'] = r.decision.tier;
        attributes['smart_router.source'] = r.decision.source;
        if (r.decision.intent !== null) attributes['smart_router.intent'] = r.decision.intent;
      }
      // HTTP server spans: 5xx is an error of this service, 4xx the client's (semantic conventions).
      if (r.status >= 500) {
        attributes['error.type'] = String(r.status);
        span.setStatus({ code: api.SpanStatusCode.ERROR });
      }
      span.setAttributes(attributes);
      span.end(r.ts);
      return;
    }
  }
}
