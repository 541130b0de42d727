import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../src/gateway/index.js';
import { readVctr } from '../../src/vctr/index.js';
import { CLI, type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type Behaviour, type FakeEmbeddingServer, refusedPort, startFakeEmbeddings } from '../helpers/fake-embeddings.js';
import { FAKE_KEY, OutputCollector } from '../helpers/secrets.js';

// Issue 6 against a real daemon and a real HTTP fake of the OpenAI and Gemini APIs (127.0.0.1 only).
const exec = promisify(execFile);
const DIMS = 32;
const scopes = ['operator.read', 'operator.write', 'operator.admin'];
const out = new OutputCollector();
const dirs: string[] = [];
const daemons: RunningDaemon[] = [];
let fake: FakeEmbeddingServer;

type Decision = { source: string; modelTier: string; reasoning: string; latencyMs: number };
/**
 * The fields of the `status` payload's `router` section these tests read. `dna` and `embedding`
 * are typed as present: each test reads them in a phase where they are set.
 */
type Status = {
  router: {
    phase: string;
    dna: { path: string; rows: number };
    embedding: { provider: string; model: string; dims: number; health: { ok: boolean; breaker: { state: string } } };
    fallback: { mode: string; space: string | null } | null;
    dnaBuild: { state: string; space: string } | null;
  };
};

