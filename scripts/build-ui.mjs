#!/usr/bin/env node
// Builds the dashboard (issue 21) from ui/dashboard/ into dist/ui/: app.js (Preact + uPlot, one ES
// module, minified), app.css (uPlot's stylesheet + ours) and index.html. Everything the page loads
// comes from the daemon itself: no CDN, no runtime network (the page's CSP forbids any other origin).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'ui', 'dashboard');
const out = path.join(root, 'dist', 'ui');
mkdirSync(out, { recursive: true });
const started = performance.now();
await build({
  absWorkingDir: root,
  entryPoints: [path.join(src, 'app.tsx')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
const css = readFileSync(path.join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), 'utf8') + readFileSync(path.join(src, 'app.css'), 'utf8');
writeFileSync(path.join(out, 'app.css'), css);
copyFileSync(path.join(src, 'index.html'), path.join(out, 'index.html'));
process.stdout.write(`smart-routerd ui: dist/ui/ in ${(performance.now() - started).toFixed(0)} ms\n`);
