import { countsFromAnthropic, countsFromOpenai, type SseEvent, type TokenCounts } from './translate/index.js';

/** The wire an upstream answered in: Chat Completions, Responses, or Anthropic Messages. */
export type AnswerWire = 'chat' | 'responses' | 'messages';

/** OpenAI Responses `usage` (`input_tokens` includes `input_tokens_details.cached_tokens`). */
interface ResponsesUsage {
  input_tokens?: number;
  output_tokens?: number;
  input_tokens_details?: { cached_tokens?: number };
  output_tokens_details?: { reasoning_tokens?: number };
}

/**
 * Token counts an upstream reported in a whole (non-streamed) answer, or null when it reported
 * none (issue 14: the ledger prices reported usage, never an estimate when there is one).
 * Chat Completions and Anthropic Messages per translate/usage.ts; Responses `usage` as OpenAI's
 * "Responses API: usage" (input includes the cached tokens).
 */
export function usageOfAnswer(wire: AnswerWire, answer: unknown): TokenCounts | null {
  const usage = (answer as { usage?: unknown } | null)?.usage;
  if (!usage || typeof usage !== 'object') return null;
  if (wire === 'messages') return countsFromAnthropic(usage as never);
  if (wire === 'chat') return countsFromOpenai(usage as never);
  return countsFromResponses(usage as ResponsesUsage);
}

/**
 * Collects the usage a streamed answer reports, event by event: Anthropic `message_start` (input
 * and cache counts) and `message_delta` (cumulative output, and input counts when given); OpenAI
 * Chat Completions chunks carrying `usage` (the `stream_options.include_usage` chunk, or a final
 * chunk some providers annotate); Responses `response.completed`.
 */
export class StreamUsage {
  private readonly wire: AnswerWire;
  private counts: TokenCounts | null = null;

  constructor(wire: AnswerWire) {
    this.wire = wire;
  }

  /** Feeds one event; returns whether it was OpenAI's usage-only chunk (`choices: []` with usage). */
  push(event: SseEvent): boolean {
    if (!event.data.includes('usage') || event.data === '[DONE]') return false;
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(event.data) as Record<string, unknown>;
    } catch {
      return false;
    }
    if (this.wire === 'chat') {
      if (json.usage && typeof json.usage === 'object') {
        this.counts = countsFromOpenai(json.usage as never);
        return Array.isArray(json.choices) && json.choices.length === 0;
      }
      return false;
    }
    if (this.wire === 'responses') {
      const usage = (json.response as { usage?: ResponsesUsage } | undefined)?.usage;
      if (json.type === 'response.completed' && usage) this.counts = countsFromResponses(usage);
      return false;
    }
    if (json.type === 'message_start') {
      const usage = (json.message as { usage?: unknown } | undefined)?.usage;
      if (usage) this.counts = countsFromAnthropic(usage as never);
    } else if (json.type === 'message_delta' && json.usage) {
      const u = json.usage as {
        input_tokens?: number | null;
        output_tokens?: number | null;
        cache_read_input_tokens?: number | null;
        cache_creation_input_tokens?: number | null;
      };
      const prev = this.counts ?? countsFromAnthropic(null);
      const next = countsFromAnthropic(u as never);
      this.counts = {
        input: u.input_tokens != null ? next.input : prev.input,
        cacheRead: u.cache_read_input_tokens != null ? next.cacheRead : prev.cacheRead,
        cacheWrite: u.cache_creation_input_tokens != null ? next.cacheWrite : prev.cacheWrite,
        output: u.output_tokens != null ? next.output : prev.output,
        thinking: prev.thinking,
      };
    }
    return false;
  }

  /** The counts reported so far, or null when none were. */
  result(): TokenCounts | null {
    return this.counts;
  }
}

function countsFromResponses(u: ResponsesUsage): TokenCounts {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
  const cached = n(u.input_tokens_details?.cached_tokens);
  const reasoning = u.output_tokens_details?.reasoning_tokens;
  return {
    input: Math.max(0, n(u.input_tokens) - cached),
    cacheRead: cached,
    cacheWrite: 0,
    output: n(u.output_tokens),
    thinking: typeof reasoning === 'number' ? n(reasoning) : null,
  };
}
