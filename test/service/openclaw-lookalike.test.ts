import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gatewayLookalikeReason,
  inspectUnit,
  PLIST_TEMPLATE,
  parsePlist,
  readTemplate,
  renderPlist,
  renderUnit,
  servicePaths,
  UNIT_TEMPLATE,
} from '../../src/service/index.js';
import { ROOT } from '../helpers/daemon.js';
import { specFor, tempHome } from './fake-host.js';

/**
 * The real OpenClaw inspector, when `npm run test:openclaw` has installed openclaw@2026.9.6 and
 * Node 26 into .cache/openclaw-e2e (scripts/openclaw-e2e-setup.mjs); else why it is unavailable.
 */
function realInspector(): { node: string; module: string } | string {
  if (process.platform !== 'linux') return "OpenClaw's inspector scans systemd units only on Linux (its plist scan needs macOS plutil)";
  const file = path.join(ROOT, '.cache', 'openclaw-e2e', 'paths.json');
  if (!existsSync(file)) return 'the real OpenClaw CLI is not installed (run node scripts/openclaw-e2e-setup.mjs)';
  const paths = JSON.parse(readFileSync(file, 'utf8')) as { node: string; openclaw: string };
  const dist = path.join(path.dirname(paths.openclaw), 'dist');
  const module = readdirSync(dist)
    .filter((f) => f.startsWith('inspect-') && f.endsWith('.mjs'))
    .map((f) => path.join(dist, f))
    .find((f) => readFileSync(f, 'utf8').includes('export { detectMarkerLineWithGateway, findExtraGatewayServices'));
  return module && existsSync(paths.node)
    ? { node: paths.node, module }
    : 'the installed OpenClaw has no dist/inspect-*.mjs exporting findExtraGatewayServices';
}

