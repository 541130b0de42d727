import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { type Config, type ConfigPaths, DEFAULT_MODELS, KEY_REQUIRED, PROVIDERS, type ProviderName, readConfigFile, validateConfig } from '../config/index.js';
import { createRemoteEmbedder, displayUrl, remoteBaseUrl, sendsDimensions, spaceId } from '../embedding/index.js';
import { isSrdError, SrdError } from '../errors.js';
import { dnaCandidates } from '../intent-model/index.js';
import type { Choice, Prompter } from './prompts.js';

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

const PROVIDER_CHOICES: Choice<ProviderName>[] = [
  { value: 'local', label: 'local', hint: 'built in, offline, no key' },
  { value: 'openai', label: 'OpenAI', hint: 'text-embedding-3-small' },
  { value: 'siliconflow', label: 'SiliconFlow', hint: 'Qwen/Qwen3-Embedding-0.6B' },
  { value: 'gemini', label: 'Google Gemini', hint: 'gemini-embedding-001' },
  { value: 'custom', label: 'OpenAI-compatible server', hint: 'Ollama, LM Studio, vLLM, LiteLLM, …' },
];

/**
 * `smart-routerd enable`: chooses the embedding provider, key, models and fallback (from flags,
 * else by asking, else from the current config), tests the provider with one real call, and
 * writes config.json with mode 0600 (`enabled: true`). Nothing is written when a step fails.
 * Throws SRD_ERR_ENABLE_INPUT (missing/invalid value, cancelled), SRD_ERR_CONFIG_INVALID,
 * SRD_ERR_EMBED_* (the test call failed), or file-system errors. Rule: issue 6.
 */
