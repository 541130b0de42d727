import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/daemon/index.js';
import { createRemoteEmbedder } from '../../src/embedding/index.js';
import { FAKE_KEY } from '../helpers/secrets.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe('log redaction (DESIGN.md §8: API keys are never logged)', () => {
  it('blanks API keys and key-carrying headers wherever a config or request is logged', () => {
    const { lines, stream } = capture();
    const log = createLogger('debug', { SMART_ROUTERD_LOG_FORMAT: 'json' }, stream);
    const config = validateConfig({ memorySearch: { provider: 'openai', remote: { apiKey: FAKE_KEY } } }, 'test');
    log.info({ config }, 'whole config');
    log.info({ memorySearch: config.memorySearch }, 'section');
    log.info({ remote: config.memorySearch.remote }, 'remote');
    log.info({ apiKey: FAKE_KEY, nested: { apiKey: FAKE_KEY, deeper: { apiKey: FAKE_KEY } } }, 'bare keys');
    log.info({ headers: { authorization: `Bearer ${FAKE_KEY}`, 'x-goog-api-key': FAKE_KEY } }, 'request headers');
    log.info({ req: { headers: { authorization: `Bearer ${FAKE_KEY}`, 'x-goog-api-key': FAKE_KEY } } }, 'nested request headers');
    log.flush();
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line, line).not.toContain(FAKE_KEY);
    expect(lines.join('')).toContain('[redacted]');
  });

  it("the remote embedder's breaker and retry log lines name provider, model and error, never the key", async () => {
    const { lines, stream } = capture();
    const logger = createLogger('debug', { SMART_ROUTERD_LOG_FORMAT: 'json' }, stream);
    const config = validateConfig(
      {
        memorySearch: {
          provider: 'openai',
          remote: { apiKey: FAKE_KEY, baseUrl: 'http://127.0.0.1:9/v1', breaker: { failureThreshold: 1, cooldownMs: 60_000 } },
        },
        embedding: { timeoutMs: 300, maxRetries: 1, retryDelayMs: 10 },
      },
      'test',
    );
    const embedder = createRemoteEmbedder(config, { logger });
    await expect(embedder.embed('hello')).rejects.toMatchObject({ code: 'SRD_ERR_EMBED_FAILED' });
    await embedder.close();
    logger.flush();
    expect(lines.some((l) => l.includes('circuit open'))).toBe(true);
    expect(lines.some((l) => l.includes('embedding call failed, retrying'))).toBe(true);
    for (const line of lines) expect(line, line).not.toContain(FAKE_KEY);
  });
});

describe('config errors never echo a key', () => {
  it('shows [redacted] instead of a malformed apiKey value', () => {
    expect(() => validateConfig({ memorySearch: { provider: 'openai', remote: { apiKey: 12345678 } } }, 'config.json')).toThrow(
      'memorySearch.remote.apiKey: expected a string (got [redacted])',
    );
  });
});
