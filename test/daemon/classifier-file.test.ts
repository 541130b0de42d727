import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, startDaemon } from '../helpers/daemon.js';

// Issue 16: the intent classifier file is read at start and at each reload; a damaged one is
// reported and never stops the daemon.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A state dir whose own model file (tried before the package's) is the package's, cut short. */
function stateDirWithTruncatedModel(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-model-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'model'));
  const shipped = readFileSync(path.join(ROOT, 'data', 'intent-classifier.bin'));
  writeFileSync(path.join(dir, 'model', 'intent-classifier.bin'), shipped.subarray(0, shipped.length >> 1));
  return dir;
}

describe('the intent classifier file in a running daemon', () => {
  it('reports a corrupt state-dir model with its code and path, then starts and routes with the packaged one', async () => {
    const dir = stateDirWithTruncatedModel();
    const daemon = await startDaemon({ stateDir: dir });
    try {
      const report = daemon.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.code === 'SRD_ERR_MODEL_CORRUPT');
      expect(report).toMatchObject({ path: path.join(dir, 'model', 'intent-classifier.bin'), msg: 'intent classifier file unusable' });
      const c = await daemon.client();
      const d = await c.request<{ source: string; modelTier: string }>('route', { text: 'Write a Python rate limiter with the token bucket algorithm' });
      expect(d).toMatchObject({ source: 'model', modelTier: 'flagship' });
      await c.close();
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  });
});
