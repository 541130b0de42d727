import type { UsageRow } from '../../src/ledger/index.js';

/** A ledger row with plausible values (a flagship CODE request, $0.50), `over` replacing any field; a fresh random id each call. */
export function usageRowFixture(over: Partial<UsageRow> = {}): UsageRow {
  return {
    id: `req_${Math.random().toString(36).slice(2)}`,
    ts: 1_000,
    keyHash: null,
    keyName: 'anonymous',
    session: null,
    endpoint: '/v1/chat/completions',
    requestedModel: 'smart-routerd/auto',
    model: 'anthropic/claude-opus-4-5',
    provider: 'anthropic',
    tier: 'flagship',
    intent: 'CODE',
    decisionId: 'd1',
    source: 'dna',
    inputTokens: 10,
    outputTokens: 5,
    cacheReadTokens: 2,
    cacheWriteTokens: 1,
    usageReported: true,
    costUsd: 0.5,
    latencyMs: 12.5,
    ttfbMs: 3.25,
    status: 200,
    attempts: 1,
    ...over,
  };
}
