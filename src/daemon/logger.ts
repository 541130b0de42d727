import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';

const require = createRequire(import.meta.url);

/** Paths pino blanks out: secrets never reach a log line (DESIGN.md §8). */
export const REDACT_PATHS = ['token', '*.token', '*.*.token', 'apiKey', '*.apiKey', '*.*.apiKey', 'auth.token', 'config.gateway.auth.token', 'config.memorySearch.remote.apiKey'];

/**
 * The daemon's logger: JSON lines on stdout, pretty-printed when stdout is a TTY (pino-pretty,
 * synchronous stream, no extra thread). `SMART_ROUTERD_LOG_FORMAT=json|pretty` overrides.
 */
export function createLogger(level: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const format = env.SMART_ROUTERD_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const options = { level, name: 'smart-routerd', redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (format === 'pretty') {
    // Loaded only for a terminal: JSON logging (services, tests) never pays for it.
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }));
  }
  return pino(options);
}