export async function runEnable(flags: EnableFlags, ctx: EnableContext): Promise<EnableResult> {
  const env = ctx.env ?? process.env;
  const ask = ctx.prompter;
  const { configPath } = ctx.paths;
  const raw = readRaw(configPath);
  const current = currentConfig(raw, configPath);
  const notes: string[] = [];
  ask?.intro('smart-routerd: smart routing setup');

  const chosen =
    flags.provider ??
    (ask
      ? await ask.select('Embedding provider (routing runs in its embedding space)', PROVIDER_CHOICES, current.memorySearch.provider)
      : current.memorySearch.provider);
  if (!isProvider(chosen)) throw input(`--provider must be one of ${PROVIDERS.join(', ')} (got ${JSON.stringify(chosen)})`);
  const provider: ProviderName = chosen;
  const sameProvider = provider === current.memorySearch.provider;
  const rawMemory = (obj(raw.memorySearch) ?? {}) as Record<string, unknown>;
  const rawRemote = (obj(rawMemory.remote) ?? {}) as Record<string, unknown>;

  let baseUrl: string | undefined;
  let apiKey: string | undefined;
  let model: string | undefined;
  if (provider !== 'local') {
    const keptUrl = sameProvider ? current.memorySearch.remote.baseUrl : undefined;
    baseUrl =
      flags.baseUrl ??
      (provider === 'custom' && ask
        ? await ask.text('Base URL of the OpenAI-compatible API', { initial: keptUrl ?? 'http://127.0.0.1:11434/v1', validate: urlProblem })
        : keptUrl);
    if (baseUrl !== undefined && urlProblem(baseUrl)) throw input(`--base-url: ${urlProblem(baseUrl)} (got ${JSON.stringify(displayUrl(baseUrl))})`);
    if (provider === 'custom' && baseUrl === undefined) throw input('--base-url is required for provider custom (e.g. http://127.0.0.1:11434/v1 for Ollama)');

    apiKey = await keyFrom(flags, env, ctx.readStdin);
    const storedKey = sameProvider ? current.memorySearch.remote.apiKey : undefined;
    if (apiKey === undefined && ask) {
      const needed = KEY_REQUIRED.has(provider);
      const typed = await ask.password(
        storedKey ? 'API key (leave empty to keep the stored one)' : needed ? `${provider} API key` : 'API key (leave empty if the server needs none)',
        { validate: (v) => (v === '' && needed && !storedKey ? 'a key is required for this provider' : undefined) },
      );
      apiKey = typed === '' ? storedKey : typed.trim();
    }
    apiKey ??= storedKey;
    if (apiKey === undefined && KEY_REQUIRED.has(provider)) {
      throw input(`an API key is required for provider ${provider}: pass --api-key-env VAR, --api-key-stdin or --api-key KEY, or run enable in a terminal`);
    }

    const keptModel = sameProvider ? current.memorySearch.model : DEFAULT_MODELS[provider];
    model =
      flags.model ??
      (ask
        ? await ask.text('Embedding model', {
            ...(keptModel ? { initial: keptModel } : { placeholder: 'e.g. nomic-embed-text' }),
            validate: (v) => (v.trim() === '' ? 'required' : undefined),
          })
        : keptModel);
    if (!model) throw input(`--model is required for provider ${provider} (the embedding model your server serves)`);
    model = model.trim();
  }

  const list = (value: string) =>
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const lightweight =
    flags.lightweight !== undefined
      ? list(flags.lightweight)
      : ask
        ? list(
            await ask.text('Lightweight model(s), comma-separated (the first is the default)', {
              initial: current.lightweightModels.join(', '),
              validate: (v) => (list(v).length === 0 ? 'at least one model' : undefined),
            }),
          )
        : current.lightweightModels;
  const flagship =
    flags.flagship !== undefined
      ? list(flags.flagship)
      : ask
        ? list(
            await ask.text('Flagship model(s), comma-separated (the first is the default)', {
              initial: current.flagshipModels.join(', '),
              validate: (v) => (list(v).length === 0 ? 'at least one model' : undefined),
            }),
          )
        : current.flagshipModels;
  if (lightweight.length === 0 || flagship.length === 0) throw input('--lightweight and --flagship each need at least one model');

  let fallback = current.memorySearch.fallback;
  if (flags.fallback !== undefined) {
    if (flags.fallback !== 'local' && flags.fallback !== 'keywords')
      throw input(`--fallback must be local or keywords (got ${JSON.stringify(flags.fallback)})`);
    fallback = flags.fallback;
  } else if (ask && provider !== 'local') {
    fallback = await ask.select(
      'When the provider is down or its DNA is still being built, route with',
      [
        { value: 'local', label: 'the built-in local embedder', hint: 'offline, recommended' },
        { value: 'keywords', label: 'keyword rules only' },
      ],
      fallback,
    );
  }

  let dims = current.vectorStore.vectorDim;
  if (flags.dims !== undefined) {
    dims = Number(flags.dims);
    if (!Number.isInteger(dims) || dims < 8 || dims > 8192) throw input(`--dims must be an integer in 8..8192 (got ${JSON.stringify(flags.dims)})`);
  }

  // The new file: the old one with the chosen values; keys the user set by hand stay.
  const next: Record<string, unknown> = structuredClone(raw);
  next.enabled = true;
  const memory: Record<string, unknown> = { ...rawMemory, provider, fallback };
  const remote: Record<string, unknown> = { ...rawRemote };
  if (provider === 'local') delete memory.model;
  else {
    memory.model = model;
    if (baseUrl !== undefined) remote.baseUrl = baseUrl;
    else delete remote.baseUrl;
    if (apiKey !== undefined) remote.apiKey = apiKey;
    else delete remote.apiKey;
  }
  if (Object.keys(remote).length > 0) memory.remote = remote;
  else delete memory.remote;
  next.memorySearch = memory;
  if (obj(raw.vectorStore) || dims !== current.vectorStore.vectorDim || flags.dims !== undefined)
    next.vectorStore = { ...(obj(raw.vectorStore) ?? {}), vectorDim: dims };
  next.lightweightModels = lightweight;
  next.flagshipModels = flagship;
  if (typeof next.defaultLightweightModel === 'string' && !lightweight.includes(next.defaultLightweightModel)) delete next.defaultLightweightModel;
  if (typeof next.defaultFlagshipModel === 'string' && !flagship.includes(next.defaultFlagshipModel)) delete next.defaultFlagshipModel;
  let config = validateConfig(next, configPath);

  let test: EnableResult['test'] = null;
  if (provider !== 'local' && flags.test !== false) {
    const spin = ask?.spinner();
    spin?.start(`Testing ${provider}/${config.memorySearch.model} with one real call`);
    const embedder = createRemoteEmbedder({ ...config, embedding: { ...config.embedding, maxRetries: 0 } });
    try {
      test = await embedder.probe();
      spin?.stop(`${provider} answered: ${test.dims} dimensions in ${test.ms} ms`);
    } catch (err) {
      spin?.error(`${provider} test failed`);
      const why = isSrdError(err) ? `${err.code}: ${err.message}` : String(err);
      if (!ask || !(await ask.confirm(`The provider test failed (${why}). Write the configuration anyway?`, false))) {
        throw new SrdError(
          isSrdError(err) ? err.code : 'SRD_ERR_EMBED_FAILED',
          `provider test failed, nothing was written: ${isSrdError(err) ? err.message : String(err)} (--no-test skips the test)`,
        );
      }
      notes.push(`the provider test failed (${why}); written anyway`);
    } finally {
      await embedder.close();
    }
    if (test && test.dims !== dims) {
      if (flags.dims !== undefined) {
        throw input(
          `the model returned ${test.dims} dimensions although ${dims} were asked for${sendsDimensions(config) ? '' : ' (it is not known to take `dimensions`)'}; run again with --dims ${test.dims}`,
        );
      }
      // The model has a fixed size (it ignored or was not sent `dimensions`): adopt it, so every vector is checked against it.
      dims = test.dims;
      next.vectorStore = { ...(obj(next.vectorStore) ?? {}), vectorDim: dims };
      if (sendsDimensions(config)) memory.remote = { ...(obj(memory.remote) ?? {}), sendDimensions: 'never' };
      config = validateConfig(next, configPath);
      notes.push(`vectorStore.vectorDim set to ${dims}, the size ${config.memorySearch.model} returns`);
    }
  } else if (provider !== 'local') {
    notes.push('provider not tested (--no-test)');
  }

  await mkdir(path.dirname(configPath), { recursive: true, mode: 0o700 });
  await writeFileAtomic(configPath, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  await chmod(configPath, 0o600);

  const space = provider === 'local' ? null : { provider, model: config.memorySearch.model, dims };
  const dna = space ? (dnaCandidates(ctx.paths.stateDir, space).find((file) => existsSync(file)) ?? null) : null;
  return {
    configPath,
    provider,
    model: config.memorySearch.model,
    dims,
    baseUrl: provider === 'local' ? null : displayUrl(remoteBaseUrl(config)),
    apiKey: config.memorySearch.remote.apiKey ? 'set' : 'unset',
    fallback: config.memorySearch.fallback,
    lightweightModels: lightweight,
    flagshipModels: flagship,
    test,
    notes,
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
  await mkdir(path.dirname(configPath), { recursive: true, mode: 0o700 });
  await writeFileAtomic(configPath, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  await chmod(configPath, 0o600);
  return { configPath, lightweightModel: config.defaultLightweightModel ?? config.lightweightModels[0] ?? 'lightweight' };
}

function readRaw(configPath: string): Record<string, unknown> {
  return existsSync(configPath) ? readConfigFile(configPath) : {};
}

/** The file's config when valid, else the defaults (enable is how a broken provider setup gets fixed). */
function currentConfig(raw: Record<string, unknown>, configPath: string): Config {
  try {
    return validateConfig(raw, configPath);
  } catch {
    return validateConfig({}, '(defaults)');
  }
}

function isProvider(value: string): value is ProviderName {
  return (PROVIDERS as readonly string[]).includes(value);
}

async function keyFrom(flags: EnableFlags, env: NodeJS.ProcessEnv, readStdin?: () => Promise<string>): Promise<string | undefined> {
  const given = [flags.apiKey !== undefined, flags.apiKeyEnv !== undefined, Boolean(flags.apiKeyStdin)].filter(Boolean).length;
  if (given > 1) throw input('give only one of --api-key, --api-key-env and --api-key-stdin');
  if (flags.apiKey !== undefined) return nonEmpty(flags.apiKey, '--api-key');
  if (flags.apiKeyEnv !== undefined) {
    const value = env[flags.apiKeyEnv];
    if (!value) throw input(`--api-key-env ${flags.apiKeyEnv}: that environment variable is not set`);
    return nonEmpty(value, `--api-key-env ${flags.apiKeyEnv}`);
  }
  if (flags.apiKeyStdin) return nonEmpty(await (readStdin ?? readAllStdin)(), '--api-key-stdin');
  return undefined;
}

function nonEmpty(value: string, what: string): string {
  const v = value.trim();
  if (v === '') throw input(`${what}: the key is empty`);
  return v;
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function urlProblem(value: string): string | undefined {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'must be an http:// or https:// URL';
  } catch {
    return 'must be an http:// or https:// URL';
  }
}

function obj(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function input(message: string): SrdError {
  return new SrdError('SRD_ERR_ENABLE_INPUT', message);
}
