import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVctr } from '../../src/vctr/index.js';
import { CLI, type RunningDaemon, startDaemon } from '../helpers/daemon.js';

const exec = promisify(execFile);
let daemon: RunningDaemon;
let scratch: string;

/** Runs the CLI; never rejects: returns code, stdout, stderr. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], {
      env: { ...process.env, SMART_ROUTERD_STATE_DIR: scratch, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'srd-cli-'));
  daemon = await startDaemon();
});
afterAll(async () => {
  await daemon?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('smart-routerd CLI', () => {
  it('lists every command in --help', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const cmd of ['start', 'route', 'status', 'eval', 'dna']) expect(stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it('route --json prints the decision object from the running daemon', async () => {
    const { code, stdout, stderr } = await cli([
      'route',
      '--url',
      daemon.url,
      '--token',
      daemon.token,
      '--json',
      'Write a Python rate limiter with the token bucket algorithm',
    ]);
    expect(code, stderr).toBe(0);
    const d = JSON.parse(stdout);
    expect(Object.keys(d).sort()).toEqual(
      ['confidence', 'decisionId', 'intent', 'latencyMs', 'modelTier', 'reasoning', 'scores', 'selectedModel', 'source'].sort(),
    );
    expect(d).toMatchObject({ modelTier: 'flagship', source: 'model', selectedModel: 'anthropic/claude-opus-4-5' });
    expect(d.confidence).toBeGreaterThan(0);
    expect(d.confidence).toBeLessThanOrEqual(1);
  });

  it('route finds the daemon from the configured port and token when no --url or --token is given', async () => {
    const { code, stdout, stderr } = await cli(['route', 'F: hi'], {
      SMART_ROUTERD_STATE_DIR: daemon.stateDir,
      SMART_ROUTERD_PORT: String(daemon.port),
      SMART_ROUTERD_TOKEN: daemon.token,
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^flagship → anthropic\/claude-opus-4-5 {2}\(prefix, confidence 1\.00/);
    expect(stdout).toContain('prefix "F:" forces flagship');
  });

  it("route with a wrong token exits 1 with the daemon's message", async () => {
    const { code, stderr } = await cli(['route', '--url', daemon.url, '--token', 'wrong-token-123456', 'hi']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/unauthorized: gateway token mismatch/);
  });

  it('route exits 1 with "not reachable" when no daemon listens', async () => {
    const { code, stderr } = await cli(['route', '--url', 'ws://127.0.0.1:1', '--token', 'whatever-123456', 'hi']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/gateway not reachable at ws:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  });

  it('status --json reports the running daemon', async () => {
    const { code, stdout, stderr } = await cli(['status', '--url', daemon.url, '--token', daemon.token, '--json']);
    expect(code, stderr).toBe(0);
    const r = JSON.parse(stdout).router;
    expect(r).toMatchObject({ phase: 'ready', enabled: true, embedding: { provider: 'local', dims: 1024 } });
    expect(r.kernel.workers).toBeGreaterThan(0);
    expect(r.dna.rows).toBeGreaterThan(0);
    expect(stdout).not.toContain(daemon.token);
  });

  it('eval --json reports accuracy, recall, calibration and per-language figures for a labelled file', async () => {
    const file = path.join(scratch, 'mini.jsonl');
    writeFileSync(
      file,
      [
        { text: 'Write a Rust function that reverses a linked list', label: 'CODE', lang: 'en' },
        { text: 'good night, talk tomorrow', label: 'CHAT', lang: 'en' },
        { text: '把这句话翻译成英文：今天下雨了', label: 'TRANS', lang: 'zh' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const { code, stdout, stderr } = await cli(['eval', '--json', file]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.n).toBe(3);
    for (const key of [
      'labelAccuracy',
      'tierAccuracy',
      'flagshipRecall',
      'flagshipPrecision',
      'expectedCalibrationError',
      'byLang',
      'confusion',
      'worst',
      'latencyMs',
    ])
      expect(report).toHaveProperty(key);
    expect(Object.keys(report.byLang).sort()).toEqual(['en', 'zh']);
    expect(report.confusion.CODE).toBeDefined();
  });

  it('eval --items writes one line per item with hashes, never the text', async () => {
    const file = path.join(scratch, 'items.jsonl');
    const out = path.join(scratch, 'items.out.jsonl');
    writeFileSync(
      file,
      [
        { text: 'Write a Rust function that reverses a linked list', label: 'CODE', lang: 'en', source: 'handwritten' },
        { text: 'good night, talk tomorrow', label: 'CHAT', lang: 'en' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const { code, stderr } = await cli(['eval', '--json', '--items', out, file]);
    expect(code, stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain('linked list');
    const items = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ lang: 'en', source: 'handwritten', label: 'CODE', tier: 'flagship', predictedTier: 'flagship', correctTier: true });
    expect(items[0].textHash).toMatch(/^[0-9a-f]{64}$/);
    expect(items[1]).toMatchObject({ source: null, label: 'CHAT', tier: 'lightweight' });
    for (const key of ['predictedLabel', 'confidence', 'decidedBy']) expect(items[1]).toHaveProperty(key);
  });

  it('eval names the file and line of a bad record', async () => {
    const file = path.join(scratch, 'bad.jsonl');
    writeFileSync(file, '{"text":"ok","label":"CHAT","lang":"en"}\n{"text":"x","label":"SMALLTALK"}\n');
    const { code, stderr } = await cli(['eval', file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}:2: "label" must be one of CHAT, FACT, TRANS, CODE, REASON, WRITE (got "SMALLTALK")`);
  });

  it('start refuses an invalid config with exit 78 and the JSON path', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-bad-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ gateway: { port: -1 } }));
    const { code, stderr } = await cli(['start'], { SMART_ROUTERD_STATE_DIR: dir });
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(78);
    expect(stderr).toContain('gateway.port: expected ≥ 0 (got -1)');
  });

  it('start refuses a non-loopback bind without a token, with exit 78', async () => {
    const { code, stderr } = await cli(['start', '--bind', '0.0.0.0', '--port', '0'], { SMART_ROUTERD_TOKEN: '' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/refusing to bind 0\.0\.0\.0 without an auth token/);
  });

  it('dna build writes a DNA file whose metadata names the embedding space and calibration', async () => {
    const out = path.join(scratch, 'dna.vctr');
    const { code, stdout, stderr } = await cli(['dna', 'build', '--out', out, '--json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.samples).toBeGreaterThan(3000);
    const file = await readVctr(out);
    expect(file.metadata).toMatchObject({ kind: 'dna', embedding: { provider: 'local', dims: 1024 } });
    expect(file.metadata.rows.map((r: { label?: string }) => r.label)).toEqual(expect.arrayContaining(['CHAT', 'FACT', 'TRANS', 'CODE', 'REASON', 'WRITE']));
    expect(file.normalized).toBe(true);
  });
});
