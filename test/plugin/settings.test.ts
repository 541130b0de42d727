import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA, PLUGIN_ENTRY, PLUGIN_ID, PLUGIN_MANIFEST } from '../../dist/plugin/manifest.js';
import { writePluginPackage } from '../../dist/plugin/package-files.js';
import { DEFAULT_PREFIXES, DEFAULT_TIMEOUT_MS, resolveSettings } from '../../dist/plugin/settings.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'srd-plugin-settings-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('plugin settings', () => {
  it("defaults: 50 ms budget, the daemon's default prefixes, no model lists, strip on, quiet", () => {
    const s = resolveSettings({}, { SMART_ROUTERD_STATE_DIR: tmp() });
    expect(s).toMatchObject({ url: 'ws://127.0.0.1:18789', timeoutMs: 50, flagshipModels: [], lightweightModels: [], stripPrefix: true, logDecisions: false });
    expect(s.prefix).toEqual({ flagship: ['旗舰:', 'Force:', 'F:'], lightweight: ['轻量:', 'Fast:', 'L:'] });
    expect(s.token()).toBeUndefined();
  });

  it('finds the daemon like `smart-routerd route`: its config file for bind/port/token, else the token file', () => {
    const stateDir = tmp();
    writeFileSync(path.join(stateDir, 'gateway.token'), 'file-token\n');
    expect(resolveSettings({}, { SMART_ROUTERD_STATE_DIR: stateDir }).token()).toBe('file-token');
    writeFileSync(path.join(stateDir, 'config.json'), JSON.stringify({ gateway: { bind: '0.0.0.0', port: 18790, auth: { token: 'config-token' } } }));
    const s = resolveSettings({}, { SMART_ROUTERD_STATE_DIR: stateDir });
    expect(s.url).toBe('ws://127.0.0.1:18790');
    expect(s.token()).toBe('config-token');
    expect(s.tokenSource).toBe('daemon config');
  });

  it("ranks plugin config over SMART_ROUTERD_URL/SMART_ROUTERD_TOKEN over the daemon's files", () => {
    const stateDir = tmp();
    writeFileSync(path.join(stateDir, 'config.json'), JSON.stringify({ gateway: { port: 1111, auth: { token: 'config-token' } } }));
    const env = { SMART_ROUTERD_STATE_DIR: stateDir, SMART_ROUTERD_URL: 'ws://127.0.0.1:2222', SMART_ROUTERD_TOKEN: 'env-token' };
    const fromEnv = resolveSettings({}, env);
    expect([fromEnv.url, fromEnv.token()]).toEqual(['ws://127.0.0.1:2222', 'env-token']);
    const fromPlugin = resolveSettings({ url: 'ws://127.0.0.1:3333', token: 'plugin-token' }, env);
    expect([fromPlugin.url, fromPlugin.token(), fromPlugin.tokenSource]).toEqual(['ws://127.0.0.1:3333', 'plugin-token', 'plugin config']);
  });

  it('re-reads the token file at every call, so a daemon started after OpenClaw is found', () => {
    const stateDir = tmp();
    const s = resolveSettings({}, { SMART_ROUTERD_STATE_DIR: stateDir });
    expect(s.token()).toBeUndefined();
    writeFileSync(path.join(stateDir, 'gateway.token'), 'later');
    expect(s.token()).toBe('later');
  });

  it('takes timeoutMs, model lists, prefixes, stripPrefix and logDecisions from the plugin config', () => {
    const s = resolveSettings(
      {
        timeoutMs: 120,
        flagshipModels: ['a/b'],
        lightweightModels: ['c/d', ' '],
        prefix: { flagship: ['!!'], lightweight: [] },
        stripPrefix: false,
        logDecisions: true,
      },
      { SMART_ROUTERD_STATE_DIR: tmp() },
    );
    expect(s).toMatchObject({
      timeoutMs: 120,
      flagshipModels: ['a/b'],
      lightweightModels: ['c/d'],
      prefix: { flagship: ['!!'], lightweight: [] },
      stripPrefix: false,
      logDecisions: true,
    });
  });

  it('ignores values of the wrong type instead of failing the host', () => {
    const s = resolveSettings({ timeoutMs: 'fast', flagshipModels: 'a/b', url: 42 }, { SMART_ROUTERD_STATE_DIR: tmp() });
    expect(s).toMatchObject({ timeoutMs: 50, flagshipModels: [], url: 'ws://127.0.0.1:18789' });
  });
});

describe('the manifest OpenClaw validates the config with', () => {
  it('declares every setting the plugin reads, with the same defaults', () => {
    expect(Object.keys(CONFIG_SCHEMA.properties).sort()).toEqual(
      ['flagshipModels', 'lightweightModels', 'logDecisions', 'prefix', 'stateDir', 'stripPrefix', 'timeoutMs', 'token', 'tokenFile', 'url'].sort(),
    );
    expect(CONFIG_SCHEMA.properties.timeoutMs.default).toBe(DEFAULT_TIMEOUT_MS);
    expect(CONFIG_SCHEMA.properties.prefix.properties.flagship.default).toEqual(DEFAULT_PREFIXES.flagship);
    expect(CONFIG_SCHEMA.properties.prefix.properties.lightweight.default).toEqual(DEFAULT_PREFIXES.lightweight);
    expect(CONFIG_SCHEMA.additionalProperties).toBe(false);
    expect(PLUGIN_MANIFEST).toMatchObject({ id: PLUGIN_ID, configSchema: CONFIG_SCHEMA });
  });

  it('is written with package.json (ESM, the entry) into the plugin root, and only when it changed', () => {
    const dir = tmp();
    const written = writePluginPackage(dir)
      .map((f) => path.basename(f))
      .sort();
    expect(written).toEqual(['openclaw.plugin.json', 'package.json']);
    expect(JSON.parse(readFileSync(path.join(dir, 'openclaw.plugin.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(PLUGIN_MANIFEST)));
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))).toMatchObject({
      name: PLUGIN_ID,
      type: 'module',
      openclaw: { extensions: [PLUGIN_ENTRY] },
    });
    expect(writePluginPackage(dir)).toEqual([]);
    expect(existsSync(path.join(dir, `openclaw.plugin.json.${process.pid}.tmp`))).toBe(false);
  });
});
