import type { Command } from 'commander';
import type { DecisionEvent } from '../../events.js';
import { connectToDaemon, type TargetFlags } from '../target.js';

/** One decision as a line: time, tier, model, intent, source, confidence, latency, origin. */
export function traceLine(d: DecisionEvent): string {
  const time = new Date(d.ts).toISOString().slice(11, 23);
  return `${time}  ${d.tier.padEnd(11)} ${d.model}  (${d.intent ?? '-'}, ${d.source}, confidence ${d.confidence.toFixed(2)}, ${d.latencyMs} ms, via ${d.via})  ${d.decisionId}`;
}

/**
 * `smart-routerd trace`: follows the running daemon's decisions as they happen (the WebSocket
 * `router.decision` stream, issue 17), one line each, or one JSON object per line with `--json`,
 * until interrupted. Message texts are never part of the stream.
 */
export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description("follow the running daemon's routing decisions live (from every client), one line each")
    .option('--url <url>', 'daemon URL (default from config; env SMART_ROUTERD_URL)')
    .option('--token <token>', 'auth token (default: config, SMART_ROUTERD_TOKEN, or <state-dir>/gateway.token)')
    .option('--timeout <ms>', 'connect budget in ms', '10000')
    .option('--json', 'print each decision as one JSON object per line')
    .action(async (opts: TargetFlags & { json?: boolean }, cmd: Command) => {
      const client = await connectToDaemon({ ...cmd.optsWithGlobals(), ...opts });
      client.on('event', (frame: { event: string; payload: DecisionEvent }) => {
        if (frame.event !== 'router.decision') return;
        process.stdout.write(`${opts.json ? JSON.stringify(frame.payload) : traceLine(frame.payload)}\n`);
      });
      await client.request('router.subscribe', { events: ['router.decision'] });
      process.stderr.write('following decisions (Ctrl-C to stop)\n');
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        client.once('close', stop);
      });
      await client.close();
    });
}
