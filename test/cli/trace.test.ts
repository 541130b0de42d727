import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type RunningDaemon, startDaemon } from '../helpers/daemon.js';

// Issue 17: `smart-routerd trace` shows, as they happen, decisions made by other clients.
let daemon: RunningDaemon;
beforeAll(async () => {
  daemon = await startDaemon();
});
afterAll(async () => {
  await daemon?.stop();
});

/** Runs `trace` as a child process; resolves once it follows, with its output so far and a stop(). */
async function follow(args: string[] = []) {
  const child = spawn(process.execPath, [CLI, 'trace', '--url', daemon.url, '--token', daemon.token, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      if (d.toString().includes('following decisions')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`trace exited ${code}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    text: () => out.join(''),
    async stop() {
      child.kill('SIGINT');
      return exited;
    },
  };
}

async function waitFor(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 20));
}

describe('smart-routerd trace', () => {
  it('prints a line per decision made by another client, without the message text, and exits 0 on Ctrl-C', async () => {
    const trace = await follow();
    const client = await daemon.client();
    const a = (await client.request('route', { text: 'Write a Python rate limiter with the token bucket algorithm' })) as {
      decisionId: string;
      selectedModel: string;
    };
    const b = (await client.request('route', { text: "Hey, what's up? Tell me something interesting." })) as { decisionId: string };
    await client.close();
    await waitFor(() => trace.text().includes(b.decisionId));
    const lines = trace.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\d{2}:\d{2}:\d{2}\.\d{3} {2}flagship {4}anthropic\/claude-opus-4-5 {2}\(CODE, model, confidence \d\.\d{2}, [\d.]+ ms, via gateway\) {2}[0-9a-f-]{36}$/,
    );
    expect(lines[0]).toContain(a.decisionId);
    expect(lines[1]).toMatch(/ lightweight .*\(CHAT, model, /);
    expect(trace.text()).not.toContain('rate limiter');
    expect(await trace.stop()).toBe(0);
  });

  it('prints one JSON object per decision with --json', async () => {
    const trace = await follow(['--json']);
    const client = await daemon.client();
    const d = (await client.request('route', { text: 'F: translate this to French' })) as { decisionId: string };
    await client.close();
    await waitFor(() => trace.text().includes(d.decisionId));
    expect(JSON.parse(trace.text().trim())).toMatchObject({ decisionId: d.decisionId, tier: 'flagship', source: 'prefix', intent: null, via: 'gateway' });
    await trace.stop();
  });
});
