import { type Config, PROVIDERS, type ProviderName } from '../../config/index.js';
import type { Choice, Prompter } from '../prompts.js';
import { type ChoiceSources, inputError } from './input.js';
import { chooseRemote, type RemoteChoice } from './remote-choices.js';

/** Every setting `enable` writes, as chosen. */
export interface ChosenSettings {
  provider: ProviderName;
  /** Null for the local provider. */
  remote: RemoteChoice | null;
  lightweight: string[];
  flagship: string[];
  fallback: Config['memorySearch']['fallback'];
  /** vectorStore.vectorDim before the provider test (which may adopt the model's own size). */
  dims: number;
}

const PROVIDER_CHOICES: Choice<ProviderName>[] = [
  { value: 'local', label: 'local', hint: 'built in, offline, no key' },
  { value: 'openai', label: 'OpenAI', hint: 'text-embedding-3-small' },
  { value: 'siliconflow', label: 'SiliconFlow', hint: 'Qwen/Qwen3-Embedding-0.6B' },
  { value: 'gemini', label: 'Google Gemini', hint: 'gemini-embedding-001' },
  { value: 'custom', label: 'OpenAI-compatible server', hint: 'Ollama, LM Studio, vLLM, LiteLLM, …' },
];

/**
 * Chooses every setting, each from its flag, else by asking, else from the current config, in the
 * order the questions are asked: provider, its URL, key and model, the tier models, the fallback,
 * the size. Throws SRD_ERR_ENABLE_INPUT for a missing or invalid value (or a cancelled prompt).
 */
export async function chooseSettings(from: ChoiceSources): Promise<ChosenSettings> {
  const provider = await chooseProvider(from);
  const remote = provider === 'local' ? null : await chooseRemote(provider, from);
  const lightweight = await chooseModelList('Lightweight', from.flags.lightweight, from.current.lightweightModels, from.ask);
  const flagship = await chooseModelList('Flagship', from.flags.flagship, from.current.flagshipModels, from.ask);
  if (lightweight.length === 0 || flagship.length === 0) throw inputError('--lightweight and --flagship each need at least one model');
  const fallback = await chooseFallback(provider, from);
  const dims = chooseDims(from);
  return { provider, remote, lightweight, flagship, fallback, dims };
}

async function chooseProvider({ flags, ask, current }: ChoiceSources): Promise<ProviderName> {
  const chosen =
    flags.provider ??
    (ask
      ? await ask.select('Embedding provider (routing runs in its embedding space)', PROVIDER_CHOICES, current.memorySearch.provider)
      : current.memorySearch.provider);
  if (!isProvider(chosen)) throw inputError(`--provider must be one of ${PROVIDERS.join(', ')} (got ${JSON.stringify(chosen)})`);
  return chosen;
}

function isProvider(value: string): value is ProviderName {
  return (PROVIDERS as readonly string[]).includes(value);
}

/** The models of one tier, from the comma-separated flag, else asked (the current list pre-filled), else the current list. */
async function chooseModelList(tier: 'Lightweight' | 'Flagship', flag: string | undefined, current: string[], ask: Prompter | undefined): Promise<string[]> {
  if (flag !== undefined) return modelList(flag);
  if (!ask) return current;
  return modelList(
    await ask.text(`${tier} model(s), comma-separated (the first is the default)`, {
      initial: current.join(', '),
      validate: (v) => (modelList(v).length === 0 ? 'at least one model' : undefined),
    }),
  );
}

function modelList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** How to route while a remote provider is down or its DNA is being built; the local provider is never asked. */
async function chooseFallback(provider: ProviderName, { flags, ask, current }: ChoiceSources): Promise<ChosenSettings['fallback']> {
  if (flags.fallback !== undefined) {
    if (flags.fallback !== 'local' && flags.fallback !== 'keywords')
      throw inputError(`--fallback must be local or keywords (got ${JSON.stringify(flags.fallback)})`);
    return flags.fallback;
  }
  if (!ask || provider === 'local') return current.memorySearch.fallback;
  return ask.select(
    'When the provider is down or its DNA is still being built, route with',
    [
      { value: 'local', label: 'the built-in local embedder', hint: 'offline, recommended' },
      { value: 'keywords', label: 'keyword rules only' },
    ],
    current.memorySearch.fallback,
  );
}

/** --dims (an integer in 8..8192), else the current vectorStore.vectorDim. */
function chooseDims({ flags, current }: ChoiceSources): number {
  if (flags.dims === undefined) return current.vectorStore.vectorDim;
  const dims = Number(flags.dims);
  if (!Number.isInteger(dims) || dims < 8 || dims > 8192) throw inputError(`--dims must be an integer in 8..8192 (got ${JSON.stringify(flags.dims)})`);
  return dims;
}
