import { DEFAULT_MODELS, KEY_REQUIRED, type RemoteProviderName } from '../../config/index.js';
import { displayUrl } from '../../embedding/index.js';
import type { EnableFlags } from '../enable.js';
import type { Prompter } from '../prompts.js';
import { type ChoiceSources, inputError } from './input.js';

/** How a remote provider is reached: its API root (unset = the provider's default), key and embedding model. */
export interface RemoteChoice {
  baseUrl: string | undefined;
  apiKey: string | undefined;
  /** Trimmed. */
  model: string;
}

/**
 * Chooses the base URL, API key and model of a remote provider, in that order. The stored ones
 * are offered only when the provider stays the same. Throws SRD_ERR_ENABLE_INPUT for an invalid
 * URL, a missing URL (custom), key or model, or more than one key flag.
 */
export async function chooseRemote(provider: RemoteProviderName, from: ChoiceSources): Promise<RemoteChoice> {
  const sameProvider = provider === from.current.memorySearch.provider;
  const baseUrl = await chooseBaseUrl(provider, sameProvider, from);
  const apiKey = await chooseApiKey(provider, sameProvider, from);
  const model = await chooseModel(provider, sameProvider, from);
  return { baseUrl, apiKey, model };
}

/** Only `custom` is asked for its URL; the others keep the stored one or use their default. */
async function chooseBaseUrl(provider: RemoteProviderName, sameProvider: boolean, { flags, ask, current }: ChoiceSources): Promise<string | undefined> {
  const keptUrl = sameProvider ? current.memorySearch.remote.baseUrl : undefined;
  const baseUrl =
    flags.baseUrl ??
    (provider === 'custom' && ask
      ? await ask.text('Base URL of the OpenAI-compatible API', { initial: keptUrl ?? 'http://127.0.0.1:11434/v1', validate: urlProblem })
      : keptUrl);
  if (baseUrl !== undefined && urlProblem(baseUrl)) throw inputError(`--base-url: ${urlProblem(baseUrl)} (got ${JSON.stringify(displayUrl(baseUrl))})`);
  if (provider === 'custom' && baseUrl === undefined)
    throw inputError('--base-url is required for provider custom (e.g. http://127.0.0.1:11434/v1 for Ollama)');
  return baseUrl;
}

/** The key from a flag, else typed (masked), else the stored one; required for KEY_REQUIRED providers. */
async function chooseApiKey(
  provider: RemoteProviderName,
  sameProvider: boolean,
  { flags, ask, current, env, readStdin }: ChoiceSources,
): Promise<string | undefined> {
  let apiKey = await keyFromFlags(flags, env, readStdin);
  const storedKey = sameProvider ? current.memorySearch.remote.apiKey : undefined;
  if (apiKey === undefined && ask) apiKey = await askApiKey(provider, storedKey, ask);
  apiKey ??= storedKey;
  if (apiKey === undefined && KEY_REQUIRED.has(provider)) {
    throw inputError(`an API key is required for provider ${provider}: pass --api-key-env VAR, --api-key-stdin or --api-key KEY, or run enable in a terminal`);
  }
  return apiKey;
}

/** Asks for the key, masked; an empty answer keeps `storedKey`. */
async function askApiKey(provider: RemoteProviderName, storedKey: string | undefined, ask: Prompter): Promise<string | undefined> {
  const needed = KEY_REQUIRED.has(provider);
  const typed = await ask.password(
    storedKey ? 'API key (leave empty to keep the stored one)' : needed ? `${provider} API key` : 'API key (leave empty if the server needs none)',
    { validate: (v) => (v === '' && needed && !storedKey ? 'a key is required for this provider' : undefined) },
  );
  return typed === '' ? storedKey : typed.trim();
}

/** The key from --api-key, --api-key-env or --api-key-stdin (at most one), trimmed; undefined when none is given. */
async function keyFromFlags(flags: EnableFlags, env: NodeJS.ProcessEnv, readStdin?: () => Promise<string>): Promise<string | undefined> {
  const given = [flags.apiKey !== undefined, flags.apiKeyEnv !== undefined, Boolean(flags.apiKeyStdin)].filter(Boolean).length;
  if (given > 1) throw inputError('give only one of --api-key, --api-key-env and --api-key-stdin');
  if (flags.apiKey !== undefined) return nonEmpty(flags.apiKey, '--api-key');
  if (flags.apiKeyEnv !== undefined) {
    const value = env[flags.apiKeyEnv];
    if (!value) throw inputError(`--api-key-env ${flags.apiKeyEnv}: that environment variable is not set`);
    return nonEmpty(value, `--api-key-env ${flags.apiKeyEnv}`);
  }
  if (flags.apiKeyStdin) return nonEmpty(await (readStdin ?? readAllStdin)(), '--api-key-stdin');
  return undefined;
}

function nonEmpty(value: string, what: string): string {
  const v = value.trim();
  if (v === '') throw inputError(`${what}: the key is empty`);
  return v;
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The stored model when the provider stays, else the provider's default; `custom` has none and needs one. */
async function chooseModel(provider: RemoteProviderName, sameProvider: boolean, { flags, ask, current }: ChoiceSources): Promise<string> {
  const keptModel = sameProvider ? current.memorySearch.model : DEFAULT_MODELS[provider];
  const model =
    flags.model ??
    (ask
      ? await ask.text('Embedding model', {
          ...(keptModel ? { initial: keptModel } : { placeholder: 'e.g. nomic-embed-text' }),
          validate: (v) => (v.trim() === '' ? 'required' : undefined),
        })
      : keptModel);
  if (!model) throw inputError(`--model is required for provider ${provider} (the embedding model your server serves)`);
  return model.trim();
}

function urlProblem(value: string): string | undefined {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'must be an http:// or https:// URL';
  } catch {
    return 'must be an http:// or https:// URL';
  }
}
