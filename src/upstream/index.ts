/**
 * The upstream room (DESIGN.md §10): model providers in openclaw.json's vocabulary, how a model
 * ref resolves to one, and the HTTP client that carries a request to it.
 */

export { type AuthProfile, authProfiles, type Candidate, candidates, modelChain, type Skipped } from './candidates.js';
export {
  ANTHROPIC_VERSION,
  UpstreamClient,
  type UpstreamEndpoint,
  type UpstreamRequest,
  type UpstreamResponse,
  type UpstreamTimeouts,
  upstreamUrl,
} from './client.js';
export { COOLDOWN_FILE, type CooldownEntry, type CooldownSettings, type CooldownStatus, CooldownStore, pairKey } from './cooldowns.js';
export { classifyError, classifyStatus, FAILURE_RULES, type Failure, type FailureClass, parseRetryAfter } from './failures.js';
export { BUILTIN_PROVIDERS, ModelCatalog, type Provider, type ResolvedModel, readSecret } from './providers.js';
