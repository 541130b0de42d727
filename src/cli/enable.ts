import { existsSync } from 'node:fs';
import { type ConfigPaths, type ProviderName, validateConfig } from '../config/index.js';
import { displayUrl, remoteBaseUrl, spaceId } from '../embedding/index.js';
import { dnaCandidates } from '../intent-model/index.js';
import { type ChosenSettings, chooseSettings } from './enable/choices.js';
import { currentConfig, nextConfigFile, readRaw, writeConfigFile } from './enable/config-file.js';
import { type TestedConfig, testProvider } from './enable/provider-test.js';
import type { Prompter } from './prompts.js';

/** Flags of `smart-routerd enable` (commander camel-cases them). */
export interface EnableFlags {
  provider?: string;
  model?: string;
  apiKey?: string;
  apiKeyEnv?: string;
  apiKeyStdin?: boolean;
  baseUrl?: string;
  dims?: string;
  lightweight?: string;
  flagship?: string;
  fallback?: string;
  /** false with --no-test. */
  test?: boolean;
  /** Never prompt. */
  yes?: boolean;
}

/** What enable needs besides flags; the command wires the real ones, tests their own. */
export interface EnableContext {
  paths: Omit<ConfigPaths, 'configExists'>;
  /** Asks the user; absent = non-interactive (a missing required value is an error). */
  prompter?: Prompter | undefined;
  env?: NodeJS.ProcessEnv;
  /** Reads the key for --api-key-stdin. */
  readStdin?: () => Promise<string>;
}

/** The outcome, printed by the command (text or --json). Never holds the key. */
export interface EnableResult {
  configPath: string;
  provider: ProviderName;
  model: string;
  dims: number;
  baseUrl: string | null;
  apiKey: 'set' | 'unset';
  fallback: 'local' | 'keywords';
  lightweightModels: string[];
  flagshipModels: string[];
  /** The one real provider call; null when skipped (--no-test) or provider local. */
  test: { dims: number; ms: number } | null;
  /** Notes for the user (size adopted from the model, test skipped, …). */
  notes: string[];
  /** DNA of the configured space: the file in use, or null when the daemon will build it. */
  dna: string | null;
  space: string;
}

/**
 * `smart-routerd enable`: chooses the embedding provider, key, models and fallback (from flags,
 * else by asking, else from the current config), tests the provider with one real call, and
 * writes config.json with mode 0600 (`enabled: true`). Nothing is written when a step fails.
 * Throws SRD_ERR_ENABLE_INPUT (missing/invalid value, cancelled), SRD_ERR_CONFIG_INVALID,
 * SRD_ERR_EMBED_* (the test call failed), or file-system errors. Rule: issue 6.
 */
export async function runEnable(flags: EnableFlags, ctx: EnableContext): Promise<EnableResult> {
  const { configPath } = ctx.paths;
  const raw = readRaw(configPath);
  const current = currentConfig(raw, configPath);
  ctx.prompter?.intro('smart-routerd: smart routing setup');
  const chosen = await chooseSettings({ flags, ask: ctx.prompter, current, env: ctx.env ?? process.env, readStdin: ctx.readStdin });
  const next = nextConfigFile(raw, current, chosen, flags.dims !== undefined);
  const config = validateConfig(next, configPath);
  const tested = await testProvider(next, config, chosen, { flags, ask: ctx.prompter, configPath });
  await writeConfigFile(configPath, next);
  return enableResult(ctx.paths, chosen, tested);
}

/** What `enable` reports: the written settings (no key), the test, and the DNA file of the space if one exists. */
function enableResult(paths: EnableContext['paths'], { provider, lightweight, flagship }: ChosenSettings, tested: TestedConfig): EnableResult {
  const { config, dims } = tested;
  const space = provider === 'local' ? null : { provider, model: config.memorySearch.model, dims };
  const dna = space ? (dnaCandidates(paths.stateDir, space).find((file) => existsSync(file)) ?? null) : null;
  return {
    configPath: paths.configPath,
    provider,
    model: config.memorySearch.model,
    dims,
    baseUrl: provider === 'local' ? null : displayUrl(remoteBaseUrl(config)),
    apiKey: config.memorySearch.remote.apiKey ? 'set' : 'unset',
    fallback: config.memorySearch.fallback,
    lightweightModels: lightweight,
    flagshipModels: flagship,
    test: tested.test,
    notes: tested.notes,
    dna,
    space: space ? spaceId(space) : 'local',
  };
}

/**
 * `smart-routerd disable`: writes `enabled: false` into config.json (mode 0600), keeping every
 * other key; the daemon then sends every message to the lightweight model. Returns the file.
 */
export async function runDisable(ctx: EnableContext): Promise<{ configPath: string; lightweightModel: string }> {
  const { configPath } = ctx.paths;
  const raw = readRaw(configPath);
  const next = { ...raw, enabled: false };
  const config = validateConfig(next, configPath);
  await writeConfigFile(configPath, next);
  return { configPath, lightweightModel: config.defaultLightweightModel ?? config.lightweightModels[0] ?? 'lightweight' };
}
