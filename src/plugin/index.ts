/** The OpenClaw plugin room: code that runs inside OpenClaw (hook, connection, settings), and its package files. */

export type { SocketLike } from './connection.js';
export { createPlugin } from './entry.js';
export { CONFIG_SCHEMA, PLUGIN_ID, PLUGIN_MANIFEST, pluginPackageJson } from './manifest.js';
export { pluginDir, writePluginPackage } from './package-files.js';
export { type RouteOutcome, SmartRouter } from './router.js';
export { type PluginSettings, resolveSettings } from './settings.js';
