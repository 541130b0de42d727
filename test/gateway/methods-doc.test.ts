import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MethodHandlers, methodTable } from '../../src/gateway/index.js';
import { ROOT } from '../helpers/daemon.js';

// Drift guard (STYLE §20): docs/protocol.md's method table names exactly the registry's methods,
// each with the scope the registry enforces.
const unused = () => {
  throw new Error('not called: only names and scopes are read');
};
const handlers: MethodHandlers = {
  openclaw: { health: unused, status: unused, config: unused },
  route: { route: unused, stats: unused },
  learning: { feedback: unused, stats: unused, exportRecords: unused, clear: unused, reload: unused },
  usage: { status: unused },
  dashboard: { open: unused },
};

function documentedScopes(): Map<string, string> {
  const page = readFileSync(path.join(ROOT, 'docs', 'protocol.md'), 'utf8');
  const out = new Map<string, string>();
  for (const row of page.matchAll(/^\| (`[^|]+`(?:, `[^|]+`)*) \| (operator\.[a-z.]+)[^|]* \|/gm)) {
    for (const name of row[1]!.matchAll(/`([^`]+)`/g)) out.set(name[1]!, row[2]!);
  }
  return out;
}

describe('docs/protocol.md method table', () => {
  const registry = new Map(Object.entries(methodTable(handlers)).map(([name, spec]) => [name, spec.scope as string]));
  const documented = documentedScopes();

  it('documents every registered method with the scope it needs', () => {
    const missing = [...registry.keys()].filter((m) => !documented.has(m));
    expect(missing, `add these methods to docs/protocol.md: ${missing.join(', ')}`).toEqual([]);
    for (const [name, scope] of registry) expect(documented.get(name), `scope of ${name} in docs/protocol.md`).toBe(scope);
  });

  it('lists no method the gateway does not answer', () => {
    const stale = [...documented.keys()].filter((m) => !registry.has(m));
    expect(stale, `remove these from docs/protocol.md: ${stale.join(', ')}`).toEqual([]);
  });
});
