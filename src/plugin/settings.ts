import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Tier } from './prefix.js';

/** Default decision budget per turn, ms (issue 8: "bounded wait, default 50 ms"). */
export const DEFAULT_TIMEOUT_MS = 50;
/** The daemon's default port (DESIGN.md §7). */
export const DEFAULT_PORT = 18789;
/** Default prefixes, equal to the daemon's `prefix` defaults (config/schema.ts PrefixSchema). */
export const DEFAULT_PREFIXES: Readonly<Record<Tier, readonly string[]>> = {
  flagship: ['旗舰:', 'Force:', 'F:'],
  lightweight: ['轻量:', 'Fast:', 'L:'],
};

/** The plugin's settings, every default applied. */
export interface PluginSettings {
  url: string;
  /** Returns the token now (re-read on every connect, so a token file written later is picked up). */
  token: () => string | undefined;
  /** Where the token comes from, for messages (never the token itself). */
  tokenSource: string;
  /** Identifies the token for connection sharing: the explicit token, or the token file's path. */
  tokenKey: string;
  timeoutMs: number;
  flagshipModels: string[];
  lightweightModels: string[];
  prefix: Record<Tier, string[]>;
  stripPrefix: boolean;
  logDecisions: boolean;
}

/**
 * Reads `plugins.entries.smart-routerd.config` (already checked by OpenClaw against the manifest's
 * schema; checked again here because nothing stops a host from skipping that) and fills the
 * daemon's address and token the way `smart-routerd route` finds them (cli/target.ts): explicit
 * setting, then SMART_ROUTERD_URL / SMART_ROUTERD_TOKEN, then the daemon's config.json
 * (gateway.bind, gateway.port, gateway.auth.token), then `<stateDir>/gateway.token`.
 */
export function resolveSettings(raw: unknown, env: NodeJS.ProcessEnv = process.env): PluginSettings {
  const c = isRecord(raw) ? raw : {};
  const stateDir = expandHome(str(c.stateDir) ?? (env.SMART_ROUTERD_STATE_DIR || path.join(os.homedir(), '.openclaw', 'smart-router')));
  const daemon = readDaemonConfig(expandHome(env.SMART_ROUTERD_CONFIG || path.join(stateDir, 'config.json')));
  const url = str(c.url) ?? (env.SMART_ROUTERD_URL || daemonUrl(daemon));
  const explicitToken = str(c.token) ?? (env.SMART_ROUTERD_TOKEN || daemon.token);
  const tokenFile = expandHome(str(c.tokenFile) ?? path.join(stateDir, 'gateway.token'));
  const prefix = isRecord(c.prefix) ? c.prefix : {};
  const timeoutMs = typeof c.timeoutMs === 'number' && Number.isFinite(c.timeoutMs) && c.timeoutMs > 0 ? c.timeoutMs : DEFAULT_TIMEOUT_MS;
  return {
    url,
    token: explicitToken ? () => explicitToken : () => readToken(tokenFile),
    tokenSource: str(c.token) ? 'plugin config' : env.SMART_ROUTERD_TOKEN ? 'SMART_ROUTERD_TOKEN' : daemon.token ? 'daemon config' : tokenFile,
    tokenKey: explicitToken ?? tokenFile,
    timeoutMs,
    flagshipModels: strings(c.flagshipModels) ?? [],
    lightweightModels: strings(c.lightweightModels) ?? [],
    prefix: {
      // An explicit empty list turns that tier's prefixes off.
      flagship: Array.isArray(prefix.flagship) ? (strings(prefix.flagship) ?? []) : [...DEFAULT_PREFIXES.flagship],
      lightweight: Array.isArray(prefix.lightweight) ? (strings(prefix.lightweight) ?? []) : [...DEFAULT_PREFIXES.lightweight],
    },
    stripPrefix: c.stripPrefix !== false,
    logDecisions: c.logDecisions === true,
  };
}

/** What the plugin uses from the daemon's own config file, if there is one. */
interface DaemonFileConfig {
  bind?: string;
  port?: number;
  token?: string;
}

function readDaemonConfig(file: string): DaemonFileConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  const gateway = isRecord(json) && isRecord(json.gateway) ? json.gateway : {};
  const auth = isRecord(gateway.auth) ? gateway.auth : {};
  return {
    ...(str(gateway.bind) ? { bind: str(gateway.bind)! } : {}),
    ...(typeof gateway.port === 'number' && gateway.port > 0 ? { port: gateway.port } : {}),
    ...(str(auth.token) ? { token: str(auth.token)! } : {}),
  };
}

function daemonUrl(d: DaemonFileConfig): string {
  // A wildcard bind is reached over loopback, as cli/target.ts does.
  const bind = !d.bind || d.bind === '0.0.0.0' || d.bind === '::' ? '127.0.0.1' : d.bind;
  return `ws://${bind.includes(':') ? `[${bind}]` : bind}:${d.port ?? DEFAULT_PORT}`;
}

function readToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function strings(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = v.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim());
  return out.length > 0 ? out : undefined;
}