function stateDir(config: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-remote-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

function openaiConfig(extra: { remote?: Record<string, unknown>; embedding?: Record<string, unknown>; fallback?: string } = {}): Record<string, unknown> {
  return {
    memorySearch: {
      provider: 'openai',
      model: 'text-embedding-3-small',
      fallback: extra.fallback ?? 'local',
      remote: { apiKey: FAKE_KEY, baseUrl: fake.openaiBaseUrl, batchSize: 64, breaker: { failureThreshold: 100, cooldownMs: 200 }, ...extra.remote },
    },
    vectorStore: { vectorDim: DIMS },
    embedding: { timeoutMs: 600, maxRetries: 1, retryDelayMs: 20, ...extra.embedding },
  };
}

async function cli(args: string[], dir: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let result: { code: number; stdout: string; stderr: string };
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], {
      env: { ...process.env, SMART_ROUTERD_STATE_DIR: dir, ...env },
      timeout: 120_000,
    });
    result = { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    result = { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
  out.add(result.stdout);
  out.add(result.stderr);
  return result;
}

async function start(dir: string): Promise<{ daemon: RunningDaemon; client: GatewayClient }> {
  const daemon = await startDaemon({ stateDir: dir });
  daemons.push(daemon);
  return { daemon, client: await daemon.client({ scopes }) };
}

async function route(client: GatewayClient, text: string): Promise<Decision & { rttMs: number }> {
  const t0 = performance.now();
  const d = await client.request<Decision>('route', { text }, 20_000);
  out.add(d);
  return { ...d, rttMs: performance.now() - t0 };
}

async function status(client: GatewayClient): Promise<Status['router']> {
  const s = await client.request<Status>('status', {});
  out.add(s);
  return s.router;
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  fake = await startFakeEmbeddings({ key: FAKE_KEY });
});
beforeEach(() => {
  fake.setDefault({ kind: 'ok' });
});
afterAll(async () => {
  for (const d of daemons) {
    await d.stop();
    out.add(d.lines.join('\n'));
  }
  await fake.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('remote embedding providers in the daemon (issue 6)', () => {
  let builtDir: string;
  let dnaFile: string;

  it('`dna build` embeds the seed in batches through the OpenAI-compatible API and writes DNA named and labelled by provider, model and dims', async () => {
    builtDir = stateDir(openaiConfig());
    fake.requests.length = 0;
    const { code, stdout, stderr } = await cli(['dna', 'build', '--json'], builtDir);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    dnaFile = path.join(builtDir, 'dna', `openai-text-embedding-3-small-${DIMS}.vctr`);
    expect(report).toMatchObject({ space: { provider: 'openai', model: 'text-embedding-3-small', dims: DIMS }, out: dnaFile, resumedFromCache: 0 });
    expect(fake.requests.length).toBeGreaterThan(10);
    expect(Math.max(...fake.requests.map((r) => r.inputs))).toBe(64);
    expect(fake.requests.every((r) => r.body.dimensions === DIMS && r.headers.authorization === `Bearer ${FAKE_KEY}`)).toBe(true);
    const vctr = await readVctr(dnaFile);
    expect(vctr.metadata.kind).toBe('dna');
    expect(vctr.metadata.embedding).toEqual({ provider: 'openai', model: 'text-embedding-3-small', dims: DIMS });
    expect(vctr.dims).toBe(DIMS);
    expect(existsSync(`${dnaFile}.partial`)).toBe(false);
  });

  it('`dna build` resumes after a failure from the embeddings it had cached', async () => {
    const dir = stateDir(openaiConfig({ embedding: { maxRetries: 0 } }));
    fake.script(...Array.from({ length: 5 }, (): Behaviour => ({ kind: 'ok' })));
    fake.setDefault({ kind: 'status', status: 503 });
    const failed = await cli(['dna', 'build', '--json'], dir);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /answered HTTP 503: fake error 503\n {2}embeddings done so far are kept in .*\.vctr\.partial; run `smart-routerd dna build` again to resume/,
    );
    fake.setDefault({ kind: 'ok' });
    const resumed = await cli(['dna', 'build', '--json'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).resumedFromCache).toBe(5 * 64);
  });

  it('the daemon routes in the remote space with that DNA, and `status` shows provider health, breaker and DNA without the key', async () => {
    const { client } = await start(builtDir);
    const d = await route(client, 'Write a Python function that merges two sorted lists and add unit tests');
    expect(d.source).toBe('dna');
    const r = await status(client);
    expect(r.phase).toBe('ready');
    expect(r.dna.path).toBe(dnaFile);
    expect(r.embedding).toMatchObject({
      provider: 'openai',
      model: 'text-embedding-3-small',
      dims: DIMS,
      health: { ok: true, apiKey: 'set', baseUrl: fake.openaiBaseUrl, breaker: { state: 'closed' } },
    });
    expect(r.fallback).toMatchObject({ mode: 'local', space: expect.stringMatching(/^local\//) });
    expect(r.dnaBuild).toBeNull();
    const text = await cli(['status', '--url', `ws://127.0.0.1:${await startedPort(builtDir)}`, '--token', 'test-token-0123456789'], builtDir);
    expect(text.stdout).toMatch(/provider: {3}healthy at http:\/\/127\.0\.0\.1:\d+\/v1; API key set/);
    expect(text.stdout).toMatch(/breaker: {4}closed/);
    const view = await client.request<{ config: { memorySearch: { remote: { apiKey: string } } } }>('config.get', {});
    out.add(view);
    expect(view.config.memorySearch.remote.apiKey).toBe('[redacted]');
    await client.close();
  });

  it('whatever the provider does, a route gets a decision within timeoutMs plus a small bound, and says why', async () => {
    const dir = stateDir(openaiConfig({ fallback: 'keywords' }));
    await cli(['dna', 'build'], dir).then((r) => expect(r.code, r.stderr).toBe(0));
    const { client } = await start(dir);
    const cases: Array<[Behaviour, RegExp]> = [
      [{ kind: 'stall' }, /SRD_ERR_EMBED_TIMEOUT/],
      [{ kind: 'ok', delayMs: 3000 }, /SRD_ERR_EMBED_TIMEOUT/],
      [{ kind: 'status', status: 429, headers: { 'retry-after': '0.05' } }, /SRD_ERR_EMBED_RATE_LIMITED/],
      [{ kind: 'status', status: 500 }, /SRD_ERR_EMBED_FAILED: .*HTTP 500/],
      [
        { kind: 'status', status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${FAKE_KEY}` } }) },
        /SRD_ERR_EMBED_AUTH: .*\[redacted\]/,
      ],
      [{ kind: 'malformed' }, /SRD_ERR_EMBED_BAD_RESPONSE: .*not JSON/],
      [{ kind: 'ok', dims: 16 }, /SRD_ERR_EMBED_BAD_RESPONSE: .*got 16 dimensions, expected 32/],
      [{ kind: 'destroy' }, /SRD_ERR_EMBED_FAILED: .*cannot reach/],
    ];
    for (const [behaviour, reason] of cases) {
      fake.setDefault(behaviour);
      const d = await route(client, 'please write python code for a function');
      expect(d.rttMs, JSON.stringify(behaviour)).toBeLessThan(600 + 500);
      expect(d.source).toBe('keyword');
      expect(d.reasoning).toMatch(reason);
      fake.setDefault({ kind: 'ok' });
      await new Promise((r) => setTimeout(r, 60));
    }
    await client.close();
  });

  it('connection refused, then the breaker: one fast failure per message while the provider is down, closed again once it is back', async () => {
    const port = await refusedPort();
    const dir = stateDir(openaiConfig({ remote: { baseUrl: `http://127.0.0.1:${port}/v1`, breaker: { failureThreshold: 2, cooldownMs: 1500 } } }));
    const { client, daemon } = await start(dir);
    const first = await route(client, 'Write a Python function that merges two sorted lists');
    expect(first.rttMs).toBeLessThan(600 + 500);
    expect(first.reasoning).toMatch(/embedding failed \(SRD_ERR_EMBED_FAILED: .*ECONNREFUSED/);
    expect(first.source).toBe('local-dna');
    await route(client, 'second message while down');
    const fast = await route(client, 'Write a Python function that merges two sorted lists');
    expect(fast.reasoning).toMatch(
      /embedding failed \(SRD_ERR_EMBED_UNAVAILABLE: openai\/text-embedding-3-small: circuit open after 2 consecutive failure\(s\)/,
    );
    expect(fast.latencyMs).toBeLessThan(50);
    const r = await status(client);
    expect(r.embedding.health).toMatchObject({ ok: false, breaker: { state: 'open', opens: 1 }, lastError: { code: 'SRD_ERR_EMBED_FAILED' } });
    // /metrics says the same (issue 17): failed calls by code, and the breaker open (2).
    const metrics = await (await fetch(`http://127.0.0.1:${daemon.port}/metrics`)).text();
    expect(metrics).toMatch(/^smart_routerd_embedding_calls_total\{provider="openai",outcome="SRD_ERR_EMBED_FAILED"\} 2$/m);
    expect(metrics).toMatch(/^smart_routerd_embedding_breaker_state\{provider="openai"\} 2$/m);
    // The provider comes back on the same port: after the cooldown one probe closes the circuit.
    const http = await import('node:http');
    const revived = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const input = JSON.parse(body).input as string[];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ data: input.map((_, index) => ({ index, embedding: Array.from({ length: DIMS }, (_, i) => (i === index % DIMS ? 1 : 0.1)) })) }),
        );
      });
    });
    await new Promise<void>((resolve) => revived.listen(port, '127.0.0.1', resolve));
    try {
      await new Promise((r) => setTimeout(r, 1600));
      const back = await route(client, 'hello again');
      expect(back.reasoning).not.toMatch(/embedding failed/);
      expect((await status(client)).embedding.health.breaker.state).toBe('closed');
    } finally {
      await client.close();
      revived.closeAllConnections();
      await new Promise<void>((resolve) => revived.close(() => resolve()));
    }
  });

  it('builds the DNA of a new space on first start while serving, then switching provider rebuilds instead of mixing spaces', async () => {
    const dir = stateDir(openaiConfig());
    fake.setDefault({ kind: 'ok', delayMs: 20 });
    const { daemon, client } = await start(dir);
    const during = await route(client, 'Write a Python function that merges two sorted lists');
    expect(during.source).toBe('local-dna');
    expect(during.reasoning).toMatch(
      /^DNA for openai\/text-embedding-3-small\/32 is being built( \(\d+% of the seed embedded\))?; local fallback embedder: DNA intent/,
    );
    const building = await status(client);
    expect(building).toMatchObject({ phase: 'ready', dna: null, dnaBuild: { state: 'building', space: 'openai/text-embedding-3-small/32' } });

    const openaiDna = path.join(dir, 'dna', `openai-text-embedding-3-small-${DIMS}.vctr`);
    await until('the openai DNA', async () => (await status(client)).dna?.path === openaiDna);
    expect((await route(client, 'Write a Python function that merges two sorted lists')).source).toBe('dna');
    const openaiBytes = statSync(openaiDna).size;
    await client.request('route.feedback', { text: 'summarise the quarterly report for the board', tier: 'flagship' });

    // Switch to Gemini (same fake server) and reload: a new space, a new DNA file, the old one untouched.
    fake.setDefault({ kind: 'ok' });
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        ...openaiConfig(),
        memorySearch: { provider: 'gemini', model: 'gemini-embedding-001', remote: { apiKey: FAKE_KEY, baseUrl: fake.geminiBaseUrl, batchSize: 100 } },
      }),
    );
    expect(await client.request('router.reload', {})).toEqual({ reloaded: true });
    const switched = await status(client);
    expect(switched.embedding).toMatchObject({ provider: 'gemini', model: 'gemini-embedding-001', dims: DIMS });
    expect(switched.dna).toBeNull();
    expect(switched.dnaBuild).toMatchObject({ space: 'gemini/gemini-embedding-001/32' });
    const geminiDna = path.join(dir, 'dna', `gemini-gemini-embedding-001-${DIMS}.vctr`);
    await until('the gemini DNA', async () => (await status(client)).dna?.path === geminiDna);
    expect((await readVctr(geminiDna)).metadata.embedding).toEqual({ provider: 'gemini', model: 'gemini-embedding-001', dims: DIMS });
    expect((await readVctr(openaiDna)).metadata.embedding).toEqual({ provider: 'openai', model: 'text-embedding-3-small', dims: DIMS });
    expect(statSync(openaiDna).size).toBe(openaiBytes);
    expect(fake.requests.some((r) => r.path.endsWith(':batchEmbedContents'))).toBe(true);
    // The patch learned in the openai space was set aside, not mixed into the gemini space.
    expect((await client.request<{ patches: number }>('memory.stats', {})).patches).toBe(0);
    expect(daemon.lines.some((l) => l.includes('SRD_ERR_MEMORY_SPACE_MISMATCH'))).toBe(true);
    expect((await route(client, 'Write a Python function that merges two sorted lists')).source).toBe('dna');
    await client.close();
  });

  it('never shows the API key in any log line, CLI output, decision or status of these tests', async () => {
    for (const d of daemons) out.add(d.lines.join('\n'));
    expect(daemons.length).toBeGreaterThanOrEqual(3);
    out.expectNoSecret(FAKE_KEY, 50);
  });
});

/** Port of the daemon started on `dir` (from its ready line). */
async function startedPort(dir: string): Promise<number> {
  const d = daemons.find((x) => x.stateDir === dir)!;
  return d.port;
}
