import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorTable } from '../src/errors.js';
import { ROOT } from './helpers/daemon.js';

// Drift guard (STYLE §12): docs/errors.md documents exactly the codes of src/errors.ts.
describe('docs/errors.md', () => {
  const page = readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  const documented = [...page.matchAll(/^\| `(SRD_ERR_[A-Z_]+)` \| `([A-Z_]+)` \|/gm)].map((m) => [m[1]!, m[2]!] as const);

  it('documents every error code with its wire code (edit docs/errors.md when adding one)', () => {
    const missing = Object.keys(ErrorTable).filter((code) => !documented.some(([c]) => c === code));
    expect(missing, `add these to docs/errors.md: ${missing.join(', ')}`).toEqual([]);
    for (const [code, wire] of documented) if (code in ErrorTable) expect(wire, code).toBe(ErrorTable[code as keyof typeof ErrorTable].wire);
  });

  it('lists no code that no longer exists', () => {
    const stale = documented.map(([c]) => c).filter((code) => !(code in ErrorTable));
    expect(stale, `remove these from docs/errors.md: ${stale.join(', ')}`).toEqual([]);
  });
});
