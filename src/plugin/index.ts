// The plugin room (issue 8): an OpenClaw plugin that asks smart-routerd which model answers each
// agent turn. entry.ts is what OpenClaw loads; the CLI uses the installer below.
export { registerOpenclaw } from './command.js';
export { installPlugin, checkDaemon, InstallError, type InstallOptions, type CommandRun } from './install.js';
export { pluginDir, writePluginPackage } from './package-files.js';
export { PLUGIN_ID, PLUGIN_MANIFEST, CONFIG_SCHEMA } from './manifest.js';
export { createPlugin } from './entry.js';
export type { PluginSettings } from './settings.js';
