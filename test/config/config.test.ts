import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureStateDir, loadConfig, resolveToken } from '../../src/config/index.js';
import { DEFAULT_MODELS } from '../../src/config/providers.js';
import { LOCAL_MODEL } from '../../src/embedding/local.js';
import type { SrdError } from '../../src/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'srd-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({ HOME: dir, SMART_ROUTERD_STATE_DIR: dir, ...extra });
const writeConfig = (value: unknown) => writeFileSync(path.join(dir, 'config.json'), typeof value === 'string' ? value : JSON.stringify(value));
function thrown(fn: () => unknown): SrdError {
  try {
    fn();
  } catch (err) {
    return err as SrdError;
  }
  throw new Error('expected an error');
}

describe('configuration', () => {
  it('uses the documented defaults when no file exists', () => {
    const { config, paths } = loadConfig({}, env());
    expect(paths.configExists).toBe(false);
    expect(config.gateway).toMatchObject({ bind: '127.0.0.1', port: 18789 });
    expect(config).toMatchObject({ enabled: true, patchSimilarityThreshold: 0.55, softPartitionThreshold: 0.1 });
    expect(config.timeDecay).toEqual({ gamma: 0.95, halfLifeDays: 30, deathThreshold: 0.1, minRetention: 3 });
    expect(config.embedding).toEqual({ timeoutMs: 1500, maxRetries: 2, retryDelayMs: 500 });
    expect(config.vectorStore).toEqual({ vectorDim: 1024, enableCompaction: true, compactionThreshold: 1500, mergeThreshold: 0.95 });
    expect(config.prefix.flagship).toEqual(['旗舰:', 'Force:', 'F:']);
    expect(config.memorySearch.provider).toBe('local');
  });

  it("names the built-in embedder's current version as the local default model (edit src/config/providers.ts when bumping LOCAL_MODEL)", () => {
    expect(DEFAULT_MODELS.local).toBe(LOCAL_MODEL);
    expect(loadConfig({}, env()).config.memorySearch.model).toBe(LOCAL_MODEL);
  });

  it('defaults the state dir to ~/.openclaw/smart-router and the config file inside it', () => {
    const { paths } = loadConfig({}, { HOME: dir });
    expect(paths.stateDir).toBe(path.join(dir, '.openclaw', 'smart-router'));
    expect(paths.configPath).toBe(path.join(dir, '.openclaw', 'smart-router', 'config.json'));
  });

  it('applies flags over environment over file over defaults', () => {
    writeConfig({ gateway: { port: 1111, bind: '127.0.0.2' }, logging: { level: 'warn' } });
    expect(loadConfig({}, env()).config.gateway.port).toBe(1111);
    expect(loadConfig({}, env({ SMART_ROUTERD_PORT: '2222' })).config.gateway.port).toBe(2222);
    const { config } = loadConfig({ port: '3333' }, env({ SMART_ROUTERD_PORT: '2222', SMART_ROUTERD_BIND: '127.0.0.3' }));
    expect(config.gateway).toMatchObject({ port: 3333, bind: '127.0.0.3' });
    expect(config.logging.level).toBe('warn');
  });

  it('reads --config and SMART_ROUTERD_CONFIG, and refuses a named file that does not exist', () => {
    const other = path.join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ dnaSimilarityThreshold: 0.3 }));
    expect(loadConfig({}, env({ SMART_ROUTERD_CONFIG: other })).config.dnaSimilarityThreshold).toBe(0.3);
    expect(loadConfig({ config: other }, env()).config.dnaSimilarityThreshold).toBe(0.3);
    const err = thrown(() => loadConfig({ config: path.join(dir, 'missing.json') }, env()));
    expect(err.code).toBe('SRD_ERR_CONFIG_UNREADABLE');
    expect(err.message).toBe(`${path.join(dir, 'missing.json')}: config file not found`);
  });

  it('names the file, the JSON path, the expectation and the value for every invalid key', () => {
    writeConfig({ gateway: { port: 'eighty' }, timeDecay: { gamma: 2 }, patchSimilarityThreshold: 'high' });
    const err = thrown(() => loadConfig({}, env()));
    expect(err.code).toBe('SRD_ERR_CONFIG_INVALID');
    expect(err.message).toContain(path.join(dir, 'config.json'));
    expect(err.message).toContain('gateway.port: expected a number (got "eighty")');
    expect(err.message).toContain('timeDecay.gamma: expected ≤ 1 (got 2)');
    expect(err.message).toContain('patchSimilarityThreshold: expected a number (got "high")');
  });

  it('says which variable set an invalid value', () => {
    const err = thrown(() => loadConfig({}, env({ SMART_ROUTERD_PORT: '99999' })));
    expect(err.message).toContain('gateway.port: expected ≤ 65535 (got 99999, from SMART_ROUTERD_PORT)');
  });

  it('rejects unknown keys and points renamed ones at their replacement', () => {
    writeConfig({ embedding: { timeout: 5 }, colour: 'blue' });
    const err = thrown(() => loadConfig({}, env()));
    expect(err.message).toContain('embedding.timeout: unsupported key, use embedding.timeoutMs');
    expect(err.message).toContain('colour: unknown key');
  });

  it('gives keys named like Object.prototype members (constructor, __proto__, toString) the plain unknown-key message (issue 15)', () => {
    writeConfig('{"constructor": {}, "__proto__": {"enabled": false}, "toString": 1, "gateway": {"hasOwnProperty": true, "valueOf": 2}}');
    const err = thrown(() => loadConfig({}, env()));
    expect(err.code).toBe('SRD_ERR_CONFIG_INVALID');
    const problems = (err.details as { problems: string[] }).problems;
    expect(problems.sort()).toEqual(
      [
        '__proto__: unknown key',
        'constructor: unknown key',
        'gateway.hasOwnProperty: unknown key',
        'gateway.valueOf: unknown key',
        'toString: unknown key',
      ].sort(),
    );
    expect(err.message).not.toMatch(/native code|unsupported key, use/);
  });

  it('reports a file that is not JSON with the parser message', () => {
    writeConfig('{ "enabled": tru }');
    const err = thrown(() => loadConfig({}, env()));
    expect(err.code).toBe('SRD_ERR_CONFIG_UNREADABLE');
    expect(err.message).toMatch(/config\.json: config file is not valid JSON/);
  });
});

