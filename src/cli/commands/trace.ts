import type { Command } from 'commander';
import type { DecisionEvent, RequestUsage } from '../../events.js';
import { connectToDaemon, type TargetFlags } from '../target.js';

/** One decision as a line: time, tier, model, intent, source, confidence, latency, origin. */
export function traceLine(d: DecisionEvent): string {
  const time = new Date(d.ts).toISOString().slice(11, 23);
  return `${time}  ${d.tier.padEnd(11)} ${d.model}  (${d.intent ?? '-'}, ${d.source}, confidence ${d.confidence.toFixed(2)}, ${d.latencyMs} ms, via ${d.via})  ${d.decisionId}`;
}

/** A finished model-API request as the `router.usage` event carries it (gateway/server.ts). */
export interface UsageFrame {
  ts: number;
  requestId: string | null;
  decisionId: string | null;
  requestModel: string;
  model: string | null;
  tier: string | null;
  status: number;
  attempts: number;
  usage: RequestUsage | null;
}

/** One proxied request's outcome as a line: who answered, tokens, cost, TTFB, under its decision's id. */
export function usageLine(u: UsageFrame): string {
  const time = new Date(u.ts).toISOString().slice(11, 23);
  const what = u.usage
    ? `${u.usage.inputTokens + u.usage.cacheReadTokens + u.usage.cacheWriteTokens} in (${u.usage.cacheReadTokens} cached) / ${u.usage.outputTokens} out, $${u.usage.costUsd.toFixed(6)}${u.usage.ttfbMs === null ? '' : `, TTFB ${Math.round(u.usage.ttfbMs)} ms`}`
    : 'no usage reported';
  const attempts = u.attempts > 1 ? `, ${u.attempts} attempts` : '';
  return `${time}  ↳ ${u.status} ${u.model ?? u.requestModel}  ${what}${attempts}  ${u.decisionId ?? u.requestId ?? ''}`;
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
      client.on('event', (frame: { event: string; payload: unknown }) => {
        if (frame.event === 'router.decision') {
          const d = frame.payload as DecisionEvent;
          process.stdout.write(`${opts.json ? JSON.stringify({ event: frame.event, ...d }) : traceLine(d)}\n`);
        } else if (frame.event === 'router.usage') {
          const u = frame.payload as UsageFrame;
          process.stdout.write(`${opts.json ? JSON.stringify({ event: frame.event, ...u }) : usageLine(u)}\n`);
        }
      });
      await client.request('router.subscribe', { events: ['router.decision', 'router.usage'] });
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
