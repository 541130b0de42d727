/**
 * Retry timing for remote embedding calls: exponential backoff with jitter, and HTTP Retry-After.
 * Rule: RFC 9110 §10.2.3 (Retry-After is delay-seconds or an HTTP-date); "equal jitter" from the
 * AWS Architecture Blog "Exponential Backoff And Jitter" so that many clients that failed together
 * do not retry together, while each wait stays at least half the nominal one.
 */

/** Longest single backoff wait in ms, whatever the attempt number (30 s). */
export const MAX_BACKOFF_MS = 30_000;

/**
 * Wait in ms before retry number `attempt` (0 = the first retry): nominal = baseMs · 2^attempt
 * capped at MAX_BACKOFF_MS, returned as nominal/2 + random·nominal/2. `random` is in [0, 1).
 */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const nominal = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/**
 * Parses a Retry-After header value into ms from `now` (ms since the epoch): delay-seconds
 * (`"2"`, fractions accepted) or an HTTP-date. Returns undefined when absent or unparsable;
 * never negative.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const text = raw.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
