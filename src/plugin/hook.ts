import { type ModelOverride, modelRefFor, toOverride } from './models.js';
import { matchPrefix, userText } from './prefix.js';
import type { Logger, SmartRouter } from './router.js';
import type { PluginSettings } from './settings.js';
import type { AgentHookContext, ModelResolveEvent, ModelResolveHandler } from './types.js';

/** Turns that are not the user's request and keep OpenClaw's own model choice. */
const SKIPPED_TRIGGERS = new Set(['heartbeat']);

/**
 * The `before_model_resolve` handler: the user's text (never the system prompt: this hook only
 * sees the current prompt) goes to the daemon as `route`, and the decision comes back as
 * `providerOverride`/`modelOverride`. A message starting with a tier prefix is decided from the
 * prefix at once when that tier has configured refs (the daemon still receives it, to learn).
 * Without a decision within `settings.timeoutMs` the handler returns nothing, so OpenClaw uses
 * its configured model (fail open).
 */
export function createModelResolveHandler(settings: PluginSettings, router: () => SmartRouter, logger: Logger): ModelResolveHandler {
  return async (event: ModelResolveEvent, ctx?: AgentHookContext): Promise<ModelOverride | undefined> => {
    const started = performance.now();
    if (ctx?.trigger && SKIPPED_TRIGGERS.has(ctx.trigger)) return undefined;
    const text = userText(typeof event?.prompt === 'string' ? event.prompt : '', settings.prefix);
    if (text.trim() === '') return undefined;
    const forced = matchPrefix(text, settings.prefix);
    if (forced) {
      const ref = modelRefFor(forced.tier, undefined, settings);
      if (ref) {
        router().learn(text);
        report(`${forced.tier} → ${ref} (prefix "${forced.prefix}", decided by the plugin)`, started);
        return toOverride(ref);
      }
    }
    const outcome = await router().route(text, settings.timeoutMs, forced !== null);
    if (!outcome.ok) {
      logger.debug?.(`smart-routerd: no decision (${outcome.kind}: ${outcome.reason}); OpenClaw's configured model answers`);
      return undefined;
    }
    const d = outcome.decision;
    const ref = modelRefFor(d.modelTier, d.selectedModel, settings);
    if (!ref) {
      logger.debug?.(`smart-routerd: ${d.modelTier} decision without a model ref; set ${d.modelTier}Models in the plugin config`);
      return undefined;
    }
    const why = [d.intent, d.source].filter(Boolean).join(' via ');
    const confidence = typeof d.confidence === 'number' ? `, confidence ${d.confidence.toFixed(2)}` : '';
    report(`${d.modelTier} → ${ref} (${why || 'daemon'}${confidence}; route ${outcome.ms.toFixed(2)} ms)`, started);
    return toOverride(ref);
  };

  function report(what: string, started: number): void {
    const line = `smart-routerd: ${what}; hook ${(performance.now() - started).toFixed(2)} ms`;
    if (settings.logDecisions) logger.info(line);
    else logger.debug?.(line);
  }
}
