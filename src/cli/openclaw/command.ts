import path from 'node:path';
import type { Command } from 'commander';
import { PLUGIN_ID, pluginDir, writePluginPackage } from '../../plugin/index.js';
import { checkDaemon, InstallError, installPlugin } from './install.js';

interface InstallFlags {
  openclaw?: string;
  yes?: boolean;
  url?: string;
  tokenFile?: string;
  flagship?: string[];
  lightweight?: string[];
  timeoutMs?: string;
  check?: boolean;
}

/**
 * `smart-routerd openclaw install-plugin` and `smart-routerd openclaw plugin-path`: put the
 * OpenClaw plugin (dist/plugin/) into the user's OpenClaw, through OpenClaw's own CLI.
 */
export function registerOpenclaw(program: Command): void {
  const openclaw = program.command('openclaw').description('connect OpenClaw to smart-routerd (its plugin)');

  openclaw
    .command('install-plugin')
    .description('install the smart-routerd plugin into OpenClaw so every agent turn asks the daemon which model to use')
    .option('--openclaw <command>', 'how to run the OpenClaw CLI', 'openclaw')
    .option('-y, --yes', 'do not ask: confirm the local plugin source and accept its capabilities (--force --accept-capabilities)')
    .option('--url <url>', 'daemon URL to record in the plugin config (default: found at run time like `smart-routerd route`)')
    .option('--token-file <file>', 'token file to record in the plugin config (default <state-dir>/gateway.token)')
    .option('--flagship <refs...>', 'OpenClaw model refs (provider/model) for flagship decisions')
    .option('--lightweight <refs...>', 'OpenClaw model refs (provider/model) for lightweight decisions')
    .option('--timeout-ms <ms>', 'decision budget per turn (default 50)')
    .option('--no-check', 'skip routing one test message through the daemon afterwards')
    .action(async (flags: InstallFlags, cmd: Command) => {
      const config: Record<string, unknown> = {};
      // Record what this shell says about the daemon's whereabouts: OpenClaw's process may not
      // have the same SMART_ROUTERD_* environment. Without either, the plugin reads the daemon's
      // default state dir at run time (config.json, gateway.token), like `smart-routerd route`.
      const url = flags.url ?? process.env.SMART_ROUTERD_URL;
      if (url) config.url = url;
      const stateDir = (cmd.optsWithGlobals() as { stateDir?: string }).stateDir ?? process.env.SMART_ROUTERD_STATE_DIR;
      if (stateDir) config.stateDir = path.resolve(stateDir);
      if (flags.tokenFile) config.tokenFile = path.resolve(flags.tokenFile);
      if (flags.flagship?.length) config.flagshipModels = flags.flagship;
      if (flags.lightweight?.length) config.lightweightModels = flags.lightweight;
      if (flags.timeoutMs) {
        const ms = Number(flags.timeoutMs);
        if (!Number.isInteger(ms) || ms < 1 || ms > 10_000)
          return failWith(`--timeout-ms must be an integer from 1 to 10000 (got ${JSON.stringify(flags.timeoutMs)})`);
        config.timeoutMs = ms;
      }
      let dir: string;
      try {
        ({ dir } = await installPlugin({ openclaw: (flags.openclaw ?? 'openclaw').split(/\s+/).filter(Boolean), yes: flags.yes === true, config }));
      } catch (err) {
        // OpenClaw already printed its own output (stdio inherited); say which step failed, no stack.
        if (err instanceof InstallError)
          return failWith(err.run ? `\`openclaw ${err.run.args.slice(0, 2).join(' ')}\` failed with exit code ${err.run.status}` : err.message);
        throw err;
      }
      process.stdout.write(`\nsmart-routerd: plugin "${PLUGIN_ID}" linked from ${dir}; conversation access granted for before_model_resolve.\n`);
      if (!config.flagshipModels || !config.lightweightModels) {
        process.stdout.write(
          `  Model refs: the daemon's flagshipModels/lightweightModels are used as OpenClaw refs. To map the tiers to other OpenClaw models:\n` +
            `  openclaw config set plugins.entries.${PLUGIN_ID}.config.flagshipModels '["provider/model"]' --strict-json\n`,
        );
      }
      if (process.env.SMART_ROUTERD_TOKEN && !flags.tokenFile) {
        process.stdout.write("  Note: SMART_ROUTERD_TOKEN is set here; OpenClaw's process needs it too, or pass --token-file.\n");
      }
      if (flags.check !== false) {
        const { url, outcome } = await checkDaemon(config);
        process.stdout.write(
          outcome.ok
            ? `  Check: ${url} routed "hello" to ${outcome.decision.modelTier} (${outcome.decision.selectedModel ?? 'no model'}) in ${outcome.ms.toFixed(1)} ms.\n`
            : `  Check: ${url} gave no decision (${outcome.reason}). Until it does, turns keep OpenClaw's configured model.\n`,
        );
      }
      process.stdout.write('  A running OpenClaw gateway picks the change up by itself (hybrid reload); otherwise restart it.\n');
    });

  function failWith(message: string): void {
    process.stderr.write(`smart-routerd: ${message}\n`);
    process.exitCode = 1;
  }

  openclaw
    .command('plugin-path')
    .description('print the plugin directory (for `openclaw plugins install --link <dir>` or plugins.load.paths)')
    .action(() => {
      writePluginPackage();
      process.stdout.write(`${pluginDir()}\n`);
    });
}
