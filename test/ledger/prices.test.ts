import { describe, expect, it } from 'vitest';
import { costOf, Prices, priceTable } from '../../src/ledger/index.js';

describe('the shipped price table (data/prices.json)', () => {
  it('records its source, commit and date, in USD per million tokens', () => {
    const t = priceTable();
    expect(t.source.repository).toBe('https://github.com/BerriAI/litellm');
    expect(t.source.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(t.source.date).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(t.unit).toBe('USD per million tokens');
    expect(Object.keys(t.models).length).toBeGreaterThan(20);
  });
});

describe('Prices', () => {
  const prices = new Prices({ 'moonshot/kimi-k2.5': { input: 1, output: 2 } });

  it('takes models.<ref>.cost over the table, a missing cache price being the input price', () => {
    expect(prices.of('moonshot/kimi-k2.5')).toEqual({ input: 1, output: 2, cacheRead: 1, cacheWrite: 1, from: 'config' });
  });

  it('finds a table price by ref, by model id under another provider, and without a date suffix', () => {
    expect(prices.of('anthropic/claude-opus-4-5')).toMatchObject({ input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25, from: 'table' });
    expect(prices.of('my-proxy/claude-opus-4-5')).toMatchObject({ input: 5, from: 'table' });
    expect(prices.of('anthropic/claude-opus-4-5-20251101')).toMatchObject({ input: 5, from: 'table' });
    expect(prices.of('opus', 'claude-opus-4-5')).toMatchObject({ input: 5 });
    expect(prices.of('local/llama-3-8b')).toBeNull();
  });

  it('prices each token kind at its own rate', () => {
    const p = prices.of('anthropic/claude-opus-4-5')!;
    // (1000·5 + 500·25 + 2000·0.5 + 400·6.25) / 1e6
    expect(costOf({ input: 1000, output: 500, cacheRead: 2000, cacheWrite: 400 }, p)).toBeCloseTo(0.021, 12);
  });
});
