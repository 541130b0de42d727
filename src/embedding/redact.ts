/**
 * Scrubbing secrets out of text that came from elsewhere (a provider's error body, an exception
 * message) before it reaches an error, a log line or `status`. Rule: DESIGN.md §8, API keys are
 * never logged; providers do echo keys back (OpenAI's 401 body quotes a masked key, proxies may
 * quote it whole).
 */

/** Patterns of API keys that may appear even when the configured key is not the one quoted. */
const KEY_PATTERNS: RegExp[] = [
  // OpenAI (sk-…, sk-proj-…) and SiliconFlow (sk-…) keys, also when partly masked with '*'.
  /\bsk-[A-Za-z0-9_*-]{8,}/g,
  // Google API keys (Gemini): "AIza" + 35 characters.
  /\bAIza[0-9A-Za-z_-]{20,}/g,
  // Bearer tokens in echoed headers.
  /\bBearer\s+[A-Za-z0-9._~+/=*-]{8,}/gi,
];

/**
 * Replaces every occurrence of each secret (strings of ≥ 4 characters) and anything shaped like
 * an API key with `[redacted]`, and cuts the result to `maxLength` characters (default 300).
 */
export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined>, maxLength = 300): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  for (const re of KEY_PATTERNS) out = out.replace(re, '[redacted]');
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > maxLength ? `${out.slice(0, maxLength - 1)}…` : out;
}

/** A URL for display: no user:password, no query string (Gemini keys used to travel as `?key=`). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}
