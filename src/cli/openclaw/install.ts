import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { PLUGIN_ID, pluginDir, type RouteOutcome, resolveSettings, SmartRouter, type SocketLike, writePluginPackage } from '../../plugin/index.js';

/** Options of installPlugin. */
export interface InstallOptions {
  /** The OpenClaw CLI as argv prefix (default `["openclaw"]`, e.g. `["node", "/x/openclaw.mjs"]`). */
  openclaw?: string[];
  /** Environment of the OpenClaw CLI (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Non-interactive: pass `--force --accept-capabilities` to `openclaw plugins install` (the
   * local-source confirmation and the capability consent OpenClaw otherwise asks for).
   */
  yes?: boolean;
  /** Keys to set under `plugins.entries.smart-routerd.config` (url, token, tokenFile, flagshipModels, …). */
  config?: Record<string, unknown>;
  /** `inherit` (default) shows OpenClaw's prompts and output; `pipe` captures them. */
  stdio?: 'inherit' | 'pipe';
  /** The plugin directory to link (default the package's dist/plugin). */
  dir?: string;
}

/** One OpenClaw CLI run. */
export interface CommandRun {
  args: string[];
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** An OpenClaw command that failed; `run` has its output when captured. */
export class InstallError extends Error {
  constructor(
    message: string,
    readonly run?: CommandRun,
  ) {
    super(message);
    this.name = 'InstallError';
  }
}

/**
 * Installs the plugin into OpenClaw with its own CLI, the documented way
 * (docs/cli/plugins/install.md, docs/plugins/hooks.md):
 *   1. complete dist/plugin/ with openclaw.plugin.json + package.json (no-op when present);
 *   2. `openclaw plugins install --link <dir>` (adds it to plugins.load.paths and enables it);
 *   3. `openclaw config set --batch-json …`: `plugins.entries.smart-routerd.hooks.allowConversationAccess`
 *      = true (OpenClaw withholds before_model_resolve from non-bundled plugins without it) and
 *      each given config key.
 * Throws InstallError naming the command that failed.
 */
export async function installPlugin(options: InstallOptions = {}): Promise<{ dir: string; runs: CommandRun[] }> {
  const dir = options.dir ?? pluginDir();
  writePluginPackage(dir);
  const runs: CommandRun[] = [];
  const run = async (args: string[]) => {
    const r = await runOpenclaw(options, args);
    runs.push(r);
    if (r.status !== 0) {
      const output = `${r.stdout}${r.stderr}`.trim();
      throw new InstallError(`\`openclaw ${args.join(' ')}\` failed with exit code ${r.status}${output ? `:\n${output}` : ''}`, r);
    }
  };
  await run(['plugins', 'install', '--link', dir, ...(options.yes ? ['--force', '--accept-capabilities'] : [])]);
  const entry = `plugins.entries.${PLUGIN_ID}`;
  const batch = [
    { path: `${entry}.hooks.allowConversationAccess`, value: true },
    ...Object.entries(options.config ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => ({ path: `${entry}.config.${key}`, value })),
  ];
  await run(['config', 'set', '--batch-json', JSON.stringify(batch)]);
  return { dir, runs };
}

/**
 * Routes one message the way the installed plugin will, with its settings resolution (plugin
 * config → SMART_ROUTERD_* → the daemon's config and token file): proof that the plugin, as
 * configured, reaches the daemon. Never throws.
 */
export async function checkDaemon(
  pluginConfig: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 3000,
): Promise<{ url: string; outcome: RouteOutcome }> {
  const settings = resolveSettings(pluginConfig, env);
  const quiet = { info: () => undefined, warn: () => undefined };
  const router = new SmartRouter({
    url: settings.url,
    token: settings.token,
    socket: (url) => new WebSocket(url, { perMessageDeflate: false }) as unknown as SocketLike,
    logger: quiet,
    version: 'smart-routerd-install-check',
    backoff: { initialMs: 60_000, maxMs: 60_000 },
  });
  try {
    return { url: settings.url, outcome: await router.route('hello', timeoutMs) };
  } finally {
    router.close();
  }
}

function runOpenclaw(options: InstallOptions, args: string[]): Promise<CommandRun> {
  const [command, ...prefix] = options.openclaw ?? ['openclaw'];
  const started = performance.now();
  const stdio = options.stdio ?? 'inherit';
  return new Promise((resolve, reject) => {
    const child = spawn(command!, [...prefix, ...args], {
      env: options.env ?? process.env,
      stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err) =>
      reject(
        new InstallError(
          `cannot run \`${command}\` (${(err as NodeJS.ErrnoException).code ?? err.message}); is OpenClaw installed? Pass --openclaw <command>.`,
        ),
      ),
    );
    child.once('close', (status) => resolve({ args, status, stdout, stderr, ms: Math.round(performance.now() - started) }));
  });
}
