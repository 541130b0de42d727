import diagnostics from 'node:diagnostics_channel';

/**
 * Events the rooms publish on `node:diagnostics_channel` (STYLE §7, as undici publishes
 * `undici:client:connected`): the publisher imports nothing of who listens, and telemetry/
 * subscribes. At the root of src/ so every room may publish. Payloads carry no message text,
 * keys or session values.
 */

/** A route decision was made (WebSocket `route` or a routed model-API request). */
export interface DecisionEvent {
  decisionId: string;
  /** Epoch ms. */
  ts: number;
  tier: 'flagship' | 'lightweight';
  /** The model the decision selected. */
  model: string;
  intent: string | null;
  source: string;
  confidence: number;
  /** Time inside the router, ms. */
  latencyMs: number;
  /** Where the route came from: a WebSocket `route` (incl. the OpenClaw plugin) or the model API. */
  via: 'gateway' | 'proxy';
}

/**
 * The routed text of a decision, published right before its DecisionEvent and only when config
 * `telemetry.captureContent` is true (tracing puts it on the route span). Apart from DecisionEvent,
 * which the decision stream (`router.decision`) relays to clients as it is.
 */
export interface RouteContentEvent {
  decisionId: string;
  text: string;
}

/** A gateway method was answered. */
export interface GatewayRequestEvent {
  method: string;
  /** `ok`, or the wire error code (`INVALID_REQUEST`, `FORBIDDEN`, `UNAVAILABLE`). */
  outcome: string;
}

/** One upstream attempt of the model gateway ended (published inside the request's `proxyStart` stores). */
export interface UpstreamAttemptEvent {
  /** The model ref tried (`provider/model`: a bounded set, from config). */
  model: string;
  /** `ok`, or the failure class (upstream/failures.ts). */
  outcome: string;
  /** Request sent → first byte, ms (null when the attempt failed before it). */
  ttfbMs: number | null;
  /** The provider id (`anthropic`, `openrouter`, …) and the model id it knows. */
  provider: string;
  providerModel: string;
  /** HTTP status of the upstream (null: none, e.g. a reset or a timeout before headers). */
  status: number | null;
  /** Epoch ms the attempt began, and its duration in ms (to the answer's end when answered). */
  startedAt: number;
  ms: number;
}

/**
 * A model-API request began. Published through `channels.proxyStart.runStores(event, …)` around
 * the request's handling, so a listener may bind an AsyncLocalStorage to it (tracing: the decision
 * and attempt events of that request then find their parent span). The proxy fills in the
 * `requestModel`…`decision` fields as it goes; the same object ends up in ProxyRequestEvent.start.
 */
export interface ProxyStartEvent {
  endpoint: string;
  method: string;
  /** Epoch ms. */
  ts: number;
  /** The `model` the client asked for (a ref, an alias or `smart-routerd/auto`), once read. */
  requestModel: string | null;
  /** The model ref that answered (null: none did). */
  responseModel: string | null;
  /** The route decision of an auto model (null: the model was asked for explicitly). */
  decision: { decisionId: string; tier: string; intent: string | null; source: string } | null;
  /** The ledger's request id (`x-request-id`), once the request is forwarded. */
  requestId?: string;
  /** Tokens the upstream reported and their cost (USD), once answered and priced (null: none reported or no ledger). */
  usage?: RequestUsage | null;
}

/** Tokens and cost of one answered request (ledger/), as metrics, spans and `router.usage` carry them. */
export interface RequestUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  /** Upstream time to first byte, ms (null: no answer). */
  ttfbMs: number | null;
}

/** A model-API request ended. */
export interface ProxyRequestEvent {
  endpoint: string;
  /** HTTP status sent to the client. */
  status: number;
  /** Candidates tried (2+ means a fallback happened). */
  attempts: number;
  /** The request's start event (the same object). */
  start: ProxyStartEvent;
}

/**
 * A finished model-API request as the `router.usage` stream carries it (WebSocket subscribers, the
 * dashboard's Live view): never text or keys. Null for a request refused before it named a model.
 */
export function usageFrame(e: ProxyRequestEvent): Record<string, unknown> | null {
  const s = e.start;
  if (s.requestModel === null) return null;
  return {
    ts: Date.now(),
    requestId: s.requestId ?? null,
    decisionId: s.decision?.decisionId ?? null,
    requestModel: s.requestModel,
    model: s.responseModel,
    tier: s.decision?.tier ?? null,
    intent: s.decision?.intent ?? null,
    status: e.status,
    attempts: e.attempts,
    usage: s.usage ?? null,
  };
}

/** A correction became durable in user memory. */
export interface LearnedEvent {
  tier: 'flagship' | 'lightweight';
  origin: string;
}

/** One journal batch was written and fdatasync'd. */
export interface JournalSyncEvent {
  /** Write + fdatasync time, ms. */
  ms: number;
  /** Records in the batch (group commit). */
  records: number;
}

/** User memory was compacted. */
export interface CompactionEvent {
  before: number;
  after: number;
  dropped: number;
  merged: number;
  evicted: number;
}

/** A kernel scan ran: inline on the calling thread or in a pool worker. */
export interface KernelScanEvent {
  mode: 'inline' | 'pool';
}

/** A remote embedding call ended. */
export interface EmbeddingCallEvent {
  provider: string;
  /** `ok`, or the error code (SRD_ERR_EMBED_*). */
  outcome: string;
}

/** The channels, by event. */
export const channels = {
  learned: diagnostics.channel('smart-routerd:memory:learned'),
  journalSync: diagnostics.channel('smart-routerd:memory:journal-sync'),
  compaction: diagnostics.channel('smart-routerd:memory:compaction'),
  kernelScan: diagnostics.channel('smart-routerd:kernel:scan'),
  embeddingCall: diagnostics.channel('smart-routerd:embedding:call'),
  decision: diagnostics.channel('smart-routerd:route:decision'),
  routeContent: diagnostics.channel('smart-routerd:route:content'),
  gatewayRequest: diagnostics.channel('smart-routerd:gateway:request'),
  upstreamAttempt: diagnostics.channel('smart-routerd:upstream:attempt'),
  proxyStart: diagnostics.channel('smart-routerd:proxy:start'),
  proxyRequest: diagnostics.channel('smart-routerd:proxy:request'),
} as const;

/** Publishes `event` on `channel` when anyone listens (a no-op otherwise: hasSubscribers is checked first). */
export function publish<T>(channel: diagnostics.Channel, event: T): void {
  if (channel.hasSubscribers) channel.publish(event);
}
