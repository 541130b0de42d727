import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { MemoryStats } from '../../memory/index.js';
import { connectToDaemon, type TargetFlags } from '../target.js';

const TARGET_OPTIONS: Array<[string, string]> = [
  ['--url <url>', 'daemon URL (default from config; env SMART_ROUTERD_URL)'],
  ['--token <token>', 'auth token (default: config, SMART_ROUTERD_TOKEN, or <state-dir>/gateway.token)'],
];

/** `smart-routerd learn` and `smart-routerd memory stats|export|clear`: user learning via the daemon. */
export function registerLearning(program: Command): void {
  const learn = program
    .command('learn')
    .description('teach the router: messages like this one should go to the given tier (recorded durably by the running daemon)')
    .requiredOption('--tier <tier>', 'flagship or lightweight')
    .option('--label <intent>', 'optional intent: CHAT, FACT, TRANS, CODE, REASON, WRITE')
    .option('--json', 'print the stored patch as JSON')
    .argument('<text...>', 'the message');
  for (const [flag, help] of TARGET_OPTIONS) learn.option(flag, help);
  learn.action(async (words: string[], opts: TargetFlags & { tier: string; label?: string; json?: boolean }, cmd: Command) => {
    if (opts.tier !== 'flagship' && opts.tier !== 'lightweight')
      throw cmd.error(`error: --tier must be flagship or lightweight (got "${opts.tier}")`, { exitCode: 2 });
    const client = await connectToDaemon({ ...cmd.optsWithGlobals(), ...opts });
    try {
      const res = await client.request<{ patchId: number; patches: number }>('route.feedback', {
        text: words.join(' '),
        tier: opts.tier,
        origin: 'cli',
        ...(opts.label ? { label: opts.label } : {}),
      });
      process.stdout.write(
        opts.json ? `${JSON.stringify(res, null, 2)}\n` : `learned: similar messages now go to ${opts.tier} (patch #${res.patchId}; ${res.patches} patches)\n`,
      );
    } finally {
      await client.close();
    }
  });

  const memory = program.command('memory').description("inspect or reset the user's learned corrections (patches)");
  const stats = memory.command('stats').description('patch counts by tier, journal and snapshot sizes, last compaction').option('--json', 'print as JSON');
  const exp = memory.command('export').description('print every patch as JSONL (tier, label, timestamp, weights, text hash; the text itself is never stored)');
  const clear = memory.command('clear').description('forget every learned correction (asks first; --yes skips the question)').option('--yes', 'do not ask');
  for (const sub of [stats, exp, clear]) for (const [flag, help] of TARGET_OPTIONS) sub.option(flag, help);

  stats.action(async (opts: TargetFlags & { json?: boolean }, cmd: Command) => {
    const client = await connectToDaemon({ ...cmd.optsWithGlobals(), ...opts });
    try {
      const s = await client.request<MemoryStats>('memory.stats', {});
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        return;
      }
      const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
      process.stdout.write(
        `patches:   ${s.patches} (flagship ${s.byTier.flagship}, lightweight ${s.byTier.lightweight})\n` +
          `journal:   ${s.journalRecords} records, ${s.journalBytes} bytes, ${s.journalFsyncs} fsyncs since start\n` +
          `snapshot:  ${s.snapshotRows} rows; ${s.compactions} compactions since start\n` +
          `oldest:    ${when(s.oldest)}\nnewest:    ${when(s.newest)}\n`,
      );
    } finally {
      await client.close();
    }
  });

  exp.action(async (opts: TargetFlags, cmd: Command) => {
    const client = await connectToDaemon({ ...cmd.optsWithGlobals(), ...opts });
    try {
      const records = await client.request<unknown[]>('memory.export', {});
      process.stdout.write(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    } finally {
      await client.close();
    }
  });

  clear.action(async (opts: TargetFlags & { yes?: boolean }, cmd: Command) => {
    if (!opts.yes) {
      if (!process.stdin.isTTY) throw cmd.error('error: memory clear needs --yes when not run from a terminal', { exitCode: 2 });
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question('Forget every learned correction? This cannot be undone. [y/N] ');
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        process.stdout.write('nothing cleared\n');
        return;
      }
    }
    const client = await connectToDaemon({ ...cmd.optsWithGlobals(), ...opts });
    try {
      await client.request('memory.clear', { confirm: true });
      process.stdout.write('user memory cleared\n');
    } finally {
      await client.close();
    }
  });
}
