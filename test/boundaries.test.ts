import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/daemon.js';

// Drift guard for DESIGN.md §1 (STYLE §4): a room imports only downwards, and only through the
// other room's index.ts. Files at the root of src/ (errors.ts, intents.ts, index.ts, types/) are
// shared vocabulary that any room may use.
const SRC = path.join(ROOT, 'src');
const ALLOWED: Record<string, string[]> = {
  cli: ['daemon', 'gateway', 'routing', 'intent-model', 'memory', 'embedding', 'kernel', 'vctr', 'config', 'service', 'plugin'],
  daemon: ['gateway', 'proxy', 'cluster', 'ledger', 'telemetry', 'dashboard', 'routing', 'intent-model', 'kernel', 'embedding', 'config'],
  // The team gateway (issue 20): PostgreSQL and Redis behind the ledger's, memory's and upstream's interfaces.
  cluster: ['ledger', 'memory', 'upstream', 'embedding', 'config'],
  // The model API (docs/architecture.md): HTTP endpoints and protocol translation, upstream
  // providers with failover, the usage ledger, telemetry. Planned rooms: listed so they land in
  // place; a room without files has nothing to check yet.
  proxy: ['upstream', 'ledger', 'telemetry', 'routing', 'config'],
  upstream: ['ledger', 'telemetry', 'config'],
  ledger: ['config'],
  telemetry: ['config'],
  // The local web page (issue 21): reads the daemon through the sources it is handed.
  dashboard: ['config'],
  gateway: ['routing', 'config'],
  service: ['config'],
  plugin: ['config'],
  routing: ['intent-model', 'memory', 'embedding', 'kernel', 'config'],
  'intent-model': ['embedding', 'vctr', 'config'],
  memory: ['embedding', 'kernel', 'vctr', 'config'],
  embedding: ['config'],
  kernel: [],
  vctr: [],
  config: [],
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const roomOf = (file: string): string | null => {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 && rel[0] !== 'types' ? rel[0]! : null;
};

function violations(): string[] {
  const out: string[] = [];
  for (const file of walk(SRC)) {
    const from = roomOf(file);
    if (!from) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"](\.[^'"]+)['"]/gm)) {
      const target = path.resolve(path.dirname(file), m[1]!);
      const to = roomOf(target.replace(/\.js$/, '.ts'));
      const rel = `${path.relative(SRC, file)} -> ${m[1]}`;
      if (!to || to === from) continue;
      if (!(ALLOWED[from] ?? []).includes(to)) out.push(`${rel} (${from} may not import ${to})`);
      else if (path.basename(target) !== 'index.js' || path.dirname(target) !== path.join(SRC, to))
        out.push(`${rel} (import ${to}/index.js, not its internals)`);
    }
  }
  return out;
}

describe('room boundaries (DESIGN.md §1)', () => {
  it('imports go downwards and through index.ts only', () => {
    expect(violations()).toEqual([]);
  });

  it('the kernel worker never imports gateway/ or config/', () => {
    const worker = readFileSync(path.join(SRC, 'kernel', 'kernel-worker.ts'), 'utf8') + readFileSync(path.join(SRC, 'kernel', 'scan.ts'), 'utf8');
    expect(worker).not.toMatch(/from ['"][^'"]*(gateway|config)\//);
  });
});

describe('docs/architecture.md', () => {
  it('states the same allowed imports as this test (edit both together)', () => {
    const page = readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const table = page.slice(page.indexOf('| room | may import |'));
    const documented: Record<string, string[]> = {};
    for (const row of table.matchAll(/^\| ([a-z-]+(?:, [a-z-]+)*) \| ([a-z-]+(?:, [a-z-]+)*) \|$/gm)) {
      const targets = row[2] === 'nothing' ? [] : row[2]!.split(', ');
      for (const room of row[1]!.split(', ')) documented[room] = targets;
    }
    const sorted = (r: Record<string, string[]>) =>
      Object.fromEntries(
        Object.entries(r)
          .map(([k, v]): [string, string[]] => [k, [...v].sort()])
          .sort(([a], [b]) => a.localeCompare(b)),
      );
    expect(sorted(documented)).toEqual(sorted(ALLOWED));
  });
});
