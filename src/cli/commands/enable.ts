import type { Command } from 'commander';
import { resolvePaths } from '../../config/index.js';
import { type EnableFlags, type EnableResult, runDisable, runEnable } from '../enable.js';
import { clackPrompter } from '../prompts.js';
import { connectToDaemon } from '../target.js';

/** `smart-routerd enable` and `disable`: turn smart routing on (choosing the embedding provider) or off. */
export function registerEnable(program: Command): void {
  program
    .command('enable')
    .description(
      'turn smart routing on: choose the embedding provider (local, openai, siliconflow, gemini, custom), its key and model, ' +
        'the lightweight and flagship models; test the provider with one real call; write config.json (mode 0600). ' +
        'Asks in a terminal for whatever no flag gives; with --yes (or without a terminal) it never asks',
    )
    .option('--provider <name>', 'local | openai | siliconflow | gemini | custom')
    .option('--model <name>', 'embedding model (default per provider; required for custom)')
    .option('--api-key-env <VAR>', 'read the API key from this environment variable')
    .option('--api-key-stdin', 'read the API key from standard input')
    .option('--api-key <key>', 'the API key (visible to other users in the process list: prefer --api-key-env or --api-key-stdin)')
    .option('--base-url <url>', 'API root, e.g. http://127.0.0.1:11434/v1 (required for custom)')
    .option('--dims <n>', 'vectorStore.vectorDim: embedding size (default: current, or what the model returns)')
    .option('--lightweight <models>', 'lightweight model refs, comma-separated; the first is the default')
    .option('--flagship <models>', 'flagship model refs, comma-separated; the first is the default')
    .option('--fallback <mode>', 'local | keywords: how to route while the provider is down or its DNA is being built')
    .option('--no-test', 'do not call the provider before writing the config')
    .option('-y, --yes', 'never prompt: take flags, then the current config, then defaults')
    .option('--no-reload', 'do not ask a running daemon to reload')
    .option('--json', 'print the result as JSON')
    .action(async (opts: EnableFlags & { reload?: boolean; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ config?: string; stateDir?: string }>();
      const paths = resolvePaths(globals);
      const interactive = !opts.yes && !opts.json && !opts.apiKeyStdin && Boolean(process.stdin.isTTY && process.stdout.isTTY);
      const prompter = interactive ? await clackPrompter() : undefined;
      const result = await runEnable(opts, { paths, prompter });
      const reloaded = opts.reload === false ? null : await reloadDaemon(globals);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ enabled: true, ...result, reloaded }, null, 2)}\n`);
        return;
      }
      const text = summary(result, reloaded);
      if (prompter) prompter.outro(text);
      else process.stdout.write(`${text}\n`);
    });

  program
    .command('disable')
    .description('turn smart routing off (enabled: false in config.json): every message goes to the default lightweight model')
    .option('--no-reload', 'do not ask a running daemon to reload')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { reload?: boolean; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ config?: string; stateDir?: string }>();
      const result = await runDisable({ paths: resolvePaths(globals) });
      const reloaded = opts.reload === false ? null : await reloadDaemon(globals);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ enabled: false, ...result, reloaded }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`smart routing disabled in ${result.configPath}: every message goes to ${result.lightweightModel}\n  ${reloadLine(reloaded)}\n`);
    });
}

/**
 * Asks a running daemon to re-read its config (`router.reload`). Returns true when it did, false
 * when none answered within 2 s (it reads the file when it starts).
 */
async function reloadDaemon(globals: { config?: string; stateDir?: string }): Promise<boolean> {
  try {
    const client = await connectToDaemon({ ...globals, timeout: '2000' });
    try {
      return (await client.request<{ reloaded: boolean }>('router.reload', {})).reloaded;
    } finally {
      await client.close();
    }
  } catch {
    return false;
  }
}

function reloadLine(reloaded: boolean | null): string {
  if (reloaded === null) return 'a running daemon picks this up on SIGHUP or restart (--no-reload)';
  return reloaded ? 'the running daemon reloaded its configuration' : 'no running daemon answered; it reads this when it starts';
}

function summary(r: EnableResult, reloaded: boolean | null): string {
  const lines = [`smart routing enabled in ${r.configPath} (mode 0600)`];
  if (r.provider === 'local') lines.push('  embedding:   built-in local embedder (offline)');
  else {
    lines.push(`  embedding:   ${r.provider} ${r.model}, ${r.dims} dimensions, at ${r.baseUrl}; API key ${r.apiKey === 'set' ? 'stored (not shown)' : 'none'}`);
    lines.push(`  test call:   ${r.test ? `ok, ${r.test.dims} dimensions in ${r.test.ms} ms` : 'skipped'}`);
    lines.push(`  fallback:    ${r.fallback === 'local' ? 'built-in local embedder' : 'keywords'} while the provider is down or its DNA is being built`);
    lines.push(`  DNA:         ${r.dna ?? `${r.space} is built by the daemon on its next start or reload (or now: smart-routerd dna build)`}`);
  }
  lines.push(`  models:      lightweight ${r.lightweightModels.join(', ')}; flagship ${r.flagshipModels.join(', ')}`);
  for (const note of r.notes) lines.push(`  note:        ${note}`);
  lines.push(`  ${reloadLine(reloaded)}`);
  return lines.join('\n');
}
