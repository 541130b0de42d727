/**
 * The rule by which `openclaw gateway status --deep` and `openclaw doctor` report "extra
 * gateway-like services" (OpenClaw protocol reference §5 "Service inspection", §8; upstream
 * src/daemon/inspect.ts). smart-routerd's unit and plist must never match it, or OpenClaw would
 * print cleanup hints telling the user to remove smart-routerd.
 */

/** Substrings OpenClaw looks for in a gateway-like command (its EXTRA_MARKERS; clawdbot is the legacy name). */
export const OPENCLAW_COMMAND_MARKERS = ['openclaw', 'clawdbot'] as const;

/** Environment keys by which OpenClaw recognises its own service files. */
export const OPENCLAW_SERVICE_ENV_KEYS = ['OPENCLAW_SERVICE_MARKER', 'OPENCLAW_SERVICE_KIND'] as const;

/** A service as OpenClaw inspects it: the argv it runs and the environment it sets. */
export interface InspectedService {
  programArguments: readonly string[];
  environment: Readonly<Record<string, string>>;
}

/**
 * Returns why OpenClaw would take this service for a gateway, or null when it would not:
 * - the environment carries OPENCLAW_SERVICE_MARKER or OPENCLAW_SERVICE_KIND (any value: stricter
 *   than OpenClaw, which also compares the values with `openclaw`/`gateway`), or
 * - an argument is `gateway` (case-insensitive), or holds `gateway` as a whitespace-separated word
 *   (OpenClaw's hasGatewaySubcommandArg), while the command line contains `openclaw` or `clawdbot`.
 * A package under `~/.openclaw/...` alone is fine: a path is one argument and is never `gateway`.
 */
export function gatewayLookalikeReason(service: InspectedService): string | null {
  for (const key of OPENCLAW_SERVICE_ENV_KEYS) {
    const found = Object.keys(service.environment).find((k) => k.toUpperCase() === key);
    if (found) return `environment sets ${found}, which marks OpenClaw's own gateway service`;
  }
  const gatewayArg = service.programArguments.find((arg) => /(^|\s)gateway(\s|$)/i.test(arg));
  if (gatewayArg === undefined) return null;
  const command = service.programArguments.join('\n').toLowerCase();
  const marker = OPENCLAW_COMMAND_MARKERS.find((m) => command.includes(m));
  return marker ? `argument ${JSON.stringify(gatewayArg)} together with "${marker}" in the command line` : null;
}
