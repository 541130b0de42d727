import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../helpers/daemon.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function stateDir(config: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-life-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}
const scopes = ['operator.read', 'operator.write', 'operator.admin'];
const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${String(cond)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('daemon lifecycle (issue 5)', () => {
  it('on SIGTERM with 50 requests in flight answers or closes every one, keeps learning data, and exits 0', async () => {
    const dir = stateDir({});
    let daemon = await startDaemon({ stateDir: dir });
    const c = await daemon.client({ scopes });
    for (let i = 0; i < 20; i++) await c.request('route.feedback', { text: `remember case number ${i} about invoices ${i * 7}`, tier: 'flagship' });
    const events: string[] = [];
    c.on('event', (f: { event: string }) => events.push(f.event));
    const closed = new Promise<number>((resolve) => c.once('close', (code: number) => resolve(code)));
    const inFlight = Array.from({ length: 50 }, (_, i) =>
      c.request('route', { text: `Explain the difference between TCP and UDP, take ${i}` }, 10_000).then(
        () => 'answered',
        (err: Error & { error?: { code: string } }) =>
          err.error?.code === 'UNAVAILABLE' ? 'refused' : /connection closed \(1012/.test(err.message) ? 'closed' : `unexpected: ${err.message}`,
      ),
    );
    daemon.proc.kill('SIGTERM');
    const outcomes = await Promise.all(inFlight);
    expect(outcomes.filter((o) => o.startsWith('unexpected'))).toEqual([]);
    expect(await closed).toBe(1012);
    expect(events).toContain('shutdown');
    expect(await daemon.exited).toBe(0);

    daemon = await startDaemon({ stateDir: dir });
    const again = await daemon.client({ scopes });
    expect((await again.request<unknown[]>('memory.export', {})).length).toBe(20);
    await again.close();
    await daemon.stop();
  });

  it('on SIGHUP applies changed thresholds to the next decisions, and keeps the last good config when the new one is invalid', async () => {
    const dir = stateDir({});
    const daemon = await startDaemon({ stateDir: dir });
    const c = await daemon.client({ scopes });
    const text = 'Write a Python function that merges two sorted lists';
    expect((await c.request<{ source: string }>('route', { text })).source).toBe('model');

    // Without the intent classifier the DNA decides, and its threshold applies.
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ intentClassifier: false, dnaSimilarityThreshold: 0.999 }));
    const seen = daemon.lines.length;
    daemon.proc.kill('SIGHUP');
    await until(() => daemon.lines.slice(seen).some((l) => l.includes('configuration and DNA reloaded')));
    const strict = await c.request<{ source: string; reasoning: string }>('route', { text });
    expect(strict.source).not.toBe('dna');
    expect(strict.reasoning).toContain('no DNA intent reached 0.999');

    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ intentClassifier: false, dnaSimilarityThreshold: 0.2, timeDecay: { gamma: 'slow' } }));
    const seen2 = daemon.lines.length;
    daemon.proc.kill('SIGHUP');
    await until(() => daemon.lines.slice(seen2).some((l) => l.includes('reload rejected')));
    const rejected = daemon.lines.slice(seen2).find((l) => l.includes('reload rejected'))!;
    expect(rejected).toContain('timeDecay.gamma: expected a number (got \\"slow\\")');
    const still = await c.request<{ reasoning: string }>('route', { text });
    expect(still.reasoning).toContain('no DNA intent reached 0.999');
    await c.close();
    expect(await daemon.stop()).toBe(0);
  });
});
