/** The OpenClaw plugin room: code that runs inside OpenClaw (hook, connection, settings), and its package files. */
export { pluginDir, writePluginPackage } from './package-files.js';
export { PLUGIN_ID, PLUGIN_MANIFEST, CONFIG_SCHEMA, pluginPackageJson } from './manifest.js';
export { createPlugin } from './entry.js';
export { SmartRouter, type RouteOutcome } from './router.js';
export { resolveSettings, type PluginSettings } from './settings.js';
export type { SocketLike } from './connection.js';
