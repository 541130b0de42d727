import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../src/gateway/index.js';
import { CLI, type RunningDaemon, startDaemon } from '../helpers/daemon.js';

const exec = promisify(execFile);
let daemon: RunningDaemon;
let client: GatewayClient;

beforeAll(async () => {
  daemon = await startDaemon();
  client = await daemon.client({ scopes: ['operator.read', 'operator.write', 'operator.admin'] });
});
afterAll(async () => {
  await client?.close();
  await daemon?.stop();
});

type Decision = { modelTier: string; source: string; decisionId: string; reasoning: string };
const route = (text: string, c = client) => c.request<Decision>('route', { text });

describe('learning from corrections (issue 4)', () => {
  it('after `smart-routerd learn --tier flagship`, a similar message routes flagship from the patch and an unrelated one does not move', async () => {
    const unrelated = '推荐几部适合周末看的喜剧电影';
    const before = await route(unrelated);
    await exec(process.execPath, [CLI, 'learn', '--tier', 'flagship', '--url', daemon.url, '--token', daemon.token, '帮我看看这段日志为什么报错']);
    const similar = await route('帮我看看这个日志为什么报错了');
    expect(similar.modelTier).toBe('flagship');
    expect(similar.source).toBe('patch');
    expect(similar.reasoning).toMatch(/^user patch #\d+ \(cosine 0\.\d+ × weight 1\.000/);
    const after = await route(unrelated);
    expect(after.source).toBe(before.source);
    expect(after.modelTier).toBe(before.modelTier);
  });

  it('route.feedback by decisionId turns the next identical message to the corrected tier', async () => {
    const text = 'what is the boiling point of water at the top of Mount Everest';
    const first = await route(text);
    const corrected = first.modelTier === 'flagship' ? 'lightweight' : 'flagship';
    const ack = await client.request<{ recorded: boolean; patchId: number }>('route.feedback', { decisionId: first.decisionId, tier: corrected });
    expect(ack.recorded).toBe(true);
    const second = await route(text);
    expect(second).toMatchObject({ modelTier: corrected, source: 'patch' });
  });

  it('a prefixed message teaches the router when the socket may write, and not when it is read-only', async () => {
    const reader = await daemon.client({ scopes: ['operator.read'] });
    const r1 = await route('L: draft a haiku about autumn rain falling on the train station', reader);
    expect(r1.reasoning).not.toContain('learned');
    await reader.close();
    const before = (await client.request<{ patches: number }>('memory.stats', {})).patches;
    const r2 = await route('L: summarise the quarterly sales memo for the team channel');
    expect(r2).toMatchObject({ modelTier: 'lightweight', source: 'prefix' });
    expect(r2.reasoning).toContain('learned as a patch');
    expect((await client.request<{ patches: number }>('memory.stats', {})).patches).toBe(before + 1);
  });

  it('never learns from its own decisions', async () => {
    const before = (await client.request<{ patches: number }>('memory.stats', {})).patches;
    for (let i = 0; i < 5; i++) await route(`write a Kotlin data class for a user profile, variant ${i}`);
    expect((await client.request<{ patches: number }>('memory.stats', {})).patches).toBe(before);
  });

  it('rejects feedback naming neither or both of decisionId and text, an unknown decision, or a bad tier', async () => {
    await expect(client.request('route.feedback', { tier: 'flagship' })).rejects.toThrow(/give exactly one of decisionId or text/);
    await expect(client.request('route.feedback', { text: 'x', decisionId: 'y', tier: 'flagship' })).rejects.toThrow(/give exactly one of decisionId or text/);
    await expect(client.request('route.feedback', { decisionId: 'nope', tier: 'flagship' })).rejects.toThrow(/unknown decisionId nope/);
    await expect(client.request('route.feedback', { text: 'hello', tier: 'medium' })).rejects.toThrow(/at \/params\/tier/);
  });

  it('requires operator.write for feedback and operator.admin plus confirmation to clear', async () => {
    const reader = await daemon.client({ scopes: ['operator.read'] });
    await expect(reader.request('route.feedback', { text: 'hello', tier: 'flagship' })).rejects.toThrow(/missing scope: operator.write/);
    await expect(reader.request('memory.clear', { confirm: true })).rejects.toThrow(/missing scope: operator.admin/);
    await reader.close();
    await expect(client.request('memory.clear', {})).rejects.toThrow(/memory.clear needs \{"confirm": true\}/);
  });

  it('exports patches as records without the text, and clears them', async () => {
    const records = await client.request<Array<Record<string, unknown>>>('memory.export', {});
    expect(records.length).toBeGreaterThan(0);
    expect(Object.keys(records[0]!).sort()).toEqual(['decayedWeight', 'id', 'label', 'origin', 'textHash', 'tier', 'timestamp', 'weight']);
    await client.request('memory.clear', { confirm: true });
    expect(await client.request('memory.export', {})).toEqual([]);
    const again = await route('帮我看看这个日志为什么报错了');
    expect(again.source).not.toBe('patch');
  });
});
