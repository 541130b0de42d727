/**
 * `node dist/plugin/build.js`: completes the built plugin directory with the files tsc does not
 * emit (openclaw.plugin.json, package.json). Meant to run right after `tsc` in the package build;
 * `smart-routerd openclaw install-plugin` does the same before it links the directory.
 */
import { pluginDir, writePluginPackage } from './package-files.js';

const written = writePluginPackage();
process.stdout.write(
  written.length > 0 ? `smart-routerd plugin: wrote ${written.map((f) => f.slice(pluginDir().length + 1)).join(', ')} in ${pluginDir()}\n` : '',
);
