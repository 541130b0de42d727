export { ConfigSchema, DOCUMENTED_DNA_THRESHOLD, type Config } from './schema.js';
export { loadConfig, readConfigFile, resolvePaths, validateConfig, defaultStateDir, type ConfigFlags, type ConfigPaths, type LoadedConfig } from './load.js';
export { isLoopback, resolveToken, TOKEN_FILE, type ResolvedToken } from './token.js';
export { DEFAULT_BASE_URLS, DEFAULT_MODELS, KEY_REQUIRED, PROVIDERS, type ProviderName, type RemoteProviderName } from './providers.js';
