import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { remoteBaseUrl, sendsDimensions } from '../../src/embedding/index.js';
import { LOCAL_MODEL } from '../../src/embedding/local.js';

const v = (raw: unknown) => validateConfig(raw, 'config.json');

describe('memorySearch for remote providers (issue 6)', () => {
  it("fills each provider's default model, endpoint, fallback and remote tuning", () => {
    const c = v({ memorySearch: { provider: 'openai', remote: { apiKey: 'k-123' } } });
    expect(c.memorySearch).toMatchObject({
      provider: 'openai',
      model: 'text-embedding-3-small',
      fallback: 'local',
      remote: { batchSize: 32, batchTimeoutMs: 30_000, sendDimensions: 'auto', breaker: { failureThreshold: 3, cooldownMs: 30_000 } },
    });
    expect(remoteBaseUrl(c)).toBe('https://api.openai.com/v1');
    expect(v({ memorySearch: { provider: 'siliconflow', remote: { apiKey: 'k' } } }).memorySearch.model).toBe('Qwen/Qwen3-Embedding-0.6B');
    expect(remoteBaseUrl(v({ memorySearch: { provider: 'siliconflow', remote: { apiKey: 'k' } } }))).toBe('https://api.siliconflow.cn/v1');
    expect(remoteBaseUrl(v({ memorySearch: { provider: 'gemini', remote: { apiKey: 'k' } } }))).toBe('https://generativelanguage.googleapis.com/v1beta');
    expect(v({}).memorySearch).toMatchObject({ provider: 'local', model: LOCAL_MODEL });
  });

  it('requires a key for openai, gemini and siliconflow, and a model and baseUrl for custom', () => {
    expect(() => v({ memorySearch: { provider: 'gemini' } })).toThrow(
      'memorySearch.remote.apiKey: required for provider "gemini" (run `smart-routerd enable`)',
    );
    let message = '';
    try {
      v({ memorySearch: { provider: 'custom' } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('memorySearch.model: required for provider "custom" (the model name your server serves)');
    expect(message).toContain('memorySearch.remote.baseUrl: required for provider "custom" (e.g. http://127.0.0.1:11434/v1 for Ollama)');
    expect(
      v({ memorySearch: { provider: 'custom', model: 'nomic-embed-text', remote: { baseUrl: 'http://127.0.0.1:11434/v1' } } }).memorySearch.remote.apiKey,
    ).toBeUndefined();
  });

  it('rejects a non-http baseUrl and points old key names at the new ones', () => {
    expect(() => v({ memorySearch: { provider: 'custom', model: 'm', remote: { baseUrl: 'ftp://x/v1' } } })).toThrow(/memorySearch\.remote\.baseUrl: /);
    expect(() => v({ memorySearch: { apiKey: 'x' } })).toThrow('memorySearch.apiKey: unsupported key, use memorySearch.remote.apiKey');
  });

  it('sends dimensions in auto mode only for models known to take them', () => {
    const dims = (provider: string, model: string, sendDimensions = 'auto') =>
      sendsDimensions(v({ memorySearch: { provider, model, remote: { apiKey: 'k', baseUrl: 'http://127.0.0.1:1/v1', sendDimensions } } }));
    expect(dims('openai', 'text-embedding-3-large')).toBe(true);
    expect(dims('openai', 'text-embedding-ada-002')).toBe(false);
    expect(dims('siliconflow', 'Qwen/Qwen3-Embedding-8B')).toBe(true);
    expect(dims('siliconflow', 'BAAI/bge-m3')).toBe(false);
    expect(dims('gemini', 'gemini-embedding-001')).toBe(true);
    expect(dims('custom', 'nomic-embed-text')).toBe(false);
    expect(dims('custom', 'nomic-embed-text', 'always')).toBe(true);
    expect(dims('openai', 'text-embedding-3-small', 'never')).toBe(false);
  });
});
