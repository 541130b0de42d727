import { type Config, type ProviderConfig, readSecret, type UpstreamApi } from '../config/index.js';

export { readSecret };

/**
 * Providers smart-routerd knows without configuration (their public API roots and key variables);
 * `models.providers.<id>` overrides or adds. A built-in provider is usable once its key variable
 * is set. Sources: the providers' API references; OpenClaw's provider catalogue uses the same ids.
 */
export const BUILTIN_PROVIDERS: Readonly<Record<string, { api: UpstreamApi; baseUrl: string; apiKey: string }>> = {
  anthropic: { api: 'anthropic-messages', baseUrl: 'https://api.anthropic.com', apiKey: 'env:ANTHROPIC_API_KEY' },
  openai: { api: 'openai-completions', baseUrl: 'https://api.openai.com/v1', apiKey: 'env:OPENAI_API_KEY' },
  openrouter: { api: 'openai-completions', baseUrl: 'https://openrouter.ai/api/v1', apiKey: 'env:OPENROUTER_API_KEY' },
  moonshot: { api: 'openai-completions', baseUrl: 'https://api.moonshot.ai/v1', apiKey: 'env:MOONSHOT_API_KEY' },
};

/** One upstream provider, resolved: its key read from the environment when given as a reference. */
export interface Provider {
  id: string;
  api: UpstreamApi;
  /** API root without a trailing slash. */
  baseUrl: string;
  /** The key, or null when none is configured (the request is sent without one). */
  apiKey: string | null;
  headers: Record<string, string>;
  /** Model ids the config lists for this provider (may be empty: any id is forwarded). */
  models: string[];
  builtin: boolean;
}

/** A model ref resolved to its provider and the id that provider knows. */
export interface ResolvedModel {
  /** `provider/model` as configured (after alias resolution). */
  ref: string;
  provider: Provider;
  /** The id sent upstream as `model` (everything after the first `/`). */
  model: string;
}

/**
 * The model catalogue of one config: providers (built-in and configured), aliases, and how a
 * `model` string from a client resolves. Built once per config (start, reload).
 */
export class ModelCatalog {
  readonly providers: ReadonlyMap<string, Provider>;
  /** alias → model ref. */
  readonly aliases: ReadonlyMap<string, string>;

  constructor(config: Config, env: NodeJS.ProcessEnv = process.env) {
    const providers = new Map<string, Provider>();
    for (const [id, p] of Object.entries(BUILTIN_PROVIDERS)) providers.set(id, toProvider(id, { ...p, headers: {}, models: [] }, env, true));
    for (const [id, p] of Object.entries(config.models.providers)) providers.set(id, toProvider(id, p, env, false));
    this.providers = providers;
    const aliases = new Map<string, string>();
    for (const [ref, settings] of Object.entries(config.models)) {
      if (ref === 'providers') continue;
      const alias = (settings as { alias?: string }).alias;
      if (alias) aliases.set(alias, ref);
    }
    this.aliases = aliases;
  }

  /**
   * Resolves a client's `model` (an alias or `provider/model`) to a provider and upstream id.
   * Returns null when the provider is unknown, or when the provider lists its models and this
   * one is not among them.
   */
  resolve(name: string): ResolvedModel | null {
    const ref = this.aliases.get(name) ?? name;
    const slash = ref.indexOf('/');
    if (slash === -1) return this.resolveBare(ref);
    if (slash === 0 || slash === ref.length - 1) return null;
    const provider = this.providers.get(ref.slice(0, slash));
    const model = ref.slice(slash + 1);
    if (!provider) return null;
    if (provider.models.length > 0 && !provider.models.includes(model)) return null;
    return { ref, provider, model };
  }

  /**
   * A bare model id (`claude-opus-4-5`, what an Anthropic or OpenAI SDK pointed at this gateway
   * sends) resolves to the one configured provider that lists it; null when none or several do.
   */
  private resolveBare(model: string): ResolvedModel | null {
    const owners = [...this.providers.values()].filter((p) => p.models.includes(model));
    return owners.length === 1 ? { ref: `${owners[0]!.id}/${model}`, provider: owners[0]!, model } : null;
  }

  /**
   * Model refs to list in `/v1/models` and in "unknown model" errors: every configured provider's
   * listed models, built-in providers that have a key, aliases, and `extra` (the routed names).
   */
  listed(extra: readonly string[] = []): string[] {
    const out = new Set<string>(extra);
    for (const alias of this.aliases.keys()) out.add(alias);
    for (const p of this.providers.values()) for (const m of p.models) out.add(`${p.id}/${m}`);
    for (const ref of this.aliases.values()) out.add(ref);
    return [...out];
  }
}

function toProvider(
  id: string,
  p: Pick<ProviderConfig, 'api' | 'baseUrl' | 'apiKey' | 'headers'> & { models: Array<{ id: string }> },
  env: NodeJS.ProcessEnv,
  builtin: boolean,
): Provider {
  return {
    id,
    api: p.api,
    baseUrl: p.baseUrl.replace(/\/+$/, ''),
    apiKey: readSecret(p.apiKey, env),
    headers: p.headers,
    models: p.models.map((m) => m.id),
    builtin,
  };
}
