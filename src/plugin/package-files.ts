import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLUGIN_MANIFEST, pluginPackageJson } from './manifest.js';

/**
 * The plugin root: dist/plugin/ of the package. Resolved as '../plugin' so it is right both from
 * this module's own dist/plugin/ file and from the CLI bundle (dist/cli/main.js) that inlines it.
 */
export function pluginDir(): string {
  return path.dirname(fileURLToPath(new URL('../plugin/package-files.js', import.meta.url)));
}

/** The version of the smart-routerd package holding `dir` (dist/plugin → ../../package.json). */
function packageVersion(dir: string): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Writes the two files tsc cannot emit and OpenClaw needs in a plugin root, `openclaw.plugin.json`
 * (manifest.ts) and `package.json` (ESM + `openclaw.extensions`), into `dir` (default: the built
 * plugin directory). Files already up to date are left alone, so this is a no-op on an installed
 * package; each write goes to a temp file renamed into place. Returns the files written.
 */
export function writePluginPackage(dir: string = pluginDir()): string[] {
  const files: Array<[string, unknown]> = [
    ['openclaw.plugin.json', PLUGIN_MANIFEST],
    ['package.json', pluginPackageJson(packageVersion(dir))],
  ];
  const written: string[] = [];
  for (const [name, doc] of files) {
    const file = path.join(dir, name);
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, file);
    written.push(file);
  }
  return written;
}
