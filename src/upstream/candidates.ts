import type { Config } from '../config/index.js';
import { type CooldownStore, pairKey } from './cooldowns.js';
import { type ModelCatalog, type Provider, type ResolvedModel, readSecret } from './providers.js';

/** One auth profile: a key for one provider (openclaw.json `auth.profiles["openrouter:default"]`). */
export interface AuthProfile {
  id: string;
  provider: string;
  apiKey: string | null;
}

/** One thing to try: a model of the chain with one of its provider's profiles. */
export interface Candidate extends ResolvedModel {
  profile: AuthProfile;
  /** The model's context window in tokens, when configured. */
  contextWindow: number | null;
}

/** Why a model or profile of the chain was not tried. */
export interface Skipped {
  ref: string;
  profile: string | null;
  reason: string;
  /** Ms until it is ready again, when it is cooling down. */
  readyInMs: number;
}

/**
 * Auth profiles of every provider: `auth.profiles` entries (provider = the part before the colon
 * unless given) and, for a provider with its own `apiKey` and no `<id>:default` profile, that key as
 * `<id>:default`. Keys are read from the environment now (`env:NAME`).
 */
export function authProfiles(config: Config, catalog: ModelCatalog, env: NodeJS.ProcessEnv): Map<string, AuthProfile[]> {
  const out = new Map<string, AuthProfile[]>();
  const add = (p: AuthProfile) => out.set(p.provider, [...(out.get(p.provider) ?? []), p]);
  for (const [id, p] of Object.entries(config.auth.profiles))
    add({ id, provider: p.provider ?? id.slice(0, id.indexOf(':')), apiKey: readSecret(p.apiKey, env) });
  for (const provider of catalog.providers.values()) {
    if (!out.get(provider.id)?.some((p) => p.id === `${provider.id}:default`)) {
      const own = { id: `${provider.id}:default`, provider: provider.id, apiKey: provider.apiKey };
      out.set(provider.id, [own, ...(out.get(provider.id) ?? [])]);
    }
  }
  return out;
}

/**
 * The model chain of a request (issue 13): the primary, then the fallbacks of the first of these
 * that names the primary: the decision's intent route (`routing.routes.<INTENT>`), the tier's chain
 * (`routing.tiers.<tier>`), the model's own `models.<ref>.fallbacks`. Aliases are resolved; refs are
 * deduplicated; an unresolvable ref stays (it is reported as skipped).
 */
export function modelChain(
  config: Config,
  catalog: ModelCatalog,
  primary: string,
  decision: { intent: string | null; tier: 'flagship' | 'lightweight' } | null,
): string[] {
  const canon = (name: string) => catalog.resolve(name)?.ref ?? name;
  const head = canon(primary);
  let fallbacks: string[] | undefined;
  if (decision?.intent) {
    const route = config.routing.routes[decision.intent as keyof Config['routing']['routes']];
    if (route) {
      const [p, ...f] = Array.isArray(route) ? route : [route.primary, ...route.fallbacks];
      if (canon(p!) === head) fallbacks = f;
    }
  }
  if (!fallbacks && decision) {
    const tier = config.routing.tiers[decision.tier];
    const tierPrimary = tier?.primary ?? (decision.tier === 'flagship' ? config.defaultFlagshipModel : config.defaultLightweightModel);
    if (tier && (!tierPrimary || canon(tierPrimary) === head)) fallbacks = tier.fallbacks;
  }
  fallbacks ??= (config.models as Record<string, { fallbacks?: string[] }>)[head]?.fallbacks ?? [];
  return [...new Set([head, ...fallbacks.map(canon)])];
}

/**
 * The candidates of a chain, in order: each model with each of its provider's profiles,
 * least-recently-failed first, minus those cooling down (returned as `skipped`, with the time they
 * are ready again). Rule: issue 13 ("rotated when one is cooling down or rate-limited,
 * least-recently-failed first").
 */
export function candidates(
  chain: string[],
  catalog: ModelCatalog,
  profiles: Map<string, AuthProfile[]>,
  cooldowns: CooldownStore,
  contextWindow: (ref: string, provider: Provider, model: string) => number | null,
): { candidates: Candidate[]; skipped: Skipped[] } {
  const out: Candidate[] = [];
  const skipped: Skipped[] = [];
  for (const ref of chain) {
    const resolved = catalog.resolve(ref);
    if (!resolved) {
      skipped.push({ ref, profile: null, reason: 'no provider serves it', readyInMs: 0 });
      continue;
    }
    const own = [...(profiles.get(resolved.provider.id) ?? [])].sort(
      (a, b) => cooldowns.lastFailure(a.id, resolved.ref) - cooldowns.lastFailure(b.id, resolved.ref),
    );
    for (const profile of own) {
      const wait = Math.max(cooldowns.remainingMs(profile.id), cooldowns.remainingMs(pairKey(profile.id, resolved.ref)));
      if (wait > 0) {
        skipped.push({ ref: resolved.ref, profile: profile.id, reason: 'cooling down', readyInMs: wait });
        continue;
      }
      out.push({ ...resolved, profile, contextWindow: contextWindow(resolved.ref, resolved.provider, resolved.model) });
    }
  }
  return { candidates: out, skipped };
}
