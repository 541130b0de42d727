import type { Command } from 'commander';
import type { EmbedderHealth, EmbeddingSpace } from '../../embedding/index.js';
import type { DnaBuildStatus } from '../../intent-model/index.js';
import { connectToDaemon, type TargetFlags } from '../target.js';

/** The `router` section of the `status` payload (daemon/views.ts statusView), the fields this command reads. */
interface RouterStatus {
  version: string;
  phase: string;
  url: string;
  uptimeMs: number;
  enabled: boolean;
  configPath: string | null;
  stateDir: string;
  embedding: (EmbeddingSpace & { health: EmbedderHealth | null }) | null;
  fallback: { mode: 'local' | 'keywords'; space: string | null; dna: string | null } | null;
  dnaBuild: DnaBuildStatus | null;
  dna: { path: string; rows: number } | null;
  thresholds: { dna: number | null; patch: number; softPartition: number };
  models: { flagship: string | null; lightweight: string | null };
  kernel: { flavour: string; workers: number; sharedBytes: number } | null;
  stats: { decisions: number; latencyMs: { p50: number; p99: number } | null };
  /** Model-gateway cooldowns (docs/failover.md): each cooling or recently failed profile and (profile, model). */
  providers?: Array<{ key: string; state: 'ready' | 'cooling'; until: string | null; class: string; reason: string; failuresInWindow: number }>;
}

/** The `cluster` section of a team gateway's `status` (cluster/cluster.ts ClusterView). */
interface ClusterStatus {
  instance: string;
  postgres: { url: string; ok: boolean; downSince: string | null; queuedRows: number } | null;
  redis: { url: string; ok: boolean; downSince: string | null } | null;
  instances: Array<{ instance: string; host: string; pid: number; version: string; lastSeen: string; self: boolean }> | null;
  corrections: {
    cursor: number;
    queued: number;
    lastSyncAt: string | null;
    storeDownSince: string | null;
    lagMs: { samples: number; p50: number | null; p99: number | null; max: number | null };
  } | null;
}

/**
 * A team gateway's view (issue 20): this instance, the stores' health, the instances seen by their
 * heartbeats, and how far behind learned corrections from the others arrive. Nothing on one machine.
 */
function clusterLines(c: ClusterStatus | undefined): string[] {
  if (!c) return [];
  const store = (s: { url: string; ok: boolean; downSince: string | null } | null) =>
    s ? `${s.ok ? 'ok' : `DOWN${s.downSince ? ` since ${s.downSince}` : ''}`} (${s.url})` : 'not configured';
  const lines = [
    `  cluster:    instance ${c.instance}`,
    `    postgres: ${store(c.postgres)}${c.postgres && c.postgres.queuedRows > 0 ? `; ${c.postgres.queuedRows} ledger row(s) queued locally` : ''}`,
    `    redis:    ${store(c.redis)}${c.redis && !c.redis.ok ? ' (local limits, cooldowns and sessions meanwhile)' : ''}`,
  ];
  if (c.instances) {
    lines.push(
      `    instances (${c.instances.length}): ${c.instances.map((i) => `${i.instance}${i.self ? ' (this one)' : ''} pid ${i.pid} on ${i.host}`).join('; ')}`,
    );
  } else {
    lines.push('    instances: unknown (PostgreSQL unreachable)');
  }
  const k = c.corrections;
  if (k) {
    const lag =
      k.lagMs.samples > 0
        ? `replication lag p50 ${k.lagMs.p50} ms, p99 ${k.lagMs.p99} ms, max ${k.lagMs.max} ms (${k.lagMs.samples} corrections from others)`
        : 'no corrections from others yet';
    lines.push(`    learning: up to correction #${k.cursor}; ${lag}${k.queued > 0 ? `; ${k.queued} queued locally until PostgreSQL is back` : ''}`);
  }
  return lines;
}

