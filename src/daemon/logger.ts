import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';

const require = createRequire(import.meta.url);

/**
 * Paths pino blanks out: secrets never reach a log line (DESIGN.md §8). Gateway tokens, embedding
 * API keys wherever a config (or part of one) is logged, and request headers that carry a key
 * (`Authorization: Bearer …` for OpenAI-compatible providers, `x-goog-api-key` for Gemini).
 */
export const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  '*.*.*.apiKey',
  'auth.token',
  'config.gateway.auth.token',
  'config.memorySearch.remote.apiKey',
  'memorySearch.remote.apiKey',
  'remote.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-goog-api-key"]',
  '*.headers["x-goog-api-key"]',
  '["x-goog-api-key"]',
];

/**
 * The daemon's logger: JSON lines on stdout, pretty-printed when stdout is a TTY (pino-pretty,
 * synchronous stream, no extra thread). `SMART_ROUTERD_LOG_FORMAT=json|pretty` overrides.
 * `destination` replaces stdout for JSON output (tests read what was logged).
 */
export function createLogger(level: string, env: NodeJS.ProcessEnv = process.env, destination?: DestinationStream): Logger {
  const format = env.SMART_ROUTERD_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const options = { level, name: 'smart-routerd', redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (format === 'pretty') {
    // Loaded only for a terminal: JSON logging (services, tests) never pays for it.
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }));
  }
  return destination ? pino(options, destination) : pino(options);
}
