import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../src/gateway/index.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function stateDir(config: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-durable-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** Random words, so no two events are near-duplicates (compaction would rightly merge those). */
function randomText(i: number): string {
  const letters = 'bcdfghjklmnpqrstvwxz';
  const word = () => Array.from({ length: 4 + Math.floor(Math.random() * 6) }, () => letters[Math.floor(Math.random() * letters.length)]).join('');
  return `${i} ${Array.from({ length: 6 }, word).join(' ')}`;
}

const scopes = ['operator.read', 'operator.write', 'operator.admin'];

describe('durability of learning (issue 4)', () => {
  it('keeps every acknowledged event of 16 concurrent clients across a SIGKILL at a random moment', async () => {
    const dir = stateDir({ vectorStore: { compactionThreshold: 5000 } });
    let daemon: RunningDaemon = await startDaemon({ stateDir: dir });
    const clients: GatewayClient[] = await Promise.all(Array.from({ length: 16 }, () => daemon.client({ scopes })));
    const acked = new Set<string>();
    let sent = 0;
    const killAfter = 300 + Math.floor(Math.random() * 1200);
    const workers = clients.map(async (c, k) => {
      for (let i = k; i < 2000; i += 16) {
        sent++;
        if (sent === killAfter) daemon.proc.kill('SIGKILL');
        try {
          const ack = await c.request<{ textHash: string }>('route.feedback', { text: randomText(i), tier: i % 2 ? 'flagship' : 'lightweight' }, 5000);
          acked.add(ack.textHash);
        } catch {
          return; // the daemon is gone: this client's remaining events were never acknowledged
        }
      }
    });
    await Promise.all(workers);
    await daemon.exited;
    expect(acked.size).toBeGreaterThan(0);
    expect(acked.size).toBeLessThan(2000);

    daemon = await startDaemon({ stateDir: dir });
    const c = await daemon.client({ scopes });
    const stored = new Set((await c.request<Array<{ textHash: string }>>('memory.export', {})).map((r) => r.textHash));
    const lost = [...acked].filter((h) => !stored.has(h));
    expect(lost, `${lost.length} of ${acked.size} acknowledged events were lost`).toEqual([]);
    await c.close();
    await daemon.stop();
  });

  it('skips a torn final journal record with a warning and keeps the records before it', async () => {
    const dir = stateDir({});
    let daemon = await startDaemon({ stateDir: dir });
    let c = await daemon.client({ scopes });
    for (let i = 0; i < 5; i++) await c.request('route.feedback', { text: randomText(i), tier: 'flagship' });
    await c.close();
    await daemon.stop('SIGKILL');
    const journal = path.join(dir, 'user_memory.journal');
    truncateSync(journal, statSync(journal).size - 100);

    daemon = await startDaemon({ stateDir: dir });
    c = await daemon.client({ scopes });
    expect((await c.request<unknown[]>('memory.export', {})).length).toBe(4);
    expect(daemon.lines.some((l) => l.includes('"level":40') && /journal/i.test(l))).toBe(true);
    await c.close();
    await daemon.stop();
  });

  it('moves a corrupt snapshot aside, says so in the log, and still starts', async () => {
    const dir = stateDir({ vectorStore: { compactionThreshold: 10 } });
    let daemon = await startDaemon({ stateDir: dir });
    let c = await daemon.client({ scopes });
    for (let i = 0; i < 12; i++) await c.request('route.feedback', { text: randomText(i), tier: i % 2 ? 'flagship' : 'lightweight' });
    await c.request('memory.stats', {});
    await c.close();
    await daemon.stop();
    const snapshot = path.join(dir, 'user_memory.vctr');
    const bytes = readFileSync(snapshot);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(snapshot, bytes);

    daemon = await startDaemon({ stateDir: dir });
    const aside = readdirSync(dir).filter((f) => f.startsWith('user_memory.vctr.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(dir, aside[0]!))).toEqual(bytes);
    expect(daemon.lines.some((l) => l.includes('"level":50') && l.includes('user_memory.vctr'))).toBe(true);
    c = await daemon.client({ scopes });
    expect((await c.request<{ modelTier: string }>('route', { text: 'hello' })).modelTier).toBeDefined();
    await c.close();
    await daemon.stop();
  });
});
