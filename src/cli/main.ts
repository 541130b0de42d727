#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { VERSION } from '../daemon/index.js';
import { isConfigErrorCode, isSrdError } from '../errors.js';

type Registrar = (program: Command) => void;

/**
 * Command modules, loaded on demand: `start` (what a service manager runs) loads only the daemon,
 * not the service installer's plist/XML stack or the eval tooling. `--help` loads them all.
 */
const COMMANDS: Record<string, () => Promise<Registrar>> = {
  start: async () => (await import('./commands/start.js')).registerStart,
  route: async () => (await import('./commands/route.js')).registerRoute,
  status: async () => (await import('./commands/status.js')).registerStatus,
  trace: async () => (await import('./commands/trace.js')).registerTrace,
  models: async () => (await import('./commands/models.js')).registerModels,
  usage: async () => (await import('./commands/usage.js')).registerUsage,
  keys: async () => (await import('./commands/keys.js')).registerKeys,
  dashboard: async () => (await import('./commands/dashboard.js')).registerDashboard,
  eval: async () => (await import('./commands/eval.js')).registerEval,
  dna: async () => (await import('./commands/dna.js')).registerDna,
  train: async () => (await import('./commands/train.js')).registerTrain,
  learning: async () => (await import('./commands/learn.js')).registerLearning,
  service: async () => (await import('./commands/service.js')).registerService,
  enable: async () => (await import('./commands/enable.js')).registerEnable,
  openclaw: async () => (await import('./openclaw/command.js')).registerOpenclaw,
};
/** Top-level command names registered by a module other than their own name. */
const ALIASES: Record<string, string> = { learn: 'learning', memory: 'learning', install: 'service', uninstall: 'service', logs: 'service', disable: 'enable' };

/** Exit code for configuration errors (sysexits EX_CONFIG; OpenClaw's unit sets RestartPreventExitStatus=78). */
const EX_CONFIG = 78;

const program = new Command('smart-routerd')
  .description('Local model router for OpenClaw: picks the flagship or lightweight model for every message, offline, in well under a millisecond.')
  .version(VERSION)
  .option('--config <file>', 'config file (default <state-dir>/config.json; env SMART_ROUTERD_CONFIG)')
  .option('--state-dir <dir>', 'state directory (default ~/.openclaw/smart-router; env SMART_ROUTERD_STATE_DIR)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

const first = process.argv[2] ?? '';
const wanted = ALIASES[first] ?? first;
for (const name of wanted in COMMANDS ? [wanted] : Object.keys(COMMANDS)) (await COMMANDS[name]!())(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (isSrdError(err)) {
    process.stderr.write(`smart-routerd: ${err.message}\n`);
    process.exit(isConfigErrorCode(err.code) ? EX_CONFIG : 1);
  }
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    process.stderr.write(
      `smart-routerd: ${e.message}: another process (perhaps another smart-routerd or the OpenClaw gateway) is listening there; pick a port with --port\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`smart-routerd: ${e.stack ?? String(err)}\n`);
  process.exit(1);
}
