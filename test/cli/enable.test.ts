import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runEnable } from '../../src/cli/enable.js';
import type { Choice, Prompter } from '../../src/cli/prompts.js';
import { CLI, startDaemon } from '../helpers/daemon.js';
import { type FakeEmbeddingServer, startFakeEmbeddings } from '../helpers/fake-embeddings.js';
import { FAKE_KEY, OutputCollector } from '../helpers/secrets.js';

const out = new OutputCollector();
const dirs: string[] = [];
let fake: FakeEmbeddingServer;
let dir: string;

const configFile = () => path.join(dir, 'config.json');
const readConfig = () => JSON.parse(readFileSync(configFile(), 'utf8'));

/** Runs the CLI with `stdin` piped in; never rejects. */
function cli(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, SMART_ROUTERD_STATE_DIR: dir, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdin.end(options.stdin ?? '');
    child.on('exit', (code) => {
      out.add(stdout);
      out.add(stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  fake = await startFakeEmbeddings({ key: FAKE_KEY, nativeDims: 64 });
});
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'srd-enable-'));
  dirs.push(dir);
  fake.requests.length = 0;
});
afterAll(async () => {
  await fake.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  out.expectNoSecret(FAKE_KEY, 10);
});

describe('smart-routerd enable / disable', () => {
  it('scripted: tests the provider with one real call, adopts the size the model returns, writes config.json 0600, prints no key', async () => {
    const { code, stdout, stderr } = await cli(
      [
        'enable',
        '--provider',
        'custom',
        '--base-url',
        fake.openaiBaseUrl,
        '--model',
        'fake-embed',
        '--api-key-env',
        'SRD_TEST_EMBED_KEY',
        '--lightweight',
        'openai/gpt-5-mini, openai/gpt-5-nano',
        '--flagship',
        'anthropic/claude-opus-4-5',
        '--fallback',
        'keywords',
        '--yes',
        '--no-reload',
        '--json',
      ],
      { env: { SRD_TEST_EMBED_KEY: FAKE_KEY } },
    );
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      enabled: true,
      provider: 'custom',
      model: 'fake-embed',
      dims: 64,
      baseUrl: fake.openaiBaseUrl,
      apiKey: 'set',
      fallback: 'keywords',
      test: { dims: 64 },
      notes: ['vectorStore.vectorDim set to 64, the size fake-embed returns'],
      dna: null,
      space: 'custom/fake-embed/64',
      reloaded: null,
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.body).not.toHaveProperty('dimensions');
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(readConfig()).toEqual({
      enabled: true,
      memorySearch: { provider: 'custom', fallback: 'keywords', model: 'fake-embed', remote: { baseUrl: fake.openaiBaseUrl, apiKey: FAKE_KEY } },
      vectorStore: { vectorDim: 64 },
      lightweightModels: ['openai/gpt-5-mini', 'openai/gpt-5-nano'],
      flagshipModels: ['anthropic/claude-opus-4-5'],
    });
  });

  it('reads the key from stdin, sends `dimensions` for text-embedding-3 models and keeps keys it does not manage', async () => {
    writeFileSync(configFile(), JSON.stringify({ gateway: { port: 18790 }, timeDecay: { halfLifeDays: 10 } }));
    const { code, stdout, stderr } = await cli(['enable', '--provider', 'openai', '--base-url', fake.openaiBaseUrl, '--api-key-stdin', '--yes'], {
      stdin: `${FAKE_KEY}\n`,
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(
      /^smart routing enabled in .*config\.json \(mode 0600\)\n {2}embedding: {3}openai text-embedding-3-small, 1024 dimensions, at http:\/\/127\.0\.0\.1:\d+\/v1; API key stored \(not shown\)\n {2}test call: {3}ok, 1024 dimensions in \d+ ms/,
    );
    expect(stdout).toContain(
      'DNA:         openai/text-embedding-3-small/1024 is built by the daemon on its next start or reload (or now: smart-routerd dna build)',
    );
    expect(stdout).toContain('no running daemon answered; it reads this when it starts');
    expect(fake.requests[0]!.body.dimensions).toBe(1024);
    expect(readConfig()).toMatchObject({
      gateway: { port: 18790 },
      timeDecay: { halfLifeDays: 10 },
      memorySearch: { provider: 'openai', model: 'text-embedding-3-small', remote: { apiKey: FAKE_KEY } },
    });
  });

  it('a rejected key fails the test call, writes nothing, and does not print the key', async () => {
    const wrong = `${FAKE_KEY}-rotated`;
    const { code, stderr } = await cli(['enable', '--provider', 'openai', '--base-url', fake.openaiBaseUrl, '--api-key', wrong, '--yes']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^smart-routerd: provider test failed, nothing was written: openai\/text-embedding-3-small: http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings rejected the API key \(HTTP 401: Incorrect API key provided: \[redacted\]\.\); check memorySearch\.remote\.apiKey/,
    );
    expect(stderr).not.toContain(wrong);
    expect(existsSync(configFile())).toBe(false);
  });

  it('without a terminal, a missing key is an error naming the flags', async () => {
    const { code, stderr } = await cli(['enable', '--provider', 'gemini']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'smart-routerd: an API key is required for provider gemini: pass --api-key-env VAR, --api-key-stdin or --api-key KEY, or run enable in a terminal\n',
    );
  });

  it('rejects an unknown provider and a custom provider without --base-url', async () => {
    expect((await cli(['enable', '--provider', 'cohere', '--yes'])).stderr).toBe(
      'smart-routerd: --provider must be one of local, openai, gemini, siliconflow, custom (got "cohere")\n',
    );
    expect((await cli(['enable', '--provider', 'custom', '--model', 'm', '--yes'])).stderr).toBe(
      'smart-routerd: --base-url is required for provider custom (e.g. http://127.0.0.1:11434/v1 for Ollama)\n',
    );
  });

  it('interactive: asks for provider, key (masked), model, tier models and fallback, then writes the config', async () => {
    const asked: string[] = [];
    const answers: Record<string, string> = {
      'Embedding provider': 'gemini',
      'API key (leave empty to keep the stored one)': FAKE_KEY,
      'Embedding model': '',
      'Lightweight model': 'google/gemini-2.5-flash',
      'Flagship model': 'google/gemini-2.5-pro',
      'When the provider is down': 'local',
    };
    const answer = (message: string, initial?: string) => {
      asked.push(message);
      const key = Object.keys(answers).find((k) => message.startsWith(k));
      if (key === undefined) throw new Error(`unexpected prompt: ${message}`);
      return answers[key] === '' ? (initial ?? '') : answers[key]!;
    };
    const shown: string[] = [];
    const prompter: Prompter = {
      intro: (m) => shown.push(m),
      outro: (m) => shown.push(m),
      info: (m) => shown.push(m),
      warn: (m) => shown.push(m),
      select: async <T extends string>(m: string, choices: Choice<T>[], initial?: T) => {
        const v = answer(m, initial) as T;
        expect(choices.map((c) => c.value)).toContain(v);
        return v;
      },
      text: async (m, o) => answer(m, o?.initial),
      password: async (m) => answer(m),
      confirm: async () => false,
      spinner: () => ({ start: (m) => shown.push(m), stop: (m) => shown.push(m), error: (m) => shown.push(m) }),
    };
    // A stored key is replaced by the typed one; baseUrl points at the fake (tests talk to 127.0.0.1 only).
    writeFileSync(configFile(), JSON.stringify({ memorySearch: { provider: 'gemini', remote: { apiKey: 'placeholder-key', baseUrl: fake.geminiBaseUrl } } }));
    const result = await runEnable({}, { paths: { stateDir: dir, configPath: configFile() }, prompter });
    out.add(shown.join('\n'));
    out.add(result);
    expect(asked).toEqual([
      'Embedding provider (routing runs in its embedding space)',
      'API key (leave empty to keep the stored one)',
      'Embedding model',
      'Lightweight model(s), comma-separated (the first is the default)',
      'Flagship model(s), comma-separated (the first is the default)',
      'When the provider is down or its DNA is still being built, route with',
    ]);
    expect(result).toMatchObject({ provider: 'gemini', model: 'gemini-embedding-001', dims: 1024, test: { dims: 1024 }, fallback: 'local' });
    expect(fake.requests[0]!.headers['x-goog-api-key']).toBe(FAKE_KEY);
    expect(readConfig().memorySearch.remote.apiKey).toBe(FAKE_KEY);
    expect(shown.join('\n')).not.toContain(FAKE_KEY);
  });

  it('--dims the model contradicts fails naming the size, --no-test skips the call, a failed test is written only when confirmed', async () => {
    const paths = { stateDir: dir, configPath: configFile() };
    const flags = {
      provider: 'custom',
      baseUrl: fake.openaiBaseUrl,
      model: 'fake-embed',
      apiKey: FAKE_KEY,
      lightweight: 'a/light',
      flagship: 'a/flag',
      fallback: 'local',
    };
    const forced = await runEnable({ ...flags, dims: '32' }, { paths }).catch((err: unknown) => err);
    out.add(forced);
    expect(forced).toMatchObject({
      code: 'SRD_ERR_ENABLE_INPUT',
      message: 'the model returned 64 dimensions although 32 were asked for (it is not known to take `dimensions`); run again with --dims 64',
    });
    expect(existsSync(configFile())).toBe(false);

    const untested = await runEnable({ ...flags, test: false }, { paths });
    expect(untested).toMatchObject({ dims: 1024, test: null, notes: ['provider not tested (--no-test)'] });
    expect(fake.requests).toHaveLength(1);

    const confirmed: string[] = [];
    const unexpected = async (m: string): Promise<never> => {
      throw new Error(`unexpected prompt: ${m}`);
    };
    const prompter: Prompter = {
      intro: () => undefined,
      outro: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      select: unexpected,
      text: unexpected,
      password: unexpected,
      confirm: async (m) => {
        confirmed.push(m);
        return true;
      },
      spinner: () => ({ start: () => undefined, stop: () => undefined, error: () => undefined }),
    };
    fake.script({ kind: 'status', status: 500 });
    const anyway = await runEnable({ ...flags, dims: '256' }, { paths, prompter });
    out.add(anyway);
    expect(confirmed).toEqual([expect.stringMatching(/^The provider test failed \(SRD_ERR_EMBED_FAILED: .*HTTP 500.*\)\. Write the configuration anyway\?$/)]);
    expect(anyway).toMatchObject({
      dims: 256,
      test: null,
      notes: [expect.stringMatching(/^the provider test failed \(SRD_ERR_EMBED_FAILED: .*\); written anyway$/)],
    });
    expect(readConfig().vectorStore).toEqual({ vectorDim: 256 });
  });

  it('`disable` turns routing off in the running daemon and `enable` turns it back on', async () => {
    writeFileSync(configFile(), JSON.stringify({ lightweightModels: ['x/light'] }));
    const daemon = await startDaemon({ stateDir: dir });
    const env = { SMART_ROUTERD_PORT: String(daemon.port), SMART_ROUTERD_TOKEN: daemon.token };
    try {
      const off = await cli(['disable'], { env });
      expect(off.code, off.stderr).toBe(0);
      expect(off.stdout).toBe(`smart routing disabled in ${configFile()}: every message goes to x/light\n  the running daemon reloaded its configuration\n`);
      expect(readConfig()).toEqual({ lightweightModels: ['x/light'], enabled: false });
      expect(statSync(configFile()).mode & 0o777).toBe(0o600);
      const c = await daemon.client();
      expect(await c.request('route', { text: 'Write a Python web scraper' })).toMatchObject({ source: 'disabled', selectedModel: 'x/light' });
      const on = await cli(['enable', '--provider', 'local', '--yes'], { env });
      expect(on.code, on.stderr).toBe(0);
      expect(on.stdout).toContain('the running daemon reloaded its configuration');
      expect(await c.request('route', { text: 'Write a Python web scraper' })).not.toMatchObject({ source: 'disabled' });
      await c.close();
    } finally {
      await daemon.stop();
      out.add(daemon.lines.join('\n'));
    }
  });
});
