import type { Command } from 'commander';
import { connectToDaemon, type TargetFlags } from '../target.js';

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
        const status = await client.request<{ router: Record<string, unknown> }>('status', {});
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
          return;
        }
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const r = status.router as Record<string, any>;
        const lines = [
          `smart-routerd ${r.version}: ${r.phase} on ${r.url} (up ${Math.round(r.uptimeMs / 1000)} s)`,
          `  routing:    ${r.enabled ? 'enabled' : 'disabled'}; flagship → ${r.models.flagship}, lightweight → ${r.models.lightweight}`,
          `  embedding:  ${r.embedding ? `${r.embedding.provider}/${r.embedding.model} (${r.embedding.dims} dims)` : 'none'}`,
          `  DNA:        ${r.dna ? `${r.dna.path} (${r.dna.rows} rows)` : 'none (keywords only)'}`,
          `  thresholds: dna ${r.thresholds.dna}, patch ${r.thresholds.patch}, soft partition ${r.thresholds.softPartition}`,
          `  kernel:     ${r.kernel ? `${r.kernel.flavour}, ${r.kernel.workers} workers, ${(r.kernel.sharedBytes / 1024).toFixed(0)} KiB shared` : 'down'}`,
          `  decisions:  ${r.stats.decisions}${r.stats.latencyMs ? ` (p50 ${r.stats.latencyMs.p50} ms, p99 ${r.stats.latencyMs.p99} ms)` : ''}`,
          `  config:     ${r.configPath ?? '(built-in defaults)'}; state dir ${r.stateDir}`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await client.close();
      }
    });
}
