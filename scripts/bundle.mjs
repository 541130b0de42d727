#!/usr/bin/env node
// Bundles the CLI (tsc's dist/cli/main.js and everything it imports, node_modules included) into
// ONE ESM file that replaces dist/cli/main.js, with a source map back to src/*.ts. Why: loading
// ~150 dist files plus zod/commander/ws/pino as separate modules was most of the daemon's
// start-to-ready time. Run by `npm run build:bundle`, right after build:ts (tsc must have emitted a
// fresh dist/cli/main.js; a main.js that is already a bundle is left alone). tsc's own
// dist/cli/main.js works too, only slower to start: a bare `tsc` leaves a working CLI.
//
// Not bundled (required from node_modules at run time, where the tsc output would import them):
//   piscina                      resolves and spawns its own worker file (dist/worker.js) from __dirname
//   write-file-atomic            uses __filename (undefined in an ES module) for its temp names
//   plist                        ~390 KiB with its XML libraries, only for `service` (launchd plists)
//   pino-pretty, undici,         required lazily through createRequire (daemon/logger.ts,
//   prom-client                  embedding/remote.ts, upstream/client.ts, telemetry/metrics.ts):
//                                esbuild leaves those calls alone
//   @opentelemetry/* (api,       the tracing SDK, required lazily by telemetry/tracing.ts and only
//   sdk-trace-base, resources,   when an OTLP endpoint is configured: a daemon without tracing
//   exporter-trace-otlp-http,    never loads them (listed so an ES import of one could never pull
//   semantic-conventions)        the SDK into the bundle's start-up)
//   assemblyscript               the kernel build's compiler, never imported at run time
//   bufferutil, utf-8-validate   ws's optional native add-ons (ws falls back when they are missing)
// Node built-ins are external too (platform 'node'). pino IS bundled: only pino.transport() (and
// thread-stream behind it) looks for files beside its own, and the daemon never uses transports:
// it logs to stdout, or through pino-pretty as a plain stream. A transport would fail loudly
// (__dirname is not defined), not silently.
//
// zod's locales: `export * as locales` makes every one of zod's ~45 locales part of the bundle
// and of start-up (≈ 400 KiB, 10–20 ms to compile and evaluate). The daemon uses only English,
// which zod's schemas load by themselves; the bundled `z.locales` holds `en` alone.
//
// Built-ins, piscina, write-file-atomic and plist are loaded by require() where the importing
// module is initialised (see lazyImports), so the bundle's only top-level import is node:module.
//
// The command table's dynamic import()s are inlined as lazily initialised modules: `start` does
// not evaluate the eval/service/openclaw code (test/cli/bundle.test.ts checks it).

import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist', 'cli', 'main.js');
const tmp = path.join(root, 'dist', 'cli', `main.bundle.${process.pid}.tmp.js`);
const MARKER = '// smart-routerd CLI bundle (scripts/bundle.mjs)';

const EXTERNAL = [
  'piscina',
  'better-sqlite3',
  'write-file-atomic',
  'plist',
  'pino-pretty',
  'undici',
  'prom-client',
  '@opentelemetry/*',
  'assemblyscript',
  'bufferutil',
  'utf-8-validate',
];

/** zod/v4/locales/index.js, as imported by zod itself, becomes `export { default as en } from './en.js'`. */
let zodLocalesTrimmed = false;
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => {
      zodLocalesTrimmed = true;
      return { contents: "export { default as en } from './en.js';\n", loader: 'js' };
    });
  },
};

/**
 * An ES module bundle hoists every external `import` to its top, so each Node built-in imported
 * anywhere (readline for the prompts, tty/util for @clack, …) would load at start-up even though
 * the module importing it is initialised lazily. This turns each ES `import` of a built-in, and of
 * LAZY_REQUIRE packages, into a small CommonJS module `module.exports = require(id)` that esbuild
 * initialises where the importing module is: built-ins load when the tsc output would load them.
 */
const LAZY_REQUIRE = new Set(['piscina', 'write-file-atomic', 'plist']); // (KernelPool requires piscina itself, lazily) // CommonJS: require() also skips ESM's export scan
const builtins = new Set(builtinModules);
const isBuiltin = (id) => id.startsWith('node:') || builtins.has(id) || builtins.has(id.split('/')[0]);
const lazyImports = {
  name: 'lazy-imports',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.namespace === 'srd-lazy') return { path: args.path, external: true };
      if (args.kind !== 'import-statement' || !(isBuiltin(args.path) || LAZY_REQUIRE.has(args.path))) return undefined;
      return { path: args.path, namespace: 'srd-lazy' };
    });
    b.onLoad({ filter: /.*/, namespace: 'srd-lazy' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});\n`, loader: 'js' }));
  },
};

if (readFileSync(entry, 'utf8').includes(MARKER)) {
  // Bundling the bundle would work but lose the map back to src/: tsc must emit main.js first.
  process.stdout.write(`smart-routerd bundle: ${path.relative(root, entry)} is already a bundle, left as is (run \`npm run build:ts\` first to rebuild it)\n`);
  process.exit(0);
}

const started = performance.now();
try {
  const result = await build({
    absWorkingDir: root, // module names in the bundle (and its tests) are relative to the package root
    entryPoints: [entry],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    external: EXTERNAL,
    plugins: [zodEnglishOnly, lazyImports],
    // CommonJS dependencies bundled into an ES module call require() for Node built-ins.
    banner: { js: `${MARKER}\nimport { createRequire as __srdCreateRequire } from 'node:module';\nconst require = __srdCreateRequire(import.meta.url);` },
    sourcemap: 'linked',
    sourcesContent: true,
    logLevel: 'warning',
    metafile: true,
  });
  const text = readFileSync(tmp, 'utf8');
  if (!text.startsWith('#!/usr/bin/env node\n')) throw new Error("the bundle lost the entry's #!/usr/bin/env node line");
  // The map is written beside the temp file under its name: rename both, and point the bundle at main.js.map.
  const tmpMap = `${tmp}.map`;
  const fixed = text.replace(`//# sourceMappingURL=${path.basename(tmpMap)}`, '//# sourceMappingURL=main.js.map');
  if (fixed === text) throw new Error('sourceMappingURL comment not found in the bundle');
  const map = JSON.parse(readFileSync(tmpMap, 'utf8'));
  map.file = 'main.js';
  writeFileSync(tmpMap, JSON.stringify(map));
  writeFileSync(tmp, fixed, { mode: 0o755 });
  renameSync(tmpMap, `${entry}.map`);
  renameSync(tmp, entry);
  chmodSync(entry, 0o755);
  if (!zodLocalesTrimmed)
    process.stderr.write('smart-routerd bundle: warning: zod/v4/locales/index.js not seen (zod changed its layout?): all of its locales are bundled\n');
  const inputs = Object.keys(result.metafile.inputs).length;
  process.stdout.write(
    `smart-routerd bundle: ${path.relative(root, entry)} from ${inputs} modules, ${(fixed.length / 1024).toFixed(0)} KiB, in ${(performance.now() - started).toFixed(0)} ms\n`,
  );
} finally {
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.map`, { force: true });
}
