import type { Command } from 'commander';
import { connectToDaemon, type TargetFlags } from '../target.js';

/** The `usage.status` payload (daemon `usageStatus`, ledger `UsageReport`). */
interface Totals {
  group: string | null;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}
interface UsageStatus {
  since: string;
  until: string;
  by: string | null;
  groups: Totals[];
  total: Totals;
  flagship: { model: string; costUsd: number | null };
  savedUsd: number | null;
  savedPct: number | null;
  backend: string;
}

/**
 * `smart-routerd usage [--since 7d] [--by model|tier|intent|key] [--json]` (issue 14): requests,
 * tokens and cost of proxied requests from the daemon's usage ledger (`usage.status`), and what
 * routing saved: the same tokens priced as if every request had gone to the flagship model
 * (Plano's demo cost table).
 */
export function registerUsage(program: Command): void {
  program
    .command('usage')
    .description('requests, tokens and cost of proxied requests, and what routing saved against the flagship model')
    .option('--since <when>', 'window start: a duration (30m, 24h, 7d, 1mo), today, month, or a date', 'month')
    .option('--by <column>', 'group rows by model, tier, intent or key', 'model')
    .option('--json', 'print the usage.status payload as JSON')
    .option('--url <url>', 'daemon URL (default from config; env SMART_ROUTERD_URL)')
    .option('--timeout <ms>', 'connect budget in ms', '10000')
    .action(async (opts: TargetFlags & { since: string; by: string; json?: boolean }, cmd: Command) => {
      if (!['model', 'tier', 'intent', 'key'].includes(opts.by)) {
        cmd.error(`smart-routerd usage: --by must be model, tier, intent or key (got "${opts.by}")`, { exitCode: 2 });
      }
      const client = await connectToDaemon({ ...cmd.optsWithGlobals(), ...opts });
      let status: UsageStatus;
      try {
        status = await client.request<UsageStatus>('usage.status', { since: opts.since, by: opts.by });
      } finally {
        await client.close();
      }
      process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatUsage(status));
    });
}

/** The usage table and the savings line, as `smart-routerd usage` prints them. */
export function formatUsage(s: UsageStatus): string {
  const head = [s.by ?? 'group', 'requests', 'errors', 'input', 'output', 'cache read', 'cache write', 'cost'];
  const row = (t: Totals, name: string) => [
    name,
    String(t.requests),
    String(t.errors),
    count(t.inputTokens),
    count(t.outputTokens),
    count(t.cacheReadTokens),
    count(t.cacheWriteTokens),
    usd(t.costUsd),
  ];
  const rows = [head, ...s.groups.map((g) => row(g, g.group ?? '(none)')), row(s.total, 'total')];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [`usage since ${s.since} (${s.backend})`, '', line(head), ...rows.slice(1, -1).map(line), '-'.repeat(line(head).length), line(rows.at(-1)!), ''];
  if (s.flagship.costUsd === null) {
    out.push(`all to the flagship (${s.flagship.model}): no price known for it, so no savings line (set models.${s.flagship.model}.cost)`);
  } else {
    out.push(`all to the flagship (${s.flagship.model}): ${usd(s.flagship.costUsd)}`);
    out.push(`saved by routing: ${usd(s.savedUsd ?? 0)}${s.savedPct === null ? '' : ` (${s.savedPct.toFixed(1)}%)`}`);
  }
  return `${out.join('\n')}\n`;
}

const count = (n: number) => n.toLocaleString('en-US');
/** Dollars to 4 places (6 below a hundredth of a cent, so a tiny cost never reads as $0.0000). */
const usd = (v: number) => `$${v.toFixed(v !== 0 && Math.abs(v) < 0.0001 ? 6 : 4)}`;
