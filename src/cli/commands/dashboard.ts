import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { connectToDaemon, type TargetFlags } from '../target.js';

/**
 * `smart-routerd dashboard [--no-open]` (issue 21): asks the running daemon for a one-time code
 * (`dashboard.open`) and opens the dashboard in the default browser with the code in the URL
 * fragment (never in a query or a log); the page trades it for a session cookie. Prints the URL,
 * which works once, within 2 minutes.
 */
export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('open the local dashboard (decisions, spend, providers, learning, settings) in the browser')
    .option('--no-open', 'print the one-time URL instead of opening a browser')
    .option('--url <url>', 'daemon URL (default from config; env SMART_ROUTERD_URL)')
    .option('--timeout <ms>', 'connect budget in ms', '10000')
    .action(async (opts: TargetFlags & { open: boolean }, cmd: Command) => {
      const client = await connectToDaemon({ ...cmd.optsWithGlobals(), ...opts });
      let page: { url: string; expiresAt: string };
      try {
        page = await client.request<{ url: string; expiresAt: string }>('dashboard.open', {});
      } finally {
        await client.close();
      }
      process.stdout.write(`${page.url}\n`);
      process.stderr.write(`smart-routerd: this link logs in once, until ${page.expiresAt}\n`);
      if (!opts.open) return;
      const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
      const child = spawn(opener, [page.url], { stdio: 'ignore', detached: true });
      child.once('error', () => process.stderr.write(`smart-routerd: could not start ${opener}; open the link above yourself\n`));
      child.unref();
    });
}
