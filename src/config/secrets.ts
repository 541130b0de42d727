/**
 * Reads a secret from config: `env:NAME` or `${NAME}` from `env`, anything else as it is (provider
 * `apiKey`, `proxy.masterKey`; openclaw.json's env references). Returns null for an absent value
 * or a reference to an unset variable.
 */
export function readSecret(value: string | undefined, env: NodeJS.ProcessEnv): string | null {
  if (value === undefined) return null;
  const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value) ?? /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value);
  if (!m) return value;
  const v = env[m[1]!];
  return v === undefined || v === '' ? null : v;
}
