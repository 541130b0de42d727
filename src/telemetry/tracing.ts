import { AsyncLocalStorage } from 'node:async_hooks';
import type { Channel } from 'node:diagnostics_channel';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import { channels, type DecisionEvent, type ProxyRequestEvent, type ProxyStartEvent, type RouteContentEvent, type UpstreamAttemptEvent } from '../events.js';
import type { FromWorker, ToWorker, TraceRecord, TraceWorkerData } from './trace-records.js';

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
  /** Called with an error of the trace worker (the span is dropped; the daemon goes on). */
  onError?: (err: unknown) => void;
}

/** Largest number of captured texts waiting for their decision (they arrive right before it). */
const MAX_PENDING_CONTENT = 64;
/** How long records wait to be sent to the worker in a batch, ms. */
const BATCH_MS = 100;
/** Records queued before a batch is sent at once. */
const MAX_BATCH = 1024;
/** How long close() waits for the worker to export what it holds, ms. */
const CLOSE_MS = 3000;

/**
 * OpenTelemetry traces of one daemon (issue 17), built from the events of src/events.ts: the rooms
 * publish, this subscribes, and no room imports OpenTelemetry. This thread only numbers requests and
 * queues plain records (trace-records.ts), sent in batches every BATCH_MS to a worker thread
 * (trace-worker.ts) that loads the SDK, builds the spans and exports them: span building and OTLP
 * serialisation never run on the thread that answers routes (bench section 8). The worker, and with
 * it the SDK, exists only when an OTLP endpoint is configured. Spans:
 *
 * - `smart_router.route` (internal): one per route decision; a root span for a WebSocket `route`,
 *   the child of the request's span for a routed model-API request.
 * - `POST /v1/chat/completions` etc. (server): one per model-API request, from its `proxyStart`
 *   (bound to an AsyncLocalStorage through diagnostics_channel `bindStore`, so the decision and
 *   attempt events of the request find its number) to its end.
 * - `smart_router.upstream_attempt` (client): one per candidate tried, children of the request's span.
 *
 * Attributes follow the OpenTelemetry GenAI and HTTP semantic conventions where they apply, plus
 * `smart_router.*`; never message text unless `captureContent`.
 */
export class Tracing {
  /** Where spans are POSTed. */
  readonly url: string;
  private readonly worker: Worker;
  /** The number of the model-API request being handled (async context). */
  private readonly current = new AsyncLocalStorage<number | undefined>();
  private readonly requests = new WeakMap<ProxyStartEvent, number>();
  private seq = 0;
  private readonly content = new Map<string, string>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly onError: (err: unknown) => void;
  /** Records waiting for the next batch. */
  private queue: TraceRecord[] = [];
  private closed = false;

  constructor(opts: TracingOptions) {
    this.onError = opts.onError ?? (() => undefined);
    this.url = `${opts.endpoint}/v1/traces`;
    const workerData: TraceWorkerData = { url: this.url, version: opts.version, scheduleDelayMs: opts.scheduleDelayMs ?? 500 };
    // '../telemetry/': right from dist/telemetry/ and from the bundled dist/cli/main.js.
    this.worker = new Worker(new URL('../telemetry/trace-worker.js', import.meta.url), { workerData });
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => {
      if ('error' in m) this.onError(new Error(m.error));
    });
    this.worker.on('error', (err) => this.onError(err));

    const start = channels.proxyStart as Channel<number | undefined, ProxyStartEvent>;
    start.bindStore(this.current, (e) => {
      const id = ++this.seq;
      this.requests.set(e, id);
      this.push({ k: 'req', id, method: e.method, endpoint: e.endpoint, ts: e.ts });
      return id;
    });
    this.unsubscribe.push(() => start.unbindStore(this.current));
    this.on<DecisionEvent>(channels.decision, (e) => {
      const text = this.content.get(e.decisionId) ?? null;
      if (text !== null) this.content.delete(e.decisionId);
      this.push({ k: 'route', parent: this.current.getStore() ?? null, e, text });
    });
    this.on<UpstreamAttemptEvent>(channels.upstreamAttempt, (e) => this.push({ k: 'attempt', parent: this.current.getStore() ?? null, e }));
    this.on<ProxyRequestEvent>(channels.proxyRequest, (e) => {
      const id = this.requests.get(e.start);
      if (id === undefined) return;
      const s = e.start;
      this.push({
        k: 'end',
        id,
        ts: Date.now(),
        status: e.status,
        attempts: e.attempts,
        requestModel: s.requestModel,
        responseModel: s.responseModel,
        decision: s.decision,
        usage: s.usage ?? null,
        requestId: s.requestId ?? null,
      });
    });
    if (opts.captureContent) {
      this.on<RouteContentEvent>(channels.routeContent, (e) => {
        if (this.content.size >= MAX_PENDING_CONTENT) this.content.clear();
        this.content.set(e.decisionId, e.text);
      });
    }
  }

  /** Stops listening, sends what is queued, and waits (≤ 3 s) for the worker to export it and shut down. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe.splice(0)) off();
    this.worker.ref(); // keep the process alive until the worker has exported
    this.send();
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_MS);
      this.worker.on('message', (m: FromWorker) => {
        if ('closed' in m) {
          clearTimeout(timer);
          resolve();
        }
      });
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.post({ close: true });
    await closed;
    await this.worker.terminate();
  }

  /** Queues a record; the batch goes to the worker every BATCH_MS, or at MAX_BATCH records. */
  private push(r: TraceRecord): void {
    if (this.closed) return;
    this.queue.push(r);
    if (this.queue.length >= MAX_BATCH) this.send();
    else if (this.queue.length === 1) setTimeout(() => this.send(), BATCH_MS).unref();
  }

  private send(): void {
    if (this.queue.length === 0) return;
    const records = this.queue;
    this.queue = [];
    this.post({ records });
  }

  private post(m: ToWorker): void {
    try {
      this.worker.postMessage(m);
    } catch (err) {
      this.onError(err);
    }
  }

  /**
   * Subscribes `handler`, reporting what it throws: a diagnostics_channel subscriber that throws
   * would be rethrown as an uncaught exception, and telemetry must never stop the daemon.
   */
  private on<T>(channel: Channel, handler: (event: T) => void): void {
    const listener = (message: unknown) => {
      try {
        handler(message as T);
      } catch (err) {
        this.onError(err);
      }
    };
    channel.subscribe(listener);
    this.unsubscribe.push(() => channel.unsubscribe(listener));
  }
}
