export { LedgerSchema } from './ledger-schema.js';
export { type ConfigFlags, type ConfigPaths, defaultStateDir, type LoadedConfig, loadConfig, readConfigFile, resolvePaths, validateConfig } from './load.js';
export {
  AuthSchema,
  type ModelChain,
  ModelChainSchema,
  type ModelCost,
  ModelCostSchema,
  ModelsSchema,
  type ProviderConfig,
  ProviderSchema,
  ProxySchema,
  RoutingSchema,
  UPSTREAM_APIS,
  type UpstreamApi,
} from './models-schema.js';
export { originAllowed } from './origins.js';
export { DEFAULT_BASE_URLS, DEFAULT_MODELS, KEY_REQUIRED, PROVIDERS, type ProviderName, type RemoteProviderName } from './providers.js';
export { type Config, ConfigSchema, DOCUMENTED_DNA_THRESHOLD } from './schema.js';
export { readSecret } from './secrets.js';
export { ensureStateDir, STATE_DIR_MODE, shellQuote } from './state-dir.js';
export { TelemetrySchema } from './telemetry-schema.js';
export { isLoopback, type ResolvedToken, resolveToken, STRONG_TOKEN_RULE, TOKEN_FILE, tokenWeakness } from './token.js';