/** `smart-routerd status`: the running daemon's state. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("show the running daemon's state: phase, embedding space, DNA, thresholds, workers, decisions")
    .option('--url <url>', 'daemon URL (default from config; env SMART_ROUTERD_URL)')
    .option('--token <token>', 'auth token (default: config, SMART_ROUTERD_TOKEN, or <state-dir>/gateway.token)')
    .option('--timeout <ms>', 'connect budget in ms', '10000')
    .option('--json', 'print the status object as JSON')
    .action(async (opts: TargetFlags & { json?: boolean }, cmd: Command) => {
      const client = await connectToDaemon({ ...cmd.optsWithGlobals(), ...opts });
      try {
        const status = await client.request<{ router: RouterStatus; cluster?: ClusterStatus }>('status', {});
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
          return;
        }
        const r = status.router;
        const lines = [
          `smart-routerd ${r.version}: ${r.phase} on ${r.url} (up ${Math.round(r.uptimeMs / 1000)} s)`,
          `  routing:    ${r.enabled ? 'enabled' : 'disabled'}; flagship → ${r.models.flagship}, lightweight → ${r.models.lightweight}`,
          `  embedding:  ${r.embedding ? `${r.embedding.provider}/${r.embedding.model} (${r.embedding.dims} dims)` : 'none'}`,
          ...providerLines(r),
          `  DNA:        ${r.dna ? `${r.dna.path} (${r.dna.rows} rows)` : r.dnaBuild ? `none yet: ${buildLine(r.dnaBuild)}` : 'none (keywords only)'}`,
          `  thresholds: dna ${r.thresholds.dna}, patch ${r.thresholds.patch}, soft partition ${r.thresholds.softPartition}`,
          `  kernel:     ${r.kernel ? `${r.kernel.flavour}, ${r.kernel.workers} workers, ${(r.kernel.sharedBytes / 1024).toFixed(0)} KiB shared` : 'down'}`,
          `  decisions:  ${r.stats.decisions}${r.stats.latencyMs ? ` (p50 ${r.stats.latencyMs.p50} ms, p99 ${r.stats.latencyMs.p99} ms)` : ''}`,
          `  config:     ${r.configPath ?? '(built-in defaults)'}; state dir ${r.stateDir}`,
          ...upstreamLines(r),
          ...clusterLines(status.cluster),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await client.close();
      }
    });
}

/** Provider health, breaker and fallback lines of a remote embedding provider (none for `local`). */
function providerLines(r: RouterStatus): string[] {
  const h = r.embedding?.health;
  if (!h) return [];
  const ago = (t: number | null) => (t ? `${Math.max(0, Math.round((Date.now() - t) / 1000))} s ago` : 'never');
  const b = h.breaker;
  const breaker =
    b.state === 'open'
      ? `open (${b.consecutiveFailures} consecutive failures; probe in ${Math.max(0, Math.ceil((b.retryAt! - Date.now()) / 1000))} s)`
      : `${b.state} (${b.consecutiveFailures}/${b.failureThreshold} failures, opened ${b.opens}×, ${b.rejected} calls failed fast)`;
  const lines = [
    `  provider:   ${h.calls === 0 ? 'not called yet' : h.ok ? 'healthy' : 'UNHEALTHY'} at ${h.baseUrl}; API key ${h.apiKey}; ${h.calls} calls, ${h.failures} failed${h.lastLatencyMs !== null ? `, last ${h.lastLatencyMs} ms` : ''}; last success ${ago(h.lastSuccessAt)}`,
    `  breaker:    ${breaker}`,
  ];
  if (h.lastError) lines.push(`  last error: ${h.lastError.code} ${ago(h.lastError.at)}: ${h.lastError.message}`);
  if (r.fallback) lines.push(`  fallback:   ${r.fallback.mode === 'local' ? `local embedder (${r.fallback.space}, DNA ${r.fallback.dna})` : 'keywords'}`);
  return lines;
}

/**
 * The model gateway's upstreams that failed recently: `profile|model` (or a whole profile), ready or
 * cooling until when and why, failures in the window (issue 13). Nothing when all are healthy.
 */
function upstreamLines(r: RouterStatus): string[] {
  const rows = r.providers ?? [];
  if (rows.length === 0) return ['  upstreams:  all ready'];
  return [
    '  upstreams:',
    ...rows.map(
      (p) =>
        `    ${p.key.replace('|', ' · ')}: ${p.state === 'cooling' ? `COOLING until ${p.until} (${p.class}: ${p.reason})` : `ready (last ${p.class}: ${p.reason})`}; ${p.failuresInWindow} failure(s) in the window`,
    ),
  ];
}

/** One line about a background DNA build. */
function buildLine(b: DnaBuildStatus): string {
  const pct = b.total > 0 ? `${Math.floor((100 * b.embedded) / b.total)}% of ${b.total} seed texts embedded` : 'starting';
  if (b.state === 'waiting' && b.lastError)
    return `build attempt ${b.attempts} failed (${b.lastError.code}); retry in ${Math.max(0, Math.ceil((b.nextAttemptAt! - Date.now()) / 1000))} s; ${pct}`;
  return `building ${b.space} (${pct}, attempt ${b.attempts})`;
}
