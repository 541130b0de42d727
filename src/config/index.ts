export { type ConfigFlags, type ConfigPaths, defaultStateDir, type LoadedConfig, loadConfig, readConfigFile, resolvePaths, validateConfig } from './load.js';
export { DEFAULT_BASE_URLS, DEFAULT_MODELS, KEY_REQUIRED, PROVIDERS, type ProviderName, type RemoteProviderName } from './providers.js';
export { type Config, ConfigSchema, DOCUMENTED_DNA_THRESHOLD } from './schema.js';
export { isLoopback, type ResolvedToken, resolveToken, TOKEN_FILE } from './token.js';
