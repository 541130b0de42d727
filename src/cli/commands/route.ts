import type { Command } from 'commander';
import type { RouteDecision } from '../../routing/index.js';
import { connectToDaemon, type TargetFlags } from '../target.js';

/** `smart-routerd route <text…>`: asks the running daemon for a decision. */
export function registerRoute(program: Command): void {
  program
    .command('route')
    .description('ask the running daemon which tier and model should answer a message')
    .argument('<text...>', 'the message (quote it, or pass several words)')
    .option('--url <url>', 'daemon URL (default ws://127.0.0.1:<configured port>; env SMART_ROUTERD_URL)')
    .option('--token <token>', 'auth token (default: config, SMART_ROUTERD_TOKEN, or <state-dir>/gateway.token)')
    .option('--timeout <ms>', 'connect budget in ms', '10000')
    .option('--json', 'print the decision object as JSON')
    .action(async (words: string[], opts: TargetFlags & { json?: boolean }, cmd: Command) => {
      const client = await connectToDaemon({ ...cmd.optsWithGlobals(), ...opts });
      try {
        const decision = await client.request<RouteDecision>('route', { text: words.join(' ') });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(decision, null, 2)}\n`);
        } else {
          const intent = decision.intent ? `${decision.intent}, ` : '';
          process.stdout.write(
            `${decision.modelTier} → ${decision.selectedModel}  (${intent}${decision.source}, confidence ${decision.confidence.toFixed(2)}, ${decision.latencyMs} ms)\n  ${decision.reasoning}\n`,
          );
        }
      } finally {
        await client.close();
      }
    });
}
