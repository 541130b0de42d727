import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, startDaemon } from '../helpers/daemon.js';

// dist/cli/main.js is the esbuild bundle of the CLI (scripts/bundle.mjs): one ES module that
// inlines dist/ and most of node_modules, so the daemon starts without loading ~250 modules.

const exec = promisify(execFile);
const text = readFileSync(CLI, 'utf8');

describe('the CLI bundle (dist/cli/main.js)', () => {
  beforeAll(() => {
    if (!text.includes('// smart-routerd CLI bundle (scripts/bundle.mjs)')) {
      throw new Error("dist/cli/main.js is tsc's output, not the bundle: run `npm run build` (or `npm run build:bundle` after tsc)");
    }
  });

  it('is one executable ES module with the #! line, built by scripts/bundle.mjs', () => {
    expect(text.startsWith('#!/usr/bin/env node\n// smart-routerd CLI bundle (scripts/bundle.mjs)\n')).toBe(true);
    expect(statSync(CLI).mode & 0o111).toBe(0o111);
    // No relative imports left: everything under dist/ is inlined.
    expect(text).not.toMatch(/^import .* from ["']\.\.?\//m);
  });

  it('imports only node:module at its top: externals and built-ins load where they are used, not at start-up', () => {
    const imports = text.split('\n').filter((line) => /^import[\s{]/.test(line));
    expect(imports).toEqual(["import { createRequire as __srdCreateRequire } from 'node:module';"]);
  });

  it('leaves out the packages that find files at run time or are required lazily', () => {
    for (const id of ['write-file-atomic', 'plist']) expect(text).toContain(`__require(${JSON.stringify(id)})`);
    // piscina: required by KernelPool itself with its first worker scan (createRequire).
    expect(text).toMatch(/require\d*\("piscina"\)/);
    // esbuild marks every inlined file with a `// node_modules/<pkg>/…` comment.
    const inlined = (pkg: string) => new RegExp(`^// (.*/)?node_modules/${pkg}/`, 'm').test(text);
    for (const pkg of ['piscina', 'write-file-atomic', 'plist', 'pino-pretty', 'undici', 'assemblyscript']) expect(inlined(pkg), pkg).toBe(false);
    for (const pkg of ['zod', 'commander', 'ws', 'pino']) expect(inlined(pkg), pkg).toBe(true);
  });

  it('resolves every file it finds through import.meta.url from dist/cli/ (workers, wasm, package.json, plugin dir)', () => {
    // Every relative path literal on a line that builds a URL from import.meta.url.
    const rels = text
      .split('\n')
      .filter((l) => /new URL\(.*import\.meta\.url\)/.test(l))
      .flatMap((l) => [...l.matchAll(/"(\.\.?\/[^"]+)"/g)].map((m) => m[1]!));
    expect(rels).toEqual(
      expect.arrayContaining([
        '../kernel/kernel-worker.js',
        '../intent-model/dna-build-worker.js',
        '../../build/kernel.wasm',
        '../../build/kernel-scalar.wasm',
        '../../package.json',
        '../plugin/package-files.js',
      ]),
    );
    for (const rel of rels) expect(existsSync(fileURLToPath(new URL(rel, pathToFileURL(CLI)))), rel).toBe(true);
  });

  it('has a source map back to src/*.ts (node --enable-source-maps)', () => {
    expect(text.trimEnd().endsWith('//# sourceMappingURL=main.js.map')).toBe(true);
    const payload = JSON.parse(readFileSync(`${CLI}.map`, 'utf8')) as SourceMapPayload;
    expect(payload.sources).toContain('../../src/cli/main.ts');
    const map = new SourceMap(payload);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('.command("start")'));
    expect(line).toBeGreaterThan(0);
    const entry = map.findEntry(line, lines[line]!.indexOf('.command("start")'));
    expect('originalSource' in entry && entry.originalSource).toMatch(/src\/cli\/commands\/start\.ts$/);
  });

  it('`start` initialises the daemon but none of the other commands or their dependencies', async () => {
    const coverage = mkdtempSync(path.join(os.tmpdir(), 'srd-cov-'));
    try {
      const daemon = await startDaemon({ env: { NODE_V8_COVERAGE: coverage } });
      expect(await daemon.stop()).toBe(0);
      // esbuild wraps each lazily initialised module in a function named after its path; V8's
      // coverage counts how often each ran (functions never compiled are not listed at all).
      const counts = new Map<string, number>();
      for (const file of readdirSync(coverage)) {
        const report = JSON.parse(readFileSync(path.join(coverage, file), 'utf8')) as {
          result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }>;
        };
        for (const script of report.result.filter((s) => s.url === pathToFileURL(CLI).href)) {
          for (const fn of script.functions) counts.set(fn.functionName, (counts.get(fn.functionName) ?? 0) + fn.ranges[0]!.count);
        }
      }
      for (const ran of ['dist/cli/commands/start.js', 'dist/daemon/daemon.js']) expect(counts.get(ran), ran).toBeGreaterThan(0);
      for (const idle of [
        'dist/cli/commands/eval.js',
        'dist/cli/commands/service.js',
        'dist/cli/commands/enable.js',
        'dist/cli/commands/learn.js',
        'dist/cli/openclaw/command.js',
        'dist/service/index.js',
        'srd-lazy:plist',
        'srd-lazy:node:readline/promises',
      ]) {
        expect(counts.get(idle) ?? 0, idle).toBe(0);
      }
    } finally {
      rmSync(coverage, { recursive: true, force: true });
    }
  });

  it('logs through pino-pretty (required from node_modules at run time) when asked to', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'srd-pretty-'));
    const proc = spawn(process.execPath, [CLI, 'start', '--port', '0'], {
      env: { ...process.env, SMART_ROUTERD_STATE_DIR: stateDir, SMART_ROUTERD_TOKEN: 'test-token-0123456789', SMART_ROUTERD_LOG_FORMAT: 'pretty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line within 30 s:\n${out}`)), 30_000);
        proc.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/INFO.*smart-routerd ready on ws:\/\/127\.0\.0\.1:\d+ in \d+ ms/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        proc.stderr.on('data', (d: Buffer) => {
          out += d.toString();
        });
        proc.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`exited with ${code}:\n${out}`));
        });
      });
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('`openclaw plugin-path` still names dist/plugin', async () => {
    const { stdout } = await exec(process.execPath, [CLI, 'openclaw', 'plugin-path']);
    expect(stdout.trim()).toBe(path.join(ROOT, 'dist', 'plugin'));
  });
});
