import { isLoopback, type LoadedConfig } from '../config/index.js';
import type { Phase } from '../gateway/index.js';
import type { DnaModel } from '../intent-model/index.js';
import type { KernelPool } from '../kernel/index.js';
import type { RoutingSpace } from '../routing/index.js';
import { VERSION } from './version.js';

/**
 * OpenClaw health summary shape (protocol reference §4: `ok`, `ts`, `channels`, `agents`,
 * `sessions`…, all empty for a daemon without channels) plus smart-routerd's `router` section.
 * Never throws.
 */
export function healthSummary(state: {
  phase: Phase;
  dna: DnaModel | null;
  workers: number;
  providers: Array<{ key: string; state: string }>;
}): Record<string, unknown> {
  return {
    ok: true,
    ts: Date.now(),
    durationMs: 0,
    channels: {},
    channelOrder: [],
    channelLabels: {},
    heartbeatSeconds: 0,
    defaultAgentId: 'main',
    agents: [],
    sessions: { path: '', count: 0, recent: [] },
    router: {
      phase: state.phase,
      dna: state.dna ? { path: state.dna.path, rows: state.dna.rows } : null,
      workers: state.workers,
      // What `openclaw doctor` shows of the model gateway: which providers are cooling down.
      providers: { cooling: state.providers.filter((p) => p.state === 'cooling').map((p) => p.key) },
    },
  };
}

/** What `statusView` reads from the daemon. */
export interface StatusState {
  loaded: LoadedConfig;
  phase: Phase;
  url: string;
  uptimeMs: number;
  space: RoutingSpace | null;
  pool: KernelPool | null;
  connections: number;
  stats: Record<string, unknown>;
  /** Each cooling or recently failed auth profile and (profile, model) of the model gateway (issue 13). */
  providers: unknown[];
}

/** The `status` method's payload: smart-routerd's own state under `router` (no runtimeVersion, so doctor prints no version-skew note). */
export function statusView(s: StatusState): Record<string, unknown> {
  const { config, paths } = s.loaded;
  const space = s.space;
  return {
    router: {
      version: VERSION,
      phase: s.phase,
      url: s.url,
      uptimeMs: s.uptimeMs,
      enabled: config.enabled,
      configPath: paths.configExists ? paths.configPath : null,
      stateDir: paths.stateDir,
      ...(space?.status() ?? { embedding: null, fallback: null, dnaBuild: null, dna: null, classifier: null }),
      thresholds: {
        dna: space?.dnaThreshold ?? null,
        patch: config.patchSimilarityThreshold,
        softPartition: config.softPartitionThreshold,
        lowConfidence: config.lowConfidenceThreshold,
      },
      models: { flagship: space?.modelFor('flagship') ?? null, lightweight: space?.modelFor('lightweight') ?? null },
      kernel: s.pool ? { flavour: s.pool.flavour, workers: s.pool.threads, sharedBytes: s.pool.memory.usedBytes } : null,
      connections: s.connections,
      stats: s.stats,
      providers: s.providers,
    },
  };
}

/** Keys whose values are secrets wherever they appear in the config (gateway.auth.token, memorySearch.remote.apiKey, providers' apiKey). */
const SECRET_KEYS = new Set(['apiKey', 'token', 'password', 'keys']);
/** Keys whose object values are maps of secrets: a provider's extra `headers` may carry credentials. */
const SECRET_MAPS = new Set(['headers']);

/**
 * `scheme://user:password@host…` anywhere in a string: the scheme, then the userinfo up to the last
 * `@` before the path (WHATWG URL parsing takes the last one too, so `p@ss` cannot leak a tail).
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/\\?#]*@/gi;

/**
 * Replaces credentials embedded in URLs (`https://user:pass@host/v1` → `https://[redacted]@host/v1`)
 * wherever they occur in `text`; the rest of the string is kept as written. Rule: issue 15,
 * DESIGN.md §8 (secrets are never printed).
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, '$1[redacted]@');
}

/**
 * A deep copy of a config value with secrets blanked: every value under a secret key
 * (apiKey, token, password) becomes `[redacted]`, and every string has its URL credentials
 * redacted (redactUrlCredentials), at any depth, so a section added later (model providers'
 * baseUrl) is covered without touching this function.
 */
export function redactConfig(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEYS.has(key) && value !== undefined && value !== null && value !== '') return '[redacted]';
  if (key !== undefined && SECRET_MAPS.has(key) && value !== null && typeof value === 'object')
    return Object.fromEntries(Object.keys(value).map((k) => [k, '[redacted]']));
  if (typeof value === 'string') return redactUrlCredentials(value);
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  return value;
}

/** `config.get`: the config in force with secrets blanked (redactConfig: secret keys and URL credentials anywhere). */
export function configView(loaded: LoadedConfig): Record<string, unknown> {
  const { config, paths } = loaded;
  return { path: paths.configPath, exists: paths.configExists, valid: true, config: redactConfig(config), loopback: isLoopback(config.gateway.bind) };
}

/**
 * The Settings view of the dashboard (issue 21): every leaf of the config in force, secrets
 * redacted, with where it came from: `flag --port`, `env SMART_ROUTERD_PORT`, `file`, or
 * `default` (config/load.ts `sources`).
 */
export function settingsView(loaded: LoadedConfig): Record<string, unknown> {
  const rows: Array<{ path: string; value: unknown; source: string }> = [];
  const sources = loaded.sources ?? {};
  const walk = (value: unknown, prefix: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, prefix ? `${prefix}.${k}` : k);
      return;
    }
    rows.push({ path: prefix, value, source: sources[prefix] ?? 'default' });
  };
  walk(redactConfig(loaded.config), '');
  return { path: loaded.paths.configPath, exists: loaded.paths.configExists, rows };
}
