import type { Command } from 'commander';
import { connectToDaemon, resolveTarget, type TargetFlags } from '../target.js';

/** A cooldown row of the `status` payload (docs/failover.md). */
interface CooldownRow {
  key: string;
  state: 'ready' | 'cooling';
  until: string | null;
  class: string;
  reason: string;
  failuresInWindow: number;
}

/**
 * `smart-routerd models status`: the model gateway's models (GET /v1/models on the daemon's port) and
 * each auth profile and (profile, model) that failed recently: ready, or cooling until when and why,
 * with the failures in the window (issue 13). Exit 0 even when some are cooling.
 */
export function registerModels(program: Command): void {
  const models = program.command('models').description("the model gateway's models and their upstreams' health");
  models
    .command('status')
    .description('list the models the gateway serves and every profile or model cooling down (when, why)')
    .option('--url <url>', 'daemon URL (default from config; env SMART_ROUTERD_URL)')
    .option('--token <token>', 'auth token (default: config, SMART_ROUTERD_TOKEN, or <state-dir>/gateway.token)')
    .option('--timeout <ms>', 'connect budget in ms', '10000')
    .option('--json', 'print {models, upstreams} as JSON')
    .action(async (opts: TargetFlags & { json?: boolean }, cmd: Command) => {
      const flags = { ...cmd.optsWithGlobals(), ...opts };
      const client = await connectToDaemon(flags);
      let rows: CooldownRow[];
      let url: string;
      try {
        const status = await client.request<{ router: { url: string; providers?: CooldownRow[] } }>('status', {});
        rows = status.router.providers ?? [];
        url = status.router.url;
      } finally {
        await client.close();
      }
      // The gateway token is always a valid model-API key (docs/gateway.md).
      const res = await fetch(`${url.replace(/^ws/, 'http')}/v1/models`, { headers: { authorization: `Bearer ${resolveTarget(flags).token}` } });
      const list = (await res.json()) as { data: Array<{ id: string }> };
      const ids = list.data.map((m) => m.id);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ models: ids, upstreams: rows }, null, 2)}\n`);
        return;
      }
      const lines = [`models (${ids.length}): ${ids.join(', ') || '(none configured)'}`];
      if (rows.length === 0) lines.push('upstreams: all ready');
      for (const r of rows) {
        const [profile, model] = r.key.split('|');
        const what = model ? `${profile} · ${model}` : `${profile} (every model)`;
        lines.push(
          `  ${what}: ${r.state === 'cooling' ? `COOLING until ${r.until} (${r.class}: ${r.reason})` : `ready (last ${r.class}: ${r.reason})`}; ${r.failuresInWindow} failure(s) in the window`,
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
