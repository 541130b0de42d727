// Installs the bench's own dependencies (bench/package.json: the native peer, usearch) when they
// are missing, so `npm run bench` works from a clean clone in one command (STYLE §3). usearch
// ships prebuilt N-API binaries for linux-x64/arm64, darwin and win32 inside its npm tarball, so
// nothing is downloaded from elsewhere; on other platforms `npm rebuild` compiles it with
// node-gyp. Run alone with `node bench/setup.mjs`.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(BENCH, 'package.json'));

function npm(args) {
  console.error(`[bench] npm ${args.join(' ')}`);
  const npmCli = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npmCli, args, { cwd: BENCH, stdio: ['ignore', 'inherit', 'inherit'] });
  return r.status === 0;
}

async function tryImport() {
  try {
    const resolved = require.resolve('usearch');
    const mod = await import(pathToFileURL(resolved).href);
    const usearch = mod.default ?? mod;
    // Touch the binding so a missing or broken .node file fails here, not mid-bench.
    usearch.exactSearch(new Float32Array([1, 0, 0, 1]), new Float32Array([1, 0]), 2, 1, 'ip', 1);
    return { ok: true, usearch, version: packageVersion(resolved) };
  } catch (err) {
    return { ok: false, reason: err.message.split('\n')[0] };
  }
}

/** Version from the package.json above `entry` (usearch's exports map hides ./package.json). */
function packageVersion(entry) {
  let dir = path.dirname(entry);
  while (path.basename(dir) !== 'usearch' && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

/**
 * Resolves with `{ ok: true, usearch, version }`, installing bench/node_modules first if needed,
 * or `{ ok: false, reason }` when the native peer cannot be had (the bench then reports it as
 * unavailable instead of failing).
 */
export async function ensureNative() {
  let r = await tryImport();
  if (r.ok) return r;
  if (!npm(['install', '--prefix', BENCH, '--no-audit', '--no-fund'])) return { ok: false, reason: `npm install --prefix bench failed (${r.reason})` };
  r = await tryImport();
  if (r.ok) return r;
  if (npm(['rebuild', 'usearch', '--prefix', BENCH, '--foreground-scripts'])) r = await tryImport();
  return r;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await ensureNative();
  console.log(r.ok ? `usearch ${r.version} ready` : `native peer unavailable: ${r.reason}`);
  process.exitCode = r.ok ? 0 : 1;
}
