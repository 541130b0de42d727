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

/** A gateway method was answered. */
export interface GatewayRequestEvent {
  method: string;
  /** `ok`, or the wire error code (`INVALID_REQUEST`, `FORBIDDEN`, `UNAVAILABLE`). */
  outcome: string;
}

/** One upstream attempt of the model gateway ended. */
export interface UpstreamAttemptEvent {
  /** The model ref tried (`provider/model`: a bounded set, from config). */
  model: string;
  /** `ok`, or the failure class (upstream/failures.ts). */
  outcome: string;
  /** Request sent → first byte, ms (null when the attempt failed before it). */
  ttfbMs: number | null;
}

/** A model-API request ended. */
export interface ProxyRequestEvent {
  endpoint: string;
  /** HTTP status sent to the client. */
  status: number;
  /** Candidates tried (2+ means a fallback happened). */
  attempts: number;
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
  gatewayRequest: diagnostics.channel('smart-routerd:gateway:request'),
  upstreamAttempt: diagnostics.channel('smart-routerd:upstream:attempt'),
  proxyRequest: diagnostics.channel('smart-routerd:proxy:request'),
} as const;

/** Publishes `event` on `channel` when anyone listens (a no-op otherwise: hasSubscribers is checked first). */
export function publish<T>(channel: diagnostics.Channel, event: T): void {
  if (channel.hasSubscribers) channel.publish(event);
}