// Rule source: OpenClaw protocol reference §5 ("Extra gateway-like services") and §8.
describe('the OpenClaw "extra gateway-like service" rule', () => {
  it('flags what OpenClaw flags: its service markers, or a gateway argument next to openclaw/clawdbot', () => {
    expect(
      gatewayLookalikeReason({
        programArguments: ['/usr/bin/node', '/x/dist/index.js', 'start'],
        environment: { OPENCLAW_SERVICE_MARKER: 'openclaw', OPENCLAW_SERVICE_KIND: 'gateway' },
      }),
    ).toBe("environment sets OPENCLAW_SERVICE_MARKER, which marks OpenClaw's own gateway service");
    expect(
      gatewayLookalikeReason({
        programArguments: ['/usr/bin/node', '/usr/lib/node_modules/openclaw/dist/index.js', 'gateway', '--port', '18789'],
        environment: {},
      }),
    ).toBe('argument "gateway" together with "openclaw" in the command line');
    expect(gatewayLookalikeReason({ programArguments: ['/home/u/.local/bin/clawdbot', 'Gateway'], environment: {} })).toBe(
      'argument "Gateway" together with "clawdbot" in the command line',
    );
    expect(gatewayLookalikeReason({ programArguments: ['/bin/sh', '-c', 'exec openclaw gateway run'], environment: {} })).toBe(
      'argument "exec openclaw gateway run" together with "openclaw" in the command line',
    );
  });

  it('does not flag a gateway argument without openclaw/clawdbot, nor openclaw paths without a gateway argument', () => {
    expect(gatewayLookalikeReason({ programArguments: ['/usr/bin/caddy', 'gateway'], environment: {} })).toBeNull();
    expect(gatewayLookalikeReason({ programArguments: ['/usr/bin/node', '/home/u/.openclaw/gateway/x.js', 'start'], environment: {} })).toBeNull();
  });

  describe.each([
    ['a global npm install', '/usr/lib/node_modules/smart-routerd'],
    ['a package under ~/.openclaw/', '/home/u/.openclaw/tools/node_modules/smart-routerd'],
    ['a package under a directory named gateway inside ~/.openclaw/', '/home/u/.openclaw/gateway/node_modules/smart-routerd'],
    ['a path with "openclaw gateway" words', '/home/u/openclaw gateway-tools/smart-routerd'],
  ])("smart-routerd's service files from %s", (_, packageRoot) => {
    const home = '/home/u';
    const paths = servicePaths({ home, env: { HOME: home }, stateDir: `${home}/.openclaw/smart-router` });
    const spec = specFor(home, { packageRoot, nodePath: '/home/u/.openclaw/node/bin/node', token: 'tok-0123456789abcdef' });

    it('the systemd unit is not taken for an extra gateway and has no argument that is literally gateway', () => {
      const unit = renderUnit(readTemplate(ROOT, UNIT_TEMPLATE), spec, paths);
      const inspected = inspectUnit(unit);
      expect(inspected.programArguments).toEqual(['/home/u/.openclaw/node/bin/node', `${packageRoot}/dist/cli/main.js`, 'start', '--port', '18999']);
      expect(inspected.programArguments.filter((a) => a.toLowerCase() === 'gateway')).toEqual([]);
      expect(Object.keys(inspected.environment).filter((k) => k.startsWith('OPENCLAW_'))).toEqual([]);
      expect(gatewayLookalikeReason(inspected)).toBeNull();
      expect(unit).not.toMatch(/OPENCLAW_SERVICE_(MARKER|KIND)/);
    });

    it('the LaunchAgent is not taken for an extra gateway and has no argument that is literally gateway', () => {
      const parsed = parsePlist(renderPlist(readTemplate(ROOT, PLIST_TEMPLATE), spec, paths));
      const args = parsed.ProgramArguments as string[];
      expect(args.slice(3)).toEqual(['/home/u/.openclaw/node/bin/node', `${packageRoot}/dist/cli/main.js`, 'start', '--port', '18999']);
      expect(args.filter((a) => a.toLowerCase() === 'gateway')).toEqual([]);
      expect(gatewayLookalikeReason({ programArguments: args, environment: parsed.EnvironmentVariables as Record<string, string> })).toBeNull();
    });
  });

  it('refuses to render a unit whose command line would be taken for an OpenClaw gateway', () => {
    const home = '/home/u';
    const paths = servicePaths({ home, env: { HOME: home }, stateDir: `${home}/.openclaw/smart-router` });
    // A package directory literally named "x gateway y" under openclaw: one argument holds the word.
    const spec = specFor(home, { packageRoot: '/home/u/openclaw/x gateway y' });
    expect(() => renderUnit(readTemplate(ROOT, UNIT_TEMPLATE), spec, paths)).toThrow(
      'the unit would look like an extra OpenClaw gateway to `openclaw gateway status --deep` (argument "/home/u/openclaw/x gateway y/dist/cli/main.js" together with "openclaw" in the command line); install from a path without that',
    );
  });

  describe('against the real OpenClaw 2026.9.6 inspector (findExtraGatewayServices, Linux)', () => {
    const inspector = realInspector();
    let t: ReturnType<typeof tempHome>;
    beforeAll(() => {
      t = tempHome();
    });
    afterAll(() => t.cleanup());

    it("lists a gateway-like unit but not smart-routerd's, even from a package under ~/.openclaw/gateway/", (ctx) => {
      ctx.skip(typeof inspector === 'string', typeof inspector === 'string' ? inspector : undefined);
      const { node, module } = inspector as { node: string; module: string };
      const paths = servicePaths({ home: t.home, env: { HOME: t.home }, stateDir: `${t.home}/.openclaw/smart-router` });
      const spec = specFor(t.home, { packageRoot: `${t.home}/.openclaw/gateway/node_modules/smart-routerd`, token: 'tok-0123456789abcdef' });
      mkdirSync(path.dirname(paths.unitFile), { recursive: true });
      writeFileSync(paths.unitFile, renderUnit(readTemplate(ROOT, UNIT_TEMPLATE), spec, paths));
      // Positive control, so an inspector that flags nothing cannot pass this test.
      writeFileSync(
        path.join(path.dirname(paths.unitFile), 'other-gw.service'),
        '[Service]\nExecStart=/usr/bin/node /opt/openclaw/dist/index.js gateway --port 18789\n',
      );
      const script = `const m = await import(${JSON.stringify(module)}); console.log(JSON.stringify(await m.findExtraGatewayServices({ HOME: ${JSON.stringify(t.home)} }, { deep: false })));`;
      const r = spawnSync(node, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: t.home } });
      expect(r.status, r.stderr).toBe(0);
      const found = (JSON.parse(r.stdout) as Array<{ label: string }>).map((s) => s.label);
      expect(found).toEqual(['other-gw.service']);
    });
  });
});
