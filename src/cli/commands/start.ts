import type { Command } from 'commander';
import { Daemon } from '../../daemon/index.js';

/** `smart-routerd start`: the daemon in the foreground (a service manager runs exactly this). */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the daemon in the foreground (JSON logs; pretty on a TTY); SIGTERM stops it, SIGHUP reloads config and DNA')
    .option('--port <port>', 'listen port (default 18789; env SMART_ROUTERD_PORT)')
    .option('--bind <address>', 'listen address (default 127.0.0.1; env SMART_ROUTERD_BIND); non-loopback needs a token')
    .option('--token <token>', 'gateway auth token (env SMART_ROUTERD_TOKEN); default: generated into <state-dir>/gateway.token')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env SMART_ROUTERD_LOG_LEVEL)')
    .action(async (opts: { port?: string; bind?: string; token?: string; logLevel?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ config?: string; stateDir?: string }>();
      await Daemon.start({ flags: { ...globals, ...opts }, handleSignals: true });
    });
}
