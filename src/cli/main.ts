#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { VERSION } from '../daemon/index.js';
import { isSrdError } from '../errors.js';
import { registerDna } from './commands/dna.js';
import { registerEval } from './commands/eval.js';
import { registerLearning } from './commands/learn.js';
import { registerRoute } from './commands/route.js';
import { registerService } from './commands/service.js';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';

/** Exit code for configuration errors (sysexits EX_CONFIG; OpenClaw's unit sets RestartPreventExitStatus=78). */
const EX_CONFIG = 78;

const program = new Command('smart-routerd')
  .description('Local model router for OpenClaw: picks the flagship or lightweight model for every message, offline, in well under a millisecond.')
  .version(VERSION)
  .option('--config <file>', 'config file (default <state-dir>/config.json; env SMART_ROUTERD_CONFIG)')
  .option('--state-dir <dir>', 'state directory (default ~/.openclaw/smart-router; env SMART_ROUTERD_STATE_DIR)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerStart(program);
registerRoute(program);
registerStatus(program);
registerEval(program);
registerDna(program);
registerLearning(program);
registerService(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (isSrdError(err)) {
    process.stderr.write(`smart-routerd: ${err.message}\n`);
    process.exit(err.code.startsWith('SRD_ERR_CONFIG') || err.code === 'SRD_ERR_BIND_REFUSED' ? EX_CONFIG : 1);
  }
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    process.stderr.write(`smart-routerd: ${e.message}: another process (perhaps another smart-routerd or the OpenClaw gateway) is listening there; pick a port with --port\n`);
    process.exit(1);
  }
  process.stderr.write(`smart-routerd: ${e.stack ?? String(err)}\n`);
  process.exit(1);
}
