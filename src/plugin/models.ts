import type { Tier } from './prefix.js';

/** What `before_model_resolve` returns to switch the model of one agent turn. */
export interface ModelOverride {
  providerOverride?: string;
  modelOverride: string;
}

/** The model lists of the plugin settings. */
export interface TierModels {
  flagshipModels: readonly string[];
  lightweightModels: readonly string[];
}

/**
 * The OpenClaw model ref for a decision. With a list configured for the tier, the daemon's
 * `selectedModel` is kept when the list contains it (so the daemon may choose among several)
 * and the list's first ref is used otherwise; without a list, `selectedModel` itself is the ref
 * (the daemon's `flagshipModels`/`lightweightModels` are OpenClaw refs too). Null when neither
 * gives a ref.
 */
export function modelRefFor(tier: Tier, selectedModel: string | undefined, models: TierModels): string | null {
  const list = tier === 'flagship' ? models.flagshipModels : models.lightweightModels;
  const selected = selectedModel?.trim() || undefined;
  if (list.length > 0) return selected !== undefined && list.includes(selected) ? selected : list[0]!;
  return selected ?? null;
}

/**
 * Splits an OpenClaw model ref at its first "/": `provider/model` → both overrides (model ids may
 * contain further slashes, as in `openrouter/anthropic/claude-opus-4-5`); a bare id overrides
 * the model only and keeps the turn's provider.
 */
export function toOverride(ref: string): ModelOverride {
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1) return { modelOverride: ref };
  return { providerOverride: ref.slice(0, slash), modelOverride: ref.slice(slash + 1) };
}
