import type { DecisionEvent, RequestUsage, UpstreamAttemptEvent } from '../events.js';

/**
 * What the daemon's thread sends the trace worker (trace-worker.ts), in batches: plain data, in the
 * order the events happened. Requests are numbered on the daemon's thread; a record's `parent` is
 * the number of the model-API request it happened in (null: none, e.g. a WebSocket `route`).
 */
export type TraceRecord =
  | { k: 'req'; id: number; method: string; endpoint: string; ts: number }
  | { k: 'route'; parent: number | null; e: DecisionEvent; text: string | null }
  | { k: 'attempt'; parent: number | null; e: UpstreamAttemptEvent }
  | {
      k: 'end';
      id: number;
      ts: number;
      status: number;
      attempts: number;
      requestModel: string | null;
      responseModel: string | null;
      decision: { decisionId: string; tier: string; intent: string | null; source: string } | null;
      usage: RequestUsage | null;
      requestId: string | null;
    };

/** Messages to the worker: a batch of records, or `close` (flush and shut the exporter down). */
export type ToWorker = { records: TraceRecord[] } | { close: true };
/** Messages from the worker: an error building a span (it is dropped), or `closed`. */
export type FromWorker = { error: string } | { closed: true };

/** The worker's settings (workerData). */
export interface TraceWorkerData {
  url: string;
  version: string;
  scheduleDelayMs: number;
}