describe('gateway token', () => {
  it('generates a token on loopback, stores it with mode 0600, and reuses it', () => {
    const first = resolveToken({ configured: undefined, bind: '127.0.0.1', stateDir: dir });
    expect(first.source).toBe('generated');
    expect(statSync(first.file!).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.file!, 'utf8').trim()).toBe(first.token);
    const second = resolveToken({ configured: undefined, bind: '127.0.0.1', stateDir: dir });
    expect(second).toMatchObject({ source: 'stored', token: first.token });
  });

  it('refuses a non-loopback bind without a configured token', () => {
    const err = thrown(() => resolveToken({ configured: undefined, bind: '0.0.0.0', stateDir: dir }));
    expect(err.code).toBe('SRD_ERR_BIND_REFUSED');
    expect(err.message).toMatch(/^refusing to bind 0\.0\.0\.0 without an auth token/);
  });

  it('accepts a non-loopback bind with a configured token', () => {
    expect(resolveToken({ configured: 'a-long-enough-token', bind: '0.0.0.0', stateDir: dir })).toEqual({ token: 'a-long-enough-token', source: 'config' });
  });

  it('refuses a weak configured token off loopback with SRD_ERR_TOKEN_WEAK, and accepts any non-empty one on loopback (issue 15)', () => {
    for (const weak of ['        ', 'aaaaaaaa', 'abcdefghijklmno', 'a-long-enough token', 'abcabcabcabcabcabcabc']) {
      expect(thrown(() => resolveToken({ configured: weak, bind: '0.0.0.0', stateDir: dir })).code, JSON.stringify(weak)).toBe('SRD_ERR_TOKEN_WEAK');
      expect(thrown(() => resolveToken({ configured: weak, bind: '::', stateDir: dir })).code).toBe('SRD_ERR_TOKEN_WEAK');
      expect(resolveToken({ configured: weak, bind: '127.0.0.1', stateDir: dir })).toEqual({ token: weak, source: 'config' });
    }
  });

  it('narrows a stored token file readable by others to 0600 and keeps using it', () => {
    const file = path.join(dir, 'gateway.token');
    writeFileSync(file, 'stored-token-0123456789abcdef\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    expect(resolveToken({ configured: undefined, bind: '127.0.0.1', stateDir: dir })).toEqual({
      token: 'stored-token-0123456789abcdef',
      source: 'stored',
      file,
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a symlinked token file with SRD_ERR_TOKEN_FILE and leaves the target alone (issue 15)', () => {
    const target = path.join(dir, 'target');
    writeFileSync(target, 'linked-token-0123456789abcdef\n');
    chmodSync(target, 0o644);
    symlinkSync(target, path.join(dir, 'gateway.token'));
    const err = thrown(() => resolveToken({ configured: undefined, bind: '127.0.0.1', stateDir: dir }));
    expect(err.code).toBe('SRD_ERR_TOKEN_FILE');
    expect(statSync(target).mode & 0o777).toBe(0o644);
  });

  it('refuses to use a state dir writable by others or a symlink with SRD_ERR_STATE_DIR_INSECURE, and creates a missing one 0700 (issue 15)', () => {
    chmodSync(dir, 0o757);
    expect(thrown(() => resolveToken({ configured: undefined, bind: '127.0.0.1', stateDir: dir })).code).toBe('SRD_ERR_STATE_DIR_INSECURE');
    chmodSync(dir, 0o700);
    const link = path.join(dir, 'link');
    symlinkSync(dir, link);
    expect(thrown(() => ensureStateDir(link)).code).toBe('SRD_ERR_STATE_DIR_INSECURE');
    const fresh = path.join(dir, 'a', 'b');
    ensureStateDir(fresh);
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
  });
});
