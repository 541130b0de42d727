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
export function healthSummary(state: { phase: Phase; dna: DnaModel | null; workers: number }): Record<string, unknown> {
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
      ...(space?.status() ?? { embedding: null, fallback: null, dnaBuild: null, dna: null }),
      thresholds: {
        dna: space?.dnaThreshold ?? null,
        patch: config.patchSimilarityThreshold,
        softPartition: config.softPartitionThreshold,
      },
      models: { flagship: space?.modelFor('flagship') ?? null, lightweight: space?.modelFor('lightweight') ?? null },
      kernel: s.pool ? { flavour: s.pool.flavour, workers: s.pool.threads, sharedBytes: s.pool.memory.usedBytes } : null,
      connections: s.connections,
      stats: s.stats,
    },
  };
}

/** `config.get`: the config in force with secrets blanked. */
export function configView(loaded: LoadedConfig): Record<string, unknown> {
  const { config, paths } = loaded;
  const redacted = structuredClone(config);
  if (redacted.gateway.auth.token) redacted.gateway.auth.token = '[redacted]';
  if (redacted.memorySearch.remote.apiKey) redacted.memorySearch.remote.apiKey = '[redacted]';
  return { path: paths.configPath, exists: paths.configExists, valid: true, config: redacted, loopback: isLoopback(config.gateway.bind) };
}
